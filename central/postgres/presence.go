package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/tillsync/tillsync/central"
)

// presenceUpsert applies a presence message unless a later session's is
// stored. The session rule lives in the WHERE clause, not in Go, so that
// central instances sharing the database agree whichever of them receives
// a message (DESIGN §5 rule 3, §7): a lower session is a late death (or a
// redelivered birth) of an older connection; an equal or higher one wins.
const presenceUpsert = `
INSERT INTO presence (agent_id, store_id, session, online, last_seen_ms, outbox_depth, oldest_unsynced_ms, clock_skew_ms)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (agent_id) DO UPDATE SET
	store_id = excluded.store_id, session = excluded.session, online = excluded.online,
	last_seen_ms = excluded.last_seen_ms, outbox_depth = excluded.outbox_depth,
	oldest_unsynced_ms = excluded.oldest_unsynced_ms, clock_skew_ms = excluded.clock_skew_ms
WHERE excluded.session >= presence.session`

// RecordPresence implements central.Store.
func (db *DB) RecordPresence(ctx context.Context, p central.Presence) (bool, error) {
	seen, oldest, skew := p.PresenceRow()
	tag, err := db.pool.Exec(ctx, presenceUpsert, p.AgentID, p.StoreID, int64(p.Session), p.Online,
		seen, int64(p.OutboxDepth), oldest, skew)
	if err != nil {
		return false, fmt.Errorf("record presence of %s session %d: %w", p.AgentID, p.Session, err)
	}
	return tag.RowsAffected() > 0, nil
}

// Presence implements central.Store.
func (db *DB) Presence(ctx context.Context) ([]central.Presence, error) {
	rows, err := db.pool.Query(ctx, `SELECT agent_id, store_id, session, online, last_seen_ms,
		outbox_depth, oldest_unsynced_ms, clock_skew_ms FROM presence ORDER BY store_id, agent_id`)
	if err != nil {
		return nil, fmt.Errorf("read presence: %w", err)
	}
	out := []central.Presence{}
	var p central.Presence
	var session, depth, seen, oldest, skew int64
	if _, err := pgx.ForEachRow(rows, []any{&p.AgentID, &p.StoreID, &session, &p.Online, &seen, &depth,
		&oldest, &skew}, func() error {
		q := central.Presence{AgentID: p.AgentID, StoreID: p.StoreID, Session: uint64(session),
			Online: p.Online, OutboxDepth: uint64(depth)}
		central.PresenceFromRow(&q, seen, oldest, skew)
		out = append(out, q)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read presence: %w", err)
	}
	return out, nil
}
