package mqtt

import (
	"context"
	"slices"
	"time"

	"github.com/tillsync/tillsync/central"
	"github.com/tillsync/tillsync/syncproto"
)

// Downlink defaults.
const (
	// DefaultDeltaWindow is the most deltas a catch-up sends; a store
	// further behind gets the latest snapshot instead.
	DefaultDeltaWindow = 10
	// DefaultBroadcastPoll is how often an instance looks for stream
	// versions no instance has broadcast yet (added by a command, or left
	// by an instance that crashed before broadcasting).
	DefaultBroadcastPoll = 2 * time.Second
	// DefaultMembersRefresh is how often an instance recomputes every
	// store's member records and appends a version where they changed
	// (central.RefreshMembers); never more often than the broadcast poll.
	DefaultMembersRefresh = 5 * time.Second
)

// downlinker publishes the downstream streams: every new version to the
// stores it is for (all stores, or one store for a per-store stream), and
// a catch-up to one store whose agent announced older versions in its
// birth (DESIGN §5 rule 4); it also refreshes the stores' member records. It decides from the database
// alone, so any number of instances may run it (DESIGN §7): a version two
// instances both broadcast is applied once, since stores ignore a version
// they hold.
type downlinker struct {
	in     *Ingester
	store  central.Downstreams
	window int
	poll   time.Duration
}

// runBroadcasts publishes unbroadcast versions every poll, and refreshes
// the member records every DefaultMembersRefresh, until ctx ends.
func (d *downlinker) runBroadcasts(ctx context.Context) {
	t := time.NewTicker(d.poll)
	defer t.Stop()
	var refreshed time.Time
	for {
		if now := d.in.cfg.Now(); now.Sub(refreshed) >= DefaultMembersRefresh {
			d.refreshMembers(ctx, now)
			refreshed = now
		}
		d.broadcastPending(ctx)
		select {
		case <-ctx.Done():
			return
		case <-d.in.stop:
			return
		case <-t.C:
		}
	}
}

func (d *downlinker) broadcastPending(ctx context.Context) {
	if !d.in.client.IsConnectionOpen() {
		return
	}
	pending, err := d.store.UnbroadcastVersions(ctx, 100)
	if err != nil {
		d.in.logger.Warn("read unbroadcast stream versions", "err", err)
		return
	}
	for _, v := range pending {
		topic := d.in.cfg.Topics.AllDown()
		if _, store := central.SplitStream(v.Stream); store != "" {
			topic = d.in.cfg.Topics.StoreDown(store) // a store's own stream goes to it alone
		}
		if !d.publish(topic, central.BroadcastUpdate(v)) {
			return // try again at the next poll
		}
		if err := d.store.MarkBroadcast(ctx, v.Stream, v.Version, d.in.cfg.Now()); err != nil {
			d.in.logger.Warn("mark stream version broadcast", "stream", v.Stream, "version", v.Version, "err", err)
			return
		}
		d.in.logger.Info("stream version broadcast", "stream", v.Stream, "version", v.Version)
	}
}

// catchUp sends store what its agent lacks of each stream, on the store's
// down topic, given the versions the agent's birth named.
func (d *downlinker) catchUp(ctx context.Context, store string, held []*syncproto.StreamVersion) {
	have := make(map[string]uint64, len(held))
	for _, v := range held {
		have[v.GetStream()] = v.GetVersion()
	}
	keys := make(map[string]string, len(central.Streams)+len(central.StoreStreams)) // stream key → wire name
	order := slices.Clone(central.Streams)
	for _, s := range central.Streams {
		keys[s] = s
	}
	for _, s := range central.StoreStreams {
		k := central.StoreStream(s, store)
		keys[k] = s
		order = append(order, k)
	}
	for _, stream := range order {
		name := keys[stream]
		latest, err := d.store.LatestStreamVersion(ctx, stream)
		if err != nil {
			d.in.logger.Warn("read latest stream version", "stream", stream, "err", err)
			continue
		}
		if latest == nil || have[name] >= latest.Version {
			continue
		}
		deltas, err := d.store.StreamDeltas(ctx, stream, have[name], d.window)
		if err != nil {
			d.in.logger.Warn("read stream deltas", "stream", stream, "err", err)
			continue
		}
		updates := central.CatchUp(have[name], latest, deltas, d.window)
		for _, u := range updates {
			if !d.publish(d.in.cfg.Topics.StoreDown(store), u) {
				break
			}
		}
		d.in.logger.Info("store caught up", "store", store, "stream", name, "from", have[name],
			"to", latest.Version, "updates", len(updates), "snapshot", len(updates) == 1 && updates[0].Snapshot)
	}
}

// refreshMembers appends the member record versions that changed, when
// the database is a member source. Several instances may run it at once
// (central.RefreshStoreMembers decides in the database).
func (d *downlinker) refreshMembers(ctx context.Context, now time.Time) {
	src, ok := d.store.(central.MemberSource)
	if !ok {
		return
	}
	n, err := central.RefreshMembers(ctx, src, d.store, now)
	if err != nil {
		d.in.logger.Warn("refresh member records", "err", err)
	}
	if n > 0 {
		d.in.logger.Info("member records refreshed", "stores", n)
	}
}

// publish sends every chunk of u to topic; false when one failed (the
// store will announce its versions again and be caught up then).
func (d *downlinker) publish(topic string, u syncproto.Update) bool {
	msgs, err := syncproto.ChunkUpdate(d.in.cfg.Topics.Chain, d.in.cfg.Now().UnixMilli(), u)
	if err != nil {
		d.in.logger.Error("chunk stream update", "stream", u.Stream, "version", u.Version, "err", err)
		return false
	}
	for _, m := range msgs {
		payload, err := syncproto.EncodeDownlink(m)
		if err != nil {
			d.in.logger.Error("encode downlink", "stream", u.Stream, "err", err)
			return false
		}
		tok := d.in.client.Publish(topic, 1, false, payload)
		if !tok.WaitTimeout(d.in.cfg.AckTimeout) || tok.Error() != nil {
			d.in.logger.Warn("downlink publish failed", "topic", topic, "stream", u.Stream, "version", u.Version, "err", tok.Error())
			return false
		}
	}
	return true
}
