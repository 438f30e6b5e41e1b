package mqtt

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/tillsync/tillsync/agent"
	"github.com/tillsync/tillsync/syncproto"
)

// SessionCounter is the ledger capability presence needs: a counter
// incremented durably, one value per connection (DESIGN §5 rule 3).
// agent/bolt's Ledger provides it; an uplink over a ledger without it
// publishes no presence.
type SessionCounter interface {
	NextSession(ctx context.Context) (uint64, error)
}

// versionSource is what the birth reads to name the downstream versions
// held (DESIGN §5 rule 4); agent/bolt's Ledger provides it.
type versionSource interface {
	CatalogVersion(ctx context.Context) (uint64, error)
	MembersVersion(ctx context.Context) (uint64, error)
	CurrentPolicy(ctx context.Context) (*agent.Policy, error)
}

// presenceState is the session of the current or next connection. used
// turns true once a connection has published its birth with it: the next
// connection attempt then takes a new value, so each connection that
// succeeds has its own session, and failed attempts burn none.
type presenceState struct {
	on      bool // the ledger keeps sessions: presence is published
	session uint64
	used    bool
}

// presenceTimeout bounds a birth or death publish.
func (u *Uplink) presenceTimeout() time.Duration { return u.cfg.ConnectTimeout }

// armWill takes the first session and sets the last will in o before the
// first connection. A ledger without sessions gets no presence.
func (u *Uplink) armWill(ctx context.Context, o *paho.ClientOptions) error {
	sc, ok := u.ledger.(SessionCounter)
	if !ok {
		u.log.Warn("ledger keeps no session counter: no presence published")
		return nil
	}
	s, err := sc.NextSession(ctx)
	if err != nil {
		return fmt.Errorf("next session: %w", err)
	}
	u.mu.Lock()
	u.presence = presenceState{on: true, session: s}
	u.mu.Unlock()
	return u.setWill(ctx, o, s)
}

// onReconnecting runs before each reconnection attempt, on paho's
// reconnect goroutine, with the options the attempt's CONNECT is built
// from. If the last session has been announced it takes the next one, so
// the will armed here is the session the coming birth carries. A failed
// increment keeps the old session: presence is then merely coarser, which
// is better than no connection.
func (u *Uplink) onReconnecting(ctx context.Context, o *paho.ClientOptions) {
	u.mu.Lock()
	st := u.presence
	u.mu.Unlock()
	if !st.on {
		return
	}
	if st.used {
		s, err := u.ledger.(SessionCounter).NextSession(ctx)
		if err != nil {
			u.log.Warn("next session failed; reusing the last one", "session", st.session, "err", err)
		} else {
			st = presenceState{on: true, session: s}
			u.mu.Lock()
			u.presence = st
			u.mu.Unlock()
		}
	}
	if err := u.setWill(ctx, o, st.session); err != nil {
		u.log.Warn("arm last will failed", "session", st.session, "err", err)
	}
}

func (u *Uplink) setWill(ctx context.Context, o *paho.ClientOptions, session uint64) error {
	b, err := u.presenceMessage(ctx, false, session)
	if err != nil {
		return err
	}
	o.SetBinaryWill(u.stateTopic, b, 1, true)
	return nil
}

// publishBirth announces the connection on the state topic, retained, so
// central and any late subscriber learn the agent is online and what it
// holds. A failed birth is logged: presence is advisory, sales flow anyway.
func (u *Uplink) publishBirth(ctx context.Context, c paho.Client) {
	u.mu.Lock()
	on, session := u.presence.on, u.presence.session
	u.presence.used = true
	u.mu.Unlock()
	if !on || ctx.Err() != nil { // a stopped Run has published its death
		return
	}
	u.publishPresence(ctx, c, true, session)
}

// republishBirth announces the current session's birth again with the
// versions held now: central answers a birth with what the store lacks.
func (u *Uplink) republishBirth(ctx context.Context, c paho.Client) {
	u.mu.Lock()
	on, used, session := u.presence.on, u.presence.used, u.presence.session
	u.mu.Unlock()
	if on && used && ctx.Err() == nil {
		u.publishPresence(ctx, c, true, session)
	}
}

// publishDeath announces a clean shutdown, which the broker does not
// answer with the will.
func (u *Uplink) publishDeath(ctx context.Context, c paho.Client) {
	u.mu.Lock()
	on, session := u.presence.on, u.presence.session
	u.mu.Unlock()
	if !on || !c.IsConnectionOpen() {
		return
	}
	u.publishPresence(ctx, c, false, session)
}

func (u *Uplink) publishPresence(ctx context.Context, c paho.Client, online bool, session uint64) {
	b, err := u.presenceMessage(ctx, online, session)
	if err != nil {
		u.log.Warn("build presence failed", "online", online, "session", session, "err", err)
		return
	}
	tok := c.Publish(u.stateTopic, 1, true, b)
	if !tok.WaitTimeout(u.presenceTimeout()) {
		u.log.Warn("presence not acknowledged", "online", online, "session", session, "timeout", u.presenceTimeout())
		return
	}
	if err := tok.Error(); err != nil {
		u.log.Warn("publish presence failed", "online", online, "session", session, "err", err)
		return
	}
	u.log.Info("presence published", "online", online, "session", session)
}

// presenceMessage encodes a birth (online) or death with the ledger's
// outbox and versions as they are now.
func (u *Uplink) presenceMessage(ctx context.Context, online bool, session uint64) ([]byte, error) {
	st, err := u.ledger.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("presence: ledger status: %w", err)
	}
	p := &syncproto.Presence{
		SchemaVersion: syncproto.SchemaVersion,
		AgentId:       u.cfg.AgentID,
		StoreId:       u.cfg.StoreID,
		Online:        online,
		Session:       session,
		OutboxDepth:   st.OutboxDepth(),
		LastSeq:       st.LastSeq,
		SentAtMs:      u.cfg.Now().UnixMilli(),
	}
	if !st.OldestUnacked.IsZero() {
		p.OldestUnsyncedMs = st.OldestUnacked.UnixMilli()
	}
	if vs, ok := u.ledger.(versionSource); ok {
		if p.Versions, err = streamVersions(ctx, vs); err != nil {
			return nil, err
		}
	}
	return syncproto.EncodePresence(p)
}

// streamVersions lists the downstream versions held; 0 means none loaded.
// A ledger that takes central's streams names all of them, members as
// central's record version (not a hand-loaded file's, whose numbers mean
// nothing to central); an older one names catalog, policy and members.
func streamVersions(ctx context.Context, vs versionSource) ([]*syncproto.StreamVersion, error) {
	held := map[string]uint64{}
	if ds, ok := vs.(agent.Downstream); ok {
		var err error
		if held, err = agent.StreamVersions(ctx, ds); err != nil {
			return nil, fmt.Errorf("presence: %w", err)
		}
	} else {
		var err error
		if held[syncproto.StreamCatalog], err = vs.CatalogVersion(ctx); err != nil {
			return nil, fmt.Errorf("presence: %w", err)
		}
		if held[syncproto.StreamMembers], err = vs.MembersVersion(ctx); err != nil {
			return nil, fmt.Errorf("presence: %w", err)
		}
		held[syncproto.StreamPolicy] = 0
		switch p, err := vs.CurrentPolicy(ctx); {
		case err == nil:
			held[syncproto.StreamPolicy] = p.Version
		case agent.ErrorCode(err) != agent.EUNAVAILABLE: // EUNAVAILABLE: none loaded
			return nil, fmt.Errorf("presence: %w", err)
		}
	}
	out := make([]*syncproto.StreamVersion, 0, len(held))
	for _, name := range slices.Sorted(maps.Keys(held)) {
		out = append(out, &syncproto.StreamVersion{Stream: name, Version: held[name]})
	}
	return out, nil
}
