package mqtt

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/tillsync/tillsync/agent"
	"github.com/tillsync/tillsync/syncproto"
)

// PolicyParser turns a policy document from central (PolicyContent, format
// "yaml") into a policy; the agent's wiring passes the parser that
// `tillsync-agent policy load` uses, so HQ and a store's file agree.
type PolicyParser func(format string, doc []byte) (*agent.Policy, error)

// Downlink defaults.
const (
	// downlinkQueue is how many chunks may wait for the applier. A full
	// queue drops the chunk: the update is then incomplete, changes
	// nothing, and the gap check asks central again.
	downlinkQueue = 256
	// DefaultGapWait is how long a delta that does not fit the version
	// held waits for the deltas before it (they may arrive out of order:
	// paho's handlers run concurrently) before the agent asks central to
	// catch it up by announcing its versions again.
	DefaultGapWait = 5 * time.Second
	// maxStashed bounds the deltas kept while waiting for a gap to close.
	maxStashed = 64
)

// DownlinkConfig enables the downlink: central's catalog, policy and card
// blocks applied to the store (DESIGN §5 rule 4).
type DownlinkConfig struct {
	Store       agent.Downstream
	ParsePolicy PolicyParser
	// GapWait: see DefaultGapWait; zero takes it.
	GapWait time.Duration
}

// downlink is the Uplink's receiving side.
type downlink struct {
	cfg    DownlinkConfig
	topics []string
	chunks chan *syncproto.StreamChunk
	asm    syncproto.Assembler // used by the applier goroutine only

	mu       sync.Mutex
	client   paho.Client         // the connected client, for re-announcing
	stash    []*syncproto.Update // deltas waiting for their base
	gapSince time.Time           // zero: no gap open
	applied  map[string]uint64   // stream → version last applied
	// lastChunk is when the applier last took a chunk: a gap is not
	// reported while an update is still arriving.
	lastChunk time.Time
	// announce: versions changed since the last birth; the birth is
	// refreshed once the downlink is quiet, so the retained state (and
	// central's view of the store) names what the store holds.
	announce bool
}

// EnableDownlink makes Run subscribe to the store's and the chain's down
// topics and apply what arrives through cfg.Store. Call it before Run.
func (u *Uplink) EnableDownlink(cfg DownlinkConfig) error {
	if cfg.Store == nil || cfg.ParsePolicy == nil {
		return fmt.Errorf("%w: downlink needs a store and a policy parser", ErrInvalidConfig)
	}
	if cfg.GapWait <= 0 {
		cfg.GapWait = DefaultGapWait
	}
	if u.running.Load() {
		return fmt.Errorf("%w: enable the downlink before Run", ErrInvalidConfig)
	}
	u.down = &downlink{
		cfg:     cfg,
		topics:  []string{u.cfg.Topics.StoreDown(u.cfg.StoreID), u.cfg.Topics.AllDown()},
		chunks:  make(chan *syncproto.StreamChunk, downlinkQueue),
		applied: make(map[string]uint64),
	}
	return nil
}

// subscribeAll subscribes to the ack topic and, with the downlink on, to
// the down topics; a connection is up only with all of them in place.
func (u *Uplink) subscribeAll(c paho.Client) error {
	if err := u.subscribeAcks(c); err != nil {
		return err
	}
	if err := u.subscribeRPC(c); err != nil {
		return err
	}
	if u.down == nil {
		return nil
	}
	for _, topic := range u.down.topics {
		if err := u.subscribe(c, topic, u.onDownlink); err != nil {
			return err
		}
	}
	u.down.mu.Lock()
	u.down.client = c
	u.down.mu.Unlock()
	return nil
}

// onDownlink queues a valid chunk for the applier; anything else is
// logged and dropped (bad input never stops the agent).
func (u *Uplink) onDownlink(_ paho.Client, m paho.Message) {
	d, err := syncproto.DecodeDownlink(m.Payload())
	if err != nil {
		u.log.Warn("ignoring bad downlink message", "topic", m.Topic(), "bytes", len(m.Payload()), "err", err)
		return
	}
	if d.GetChainId() != u.cfg.Topics.Chain {
		u.log.Warn("ignoring downlink of another chain", "topic", m.Topic(), "chain", d.GetChainId())
		return
	}
	select {
	case u.down.chunks <- d.GetChunk():
	default:
		u.log.Warn("downlink queue full; chunk dropped, central will resend", "stream", d.GetChunk().GetStream())
	}
}

// runDownlink applies chunks until ctx ends. It is the only goroutine that
// touches the assembler and the stash.
func (u *Uplink) runDownlink(ctx context.Context) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case c := <-u.down.chunks:
			u.down.mu.Lock()
			u.down.lastChunk = u.cfg.Now()
			u.down.mu.Unlock()
			up, err := u.down.asm.Add(c)
			if err != nil {
				u.log.Warn("dropping downlink update", "stream", c.GetStream(), "version", c.GetVersion(), "err", err)
				continue
			}
			if up != nil {
				u.takeUpdate(ctx, up)
			}
		case <-tick.C:
			u.checkGap(ctx)
		}
	}
}

// takeUpdate applies up, then any stashed deltas it unblocked; a delta
// that does not fit yet is stashed.
func (u *Uplink) takeUpdate(ctx context.Context, up *syncproto.Update) {
	switch err := u.applyUpdate(ctx, up); {
	case err == nil:
		u.down.mu.Lock()
		u.down.applied[up.Stream] = up.Version
		u.down.announce = true
		u.down.mu.Unlock()
		u.drainStash(ctx)
	case errors.Is(err, errAhead):
		u.stashDelta(up)
	case agent.ErrorCode(err) == agent.ECONFLICT:
		u.log.Debug("downlink update already held", "stream", up.Stream, "version", up.Version)
	default:
		u.log.Warn("downlink update refused", "stream", up.Stream, "version", up.Version, "err", err)
	}
}

// errAhead marks a delta whose base is newer than the version held.
var errAhead = errors.New("delta ahead of the version held")

func (u *Uplink) drainStash(ctx context.Context) {
	for progress := true; progress; {
		progress = false
		u.down.mu.Lock()
		stash := u.down.stash
		u.down.stash = nil
		u.down.mu.Unlock()
		var keep []*syncproto.Update
		for _, s := range stash {
			err := u.applyUpdate(ctx, s)
			switch {
			case err == nil:
				progress = true
			case errors.Is(err, errAhead):
				keep = append(keep, s)
			}
		}
		u.down.mu.Lock()
		u.down.stash = append(keep, u.down.stash...)
		if len(u.down.stash) == 0 {
			u.down.gapSince = time.Time{}
		}
		u.down.mu.Unlock()
	}
}

func (u *Uplink) stashDelta(up *syncproto.Update) {
	u.down.mu.Lock()
	defer u.down.mu.Unlock()
	if len(u.down.stash) < maxStashed {
		u.down.stash = append(u.down.stash, up)
	}
	if u.down.gapSince.IsZero() {
		u.down.gapSince = u.cfg.Now()
	}
}

// checkGap asks central to catch the store up when a delta has waited for
// its base longer than GapWait: the birth names the versions held, and
// central answers with the deltas or a snapshot (DESIGN §5 rule 4).
func (u *Uplink) checkGap(ctx context.Context) {
	now := u.cfg.Now()
	u.down.mu.Lock()
	since, c := u.down.gapSince, u.down.client
	quiet := now.Sub(u.down.lastChunk) >= time.Second
	late := !since.IsZero() && now.Sub(since) >= u.down.cfg.GapWait && now.Sub(u.down.lastChunk) >= u.down.cfg.GapWait
	if late {
		u.down.gapSince = now // ask again after another GapWait
		u.down.stash = nil
	}
	announce := (late || u.down.announce) && quiet
	if announce {
		u.down.announce = false
	}
	u.down.mu.Unlock()
	if !announce || c == nil || !c.IsConnectionOpen() {
		return
	}
	if late {
		u.log.Info("downlink gap: announcing versions held for a catch-up")
	}
	u.republishBirth(ctx, c)
}

// applyUpdate converts up and hands it to the store. A delta whose base
// is above the version held fails with errAhead.
func (u *Uplink) applyUpdate(ctx context.Context, up *syncproto.Update) error {
	st := u.down.cfg.Store
	switch up.Stream {
	case syncproto.StreamCatalog:
		if err := checkAhead(ctx, up, st.CatalogVersion); err != nil {
			return err
		}
		return st.ApplyCatalog(ctx, catalogUpdate(up))
	case syncproto.StreamCardBlocks:
		if err := checkAhead(ctx, up, st.CardBlocksVersion); err != nil {
			return err
		}
		return st.ApplyCardBlocks(ctx, cardBlocksUpdate(up))
	case syncproto.StreamPolicy:
		pc := up.Content.GetPolicy()
		p, err := u.down.cfg.ParsePolicy(pc.GetFormat(), pc.GetDocument())
		if err != nil {
			return fmt.Errorf("policy version %d: %w", up.Version, err)
		}
		p.Version = up.Version // central's stream version is the policy's
		return st.SetPolicy(ctx, p)
	case syncproto.StreamMembers:
		if err := checkAhead(ctx, up, st.MembersStreamVersion); err != nil {
			return err
		}
		return st.ApplyMembers(ctx, membersUpdate(up))
	case syncproto.StreamEnroll:
		eb := up.Content.GetEnrollBlock()
		return st.ApplyEnrollBlock(ctx, agent.EnrollBlockUpdate{Version: up.Version, Prefix: eb.GetCardPrefix(), First: eb.GetFirst(), Last: eb.GetLast()})
	case syncproto.StreamCentralKey:
		raw := up.Content.GetCentralKey().GetPublicKey()
		if len(raw) != 32 {
			return fmt.Errorf("central key version %d: %d bytes, want 32", up.Version, len(raw))
		}
		u := agent.CentralKeyUpdate{Version: up.Version}
		copy(u.Key[:], raw)
		return st.ApplyCentralKey(ctx, u)
	}
	return fmt.Errorf("unknown stream %q", up.Stream)
}

func checkAhead(ctx context.Context, up *syncproto.Update, held func(context.Context) (uint64, error)) error {
	if up.Snapshot {
		return nil
	}
	v, err := held(ctx)
	if err != nil {
		return err
	}
	if up.BaseVersion > v {
		return fmt.Errorf("%s delta %d→%d on version %d: %w", up.Stream, up.BaseVersion, up.Version, v, errAhead)
	}
	return nil
}

func catalogUpdate(up *syncproto.Update) agent.CatalogUpdate {
	c := up.Content.GetCatalog()
	out := agent.CatalogUpdate{Version: up.Version, Base: up.BaseVersion, Snapshot: up.Snapshot, Removed: c.GetRemovedSkus()}
	out.Upserts = make([]agent.Product, 0, len(c.GetUpserts()))
	for _, it := range c.GetUpserts() {
		out.Upserts = append(out.Upserts, agent.Product{
			SKU: it.GetSku(), Barcodes: it.GetBarcodes(), Name: it.GetName(), Category: it.GetCategory(),
			PriceFen: it.GetPriceFen(), MemberPriceFen: it.GetMemberPriceFen(), Weighed: it.GetWeighed(),
			PointsEligible: it.GetPointsEligible(), PointsMultiplier: it.GetPointsMultiplier(), ItemCode: it.GetItemCode(),
		})
	}
	return out
}

func cardBlocksUpdate(up *syncproto.Update) agent.CardBlocksUpdate {
	c := up.Content.GetCardBlocks()
	out := agent.CardBlocksUpdate{Version: up.Version, Base: up.BaseVersion, Snapshot: up.Snapshot, Unblocked: c.GetUnblocked()}
	for _, b := range c.GetBlocked() {
		out.Blocked = append(out.Blocked, agent.CardBlock{Card: b.GetCard(), Reason: b.GetReason(), BlockedAt: time.UnixMilli(b.GetBlockedAtMs())})
	}
	return out
}

func membersUpdate(up *syncproto.Update) agent.MembersUpdate {
	c := up.Content.GetMembers()
	out := agent.MembersUpdate{Version: up.Version, Base: up.BaseVersion, Snapshot: up.Snapshot, Removed: c.GetRemovedCards()}
	out.Upserts = make([]agent.Member, 0, len(c.GetUpserts()))
	for _, r := range c.GetUpserts() {
		out.Upserts = append(out.Upserts, memberOf(r))
	}
	return out
}

// memberOf is the cached member of central's record. BalanceAt is the
// last nanosecond of the record's millisecond: central counts the
// store's entries of that millisecond (wire times are milliseconds), and
// the ledger replays only entries After BalanceAt, so the two split the
// entries at the same point (central.MemberRecords explains the cut).
func memberOf(r *syncproto.MemberRecord) agent.Member {
	m := agent.Member{
		Card: r.GetCard(), MemberID: r.GetMemberId(), MaskedName: r.GetMaskedName(), PhoneLast4: r.GetPhoneLast4(),
		Tier: r.GetTier(), Balance: r.GetBalance(), Debt: r.GetDebt(), Staff: r.GetStaff(),
		Blocked: r.GetBlocked(), BlockReason: r.GetBlockReason(),
	}
	if ms := r.GetBalanceAtMs(); ms != 0 {
		m.BalanceAt = time.UnixMilli(ms).Add(time.Millisecond - time.Nanosecond).UTC()
	}
	for _, l := range r.GetLots() {
		m.Lots = append(m.Lots, agent.Lot{ID: l.GetLotId(), Points: l.GetPoints(), EarnedAt: milliTime(l.GetEarnedAtMs()),
			AvailableAt: milliTime(l.GetAvailableAtMs()), ExpiresAt: milliTime(l.GetExpiresAtMs()), SaleID: l.GetSaleId()})
	}
	return m
}

// milliTime is a wire millisecond time; 0 is the zero time.
func milliTime(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}
