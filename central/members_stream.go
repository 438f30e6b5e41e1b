package central

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tillsync/tillsync/syncproto"
	"google.golang.org/protobuf/proto"
)

// How a store's member records say "balance as of" (BalanceAt).
//
// The agent computes a member's points as central's record plus its own
// local entries with At after the record's BalanceAt (agent/bolt
// LocalEntries); its offline redemption bound subtracts those local
// debits. The bound is safe as long as no local debit is dropped (neither
// in central's balance nor replayed) and no local credit is counted twice
// (in central's balance and replayed). Counting a debit twice or dropping
// a credit only makes the bound lower, never higher.
//
// Central cannot know which of the store's entries are still in flight,
// but it knows, per agent of the store, a time before which every event
// of the agent is applied (AgentCut.AppliedBefore). The store's cut is
// the least of those, less a millisecond (events of one millisecond are
// not ordered by their wall time, so the cut never splits one). Then, per
// card, BalanceAt is the latest time of one of the store's own entries of
// the card at or before the store's cut (zero when none): moving it
// within a span holding no entry of the card changes no count on either
// side, and pinning it to an entry keeps a record unchanged while the
// card does not change, so a version carries only changed members.
//
// Central's record counts every entry it holds of the card except the
// store's own credits after BalanceAt, which the agent replays itself:
//   - store entries at or before BalanceAt are all applied, counted once
//     at central and not replayed;
//   - store credits after BalanceAt are counted by the agent alone (and
//     dropped, which is safe, by another agent of the store or when the
//     agent compacted them);
//   - store debits after BalanceAt are counted by central if it holds
//     them and by the agent again: twice, a lower bound for a moment, and
//     once again exact when the cut passes them (the next records).
//
// This rests on each agent's wall clock not stepping back: an event
// committed after a clock step back could fall before the cut unapplied.

// AgentCut is what central knows of how far one agent of a store is
// applied.
type AgentCut struct {
	AgentID string
	// Contiguous is the agent wall time of the event at the agent's
	// ContiguousThrough seq (every seq up to it is stored); zero when
	// that is 0.
	Contiguous time.Time
	// Presence is a time before which, per the agent's latest presence
	// message, every event of the agent was acked (PresenceAppliedBefore);
	// zero when none says so.
	Presence time.Time
	// Quarantined is the earliest agent wall time of the agent's events
	// held in quarantine; zero when none. A quarantined event was acked
	// but its points are not on the ledger, so the cut stays before it
	// until it is replayed: the agent keeps counting it itself.
	Quarantined time.Time
}

// presenceMargin covers a birth's send time being read just after its
// outbox depth: an event committed in between is at most a moment older
// than the send time, far less than this.
const presenceMargin = time.Second

// PresenceAppliedBefore returns the time before which p says every event
// of its agent was acked (and so applied at central): the oldest unsynced
// event's wall time, or, with an empty outbox, the message's send time
// less presenceMargin. Zero when p says nothing.
func PresenceAppliedBefore(p Presence) time.Time {
	if p.OutboxDepth > 0 {
		return p.OldestUnsynced
	}
	if p.LastSeen.IsZero() {
		return time.Time{}
	}
	return p.LastSeen.Add(-p.ClockSkew).Add(-presenceMargin)
}

// AppliedBefore is the time before which every event of the agent is
// applied at central: the later of Contiguous and Presence, but not after
// Quarantined.
func (a AgentCut) AppliedBefore() time.Time {
	t := a.Contiguous
	if a.Presence.After(t) {
		t = a.Presence
	}
	if !a.Quarantined.IsZero() && a.Quarantined.Before(t) {
		t = a.Quarantined
	}
	return t
}

// StoreCut is the store's cut (see the comment above AgentCut): a
// millisecond before the least AppliedBefore of its agents, truncated to
// the millisecond; zero when an agent has none or the store has no agent.
func StoreCut(agents []AgentCut) time.Time {
	var cut time.Time
	for i, a := range agents {
		t := a.AppliedBefore()
		if t.IsZero() {
			return time.Time{}
		}
		if i == 0 || t.Before(cut) {
			cut = t
		}
	}
	if cut.IsZero() {
		return cut
	}
	return time.UnixMilli(cut.UnixMilli() - 1).UTC()
}

// StoreMemberCard is one card of a store's member set with every entry
// central holds of it.
type StoreMemberCard struct {
	Card       string
	MemberID   string
	MaskedName string // from the card's enrollment, when central has it
	PhoneLast4 string
	// Tier is the card's tier (TierStore), "" when it has none.
	Tier    string
	Entries []PointsEntry
}

// StoreMembers is what central's member records of one store are made of.
type StoreMembers struct {
	Store  string
	Agents []AgentCut
	Cards  []StoreMemberCard
}

// MemberSource reads the member sets of stores. Implementations are safe
// for concurrent use.
type MemberSource interface {
	// MemberStores returns the stores central knows an agent of (by a
	// batch or a presence message), ordered.
	MemberStores(ctx context.Context) ([]string, error)
	// StoreMembers returns store's agents and its member set: the cards
	// with points entries from the store or enrolled at it, ordered by
	// card.
	StoreMembers(ctx context.Context, store string) (*StoreMembers, error)
}

// MemberRecords returns the store's member records as of now, ordered by
// card; blocks is the chain-wide block list (nil for none).
func MemberRecords(sm *StoreMembers, blocks *syncproto.CardBlocksContent, now time.Time) []*syncproto.MemberRecord {
	blocked := make(map[string]*syncproto.CardBlock, len(blocks.GetBlocked()))
	for _, b := range blocks.GetBlocked() {
		blocked[b.GetCard()] = b
	}
	storeCut := StoreCut(sm.Agents)
	out := make([]*syncproto.MemberRecord, 0, len(sm.Cards))
	for _, c := range sm.Cards {
		r := memberRecord(sm.Store, storeCut, c, now)
		if b := blocked[c.Card]; b != nil {
			r.Blocked, r.BlockReason = true, b.GetReason()
		}
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b *syncproto.MemberRecord) int { return strings.Compare(a.GetCard(), b.GetCard()) })
	return out
}

// ownEntry reports whether e is one of store's agents' entries (which the
// agent holds locally), not one central made.
func ownEntry(store string, e PointsEntry) bool {
	return e.StoreID == store && !strings.HasPrefix(e.ID, centralIDPrefix)
}

func memberRecord(store string, storeCut time.Time, c StoreMemberCard, now time.Time) *syncproto.MemberRecord {
	var cutMs int64 // the card's BalanceAt: its latest own entry at or before the store's cut
	if !storeCut.IsZero() {
		for _, e := range c.Entries {
			if ownEntry(store, e) && e.At.UnixMilli() <= storeCut.UnixMilli() {
				cutMs = max(cutMs, e.At.UnixMilli())
			}
		}
	}
	counted := make([]PointsEntry, 0, len(c.Entries))
	for _, e := range c.Entries {
		if ownEntry(store, e) && e.Points > 0 && (cutMs == 0 || e.At.UnixMilli() > cutMs) {
			continue // the agent replays its own credits after the cut
		}
		counted = append(counted, e)
	}
	lots, debt := liveLots(counted, now)
	r := &syncproto.MemberRecord{Card: c.Card, MemberId: c.MemberID, MaskedName: c.MaskedName,
		PhoneLast4: c.PhoneLast4, Tier: c.Tier, BalanceAtMs: cutMs, Debt: debt}
	for _, l := range lots {
		if !l.e.AvailableAt.After(now) {
			r.Balance += l.left
		}
		r.Lots = append(r.Lots, &syncproto.PointsLot{LotId: l.e.ID, Points: l.left, EarnedAtMs: l.e.At.UnixMilli(),
			AvailableAtMs: lotMillis(l.e.AvailableAt), ExpiresAtMs: lotMillis(l.e.ExpiresAt), SaleId: l.e.SaleID})
	}
	return r
}

func lotMillis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// liveLots replays entries as ExpireLots does (credits repay debt first,
// then make lots; debits take from live lots FIFO, a reversal from its
// sale's pending lots first; a lot is dead from its expiry on) and
// returns the lots with points left at now, FIFO order, and the debt.
// An expired entry counts at its lot's expiry; a lot whose expiry has
// passed without one is dead all the same (the member cannot spend it).
func liveLots(entries []PointsEntry, now time.Time) ([]*lot, int64) {
	es := slices.Clone(entries)
	slices.SortFunc(es, func(a, b PointsEntry) int { return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.ID, b.ID)) })
	posted := map[string]int64{}
	for _, e := range es {
		if e.Kind == PointsExpired {
			posted[e.LotID] += -e.Points
		}
	}
	var lots []*lot
	var debt int64
	expire := func(until time.Time) {
		for _, l := range lots {
			if l.done || l.e.ExpiresAt.IsZero() || l.e.ExpiresAt.After(until) {
				continue
			}
			if p, ok := posted[l.e.ID]; ok {
				debt += max(0, p-l.left)
			}
			l.left, l.done = 0, true
		}
	}
	for _, e := range es {
		expire(e.At)
		switch {
		case e.Kind == PointsExpired:
		case e.Kind == PointsTransferOut:
			debt = transferOut(lots, debt, e)
		case e.credit():
			repaid := min(debt, e.Points)
			debt -= repaid
			lots = append(lots, &lot{e: e, left: e.Points - repaid})
		case e.Points < 0:
			debt += debit(lots, -e.Points, e)
		}
	}
	expire(now)
	lots = slices.DeleteFunc(lots, func(l *lot) bool { return l.left <= 0 })
	slices.SortStableFunc(lots, func(a, b *lot) int { return fifo(a.e, b.e) })
	return lots, debt
}

// DiffMembers returns the delta that takes a store from old to next:
// records new or changed in next, and cards next no longer lists.
func DiffMembers(old, next *syncproto.MembersContent) *syncproto.MembersContent {
	before := make(map[string]*syncproto.MemberRecord, len(old.GetUpserts()))
	for _, r := range old.GetUpserts() {
		before[r.GetCard()] = r
	}
	d := &syncproto.MembersContent{}
	for _, r := range next.GetUpserts() {
		if prev, ok := before[r.GetCard()]; !ok || !proto.Equal(prev, r) {
			d.Upserts = append(d.Upserts, r)
		}
		delete(before, r.GetCard())
	}
	for card := range before {
		d.RemovedCards = append(d.RemovedCards, card)
	}
	slices.Sort(d.RemovedCards)
	return d
}

// RefreshStoreMembers computes store's member records as of now and, when
// any changed, appends the next version of its members stream: the delta
// from the latest and the whole snapshot. It is safe on several instances
// at once: the append is decided in the database, and a version computed
// from data older than the latest version (now not after its creation) is
// not appended, so a slow instance never replaces newer records. It
// returns the version appended, or nil when nothing changed.
func RefreshStoreMembers(ctx context.Context, src MemberSource, ds Downstreams, store string, now time.Time) (*StreamVersion, error) {
	sm, err := src.StoreMembers(ctx, store)
	if err != nil {
		return nil, fmt.Errorf("members of store %s: %w", store, err)
	}
	blocks, err := ds.LatestStreamVersion(ctx, syncproto.StreamCardBlocks)
	if err != nil {
		return nil, err
	}
	var bl *syncproto.CardBlocksContent
	if blocks != nil {
		bl = blocks.Snapshot.GetCardBlocks()
	}
	next := &syncproto.MembersContent{Upserts: MemberRecords(sm, bl, now)}
	wrap := func(c *syncproto.MembersContent) *syncproto.StreamContent {
		return &syncproto.StreamContent{Content: &syncproto.StreamContent_Members{Members: c}}
	}
	var appended bool
	v, err := appendChange(ctx, ds, StoreStream(syncproto.StreamMembers, store), now, func(latest *StreamVersion) (*StreamVersion, bool) {
		if latest == nil {
			appended = len(next.GetUpserts()) > 0
			return &StreamVersion{Delta: wrap(next), Snapshot: wrap(next), DeltaIsWhole: true}, appended
		}
		if !now.After(latest.CreatedAt) {
			return nil, false // another instance computed from newer data
		}
		d := DiffMembers(latest.Snapshot.GetMembers(), next)
		appended = len(d.GetUpserts()) > 0 || len(d.GetRemovedCards()) > 0
		return &StreamVersion{Delta: wrap(d), Snapshot: wrap(next)}, appended
	})
	if err != nil || !appended {
		return nil, err
	}
	return v, nil
}

// RefreshMembers runs RefreshStoreMembers for every store MemberStores
// lists and returns how many versions it appended. A store that fails is
// skipped; the errors are returned joined after every store was tried.
func RefreshMembers(ctx context.Context, src MemberSource, ds Downstreams, now time.Time) (int, error) {
	stores, err := src.MemberStores(ctx)
	if err != nil {
		return 0, err
	}
	var n int
	var errs []error
	for _, s := range stores {
		v, err := RefreshStoreMembers(ctx, src, ds, s, now)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if v != nil {
			n++
		}
	}
	return n, errors.Join(errs...)
}

// EnrolledMember is the display data a MemberEnrolled event gives its card.
func EnrolledMember(ev *syncproto.Event) (card, memberID, maskedName, phoneLast4 string, ok bool) {
	me := ev.GetMemberEnrolled()
	if me == nil || me.GetMemberCard() == "" {
		return "", "", "", "", false
	}
	return me.GetMemberCard(), me.GetMemberId(), me.GetMaskedName(), me.GetPhoneLast4(), true
}

// AgentTimes reads, for one agent, the agent wall time of its event at
// ContiguousThrough and the earliest wall time of its quarantined events
// (zero when none): the two queries each database answers for AgentCuts.
type AgentTimes func(ctx context.Context, a AgentSync) (contiguous, quarantined time.Time, err error)

// AgentCuts returns how far each agent of store is applied, ordered by
// agent id: every agent known to the store by a batch (syncs) or a
// presence message (presence), with the times times reads for those that
// sent batches.
func AgentCuts(ctx context.Context, store string, syncs []AgentSync, presence []Presence, times AgentTimes) ([]AgentCut, error) {
	cuts := map[string]*AgentCut{}
	get := func(id string) *AgentCut {
		if cuts[id] == nil {
			cuts[id] = &AgentCut{AgentID: id}
		}
		return cuts[id]
	}
	for _, p := range presence {
		if p.StoreID == store {
			get(p.AgentID).Presence = PresenceAppliedBefore(p)
		}
	}
	for _, a := range syncs {
		if a.StoreID != store {
			continue
		}
		c := get(a.AgentID)
		var err error
		if c.Contiguous, c.Quarantined, err = times(ctx, a); err != nil {
			return nil, err
		}
	}
	out := make([]AgentCut, 0, len(cuts))
	for _, c := range cuts {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b AgentCut) int { return strings.Compare(a.AgentID, b.AgentID) })
	return out, nil
}
