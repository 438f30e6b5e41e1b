package central

import (
	"time"

	"github.com/tillsync/tillsync/syncproto"
)

// Presence is what central knows of one agent's connection, from its
// birth and death messages (DESIGN §5 rule 3).
type Presence struct {
	AgentID string
	StoreID string
	// Session is the agent's connection counter of the latest message
	// applied. A message of a lower session is stale and changes nothing.
	Session uint64
	// Online is true after a birth, false after a death of the same or a
	// later session.
	Online bool
	// LastSeen is central's clock when the latest applied message arrived.
	LastSeen time.Time
	// OutboxDepth is how many events the agent had not had acked.
	OutboxDepth uint64
	// OldestUnsynced is the wall time of the oldest of them; zero when
	// the outbox was empty.
	OldestUnsynced time.Time
	// ClockSkew is central's receive time minus the agent's send time. It
	// includes transit and broker queueing (and, for a will, the time
	// since the connection began), so it bounds the clock difference from
	// above (DESIGN §5.7).
	ClockSkew time.Duration
}

// PresenceFromMessage is the Presence a validated message received at
// receivedAt records.
func PresenceFromMessage(m *syncproto.Presence, receivedAt time.Time) Presence {
	p := Presence{
		AgentID:     m.GetAgentId(),
		StoreID:     m.GetStoreId(),
		Session:     m.GetSession(),
		Online:      m.GetOnline(),
		LastSeen:    receivedAt.UTC(),
		OutboxDepth: m.GetOutboxDepth(),
		ClockSkew:   time.Duration(receivedAt.UnixMilli()-m.GetSentAtMs()) * time.Millisecond,
	}
	if ms := m.GetOldestUnsyncedMs(); ms != 0 {
		p.OldestUnsynced = time.UnixMilli(ms).UTC()
	}
	return p
}

// presenceMillis converts an optional time to the stored milliseconds, 0
// for the zero time.
func presenceMillis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// PresenceRow is p as the stores keep it: times in Unix milliseconds, 0
// for none. It exists so both stores encode the row alike.
func (p Presence) PresenceRow() (lastSeenMS, oldestUnsyncedMS, clockSkewMS int64) {
	return presenceMillis(p.LastSeen), presenceMillis(p.OldestUnsynced), p.ClockSkew.Milliseconds()
}

// PresenceFromRow is the inverse of PresenceRow for the time fields.
func PresenceFromRow(p *Presence, lastSeenMS, oldestUnsyncedMS, clockSkewMS int64) {
	if lastSeenMS != 0 {
		p.LastSeen = time.UnixMilli(lastSeenMS).UTC()
	}
	if oldestUnsyncedMS != 0 {
		p.OldestUnsynced = time.UnixMilli(oldestUnsyncedMS).UTC()
	}
	p.ClockSkew = time.Duration(clockSkewMS) * time.Millisecond
}
