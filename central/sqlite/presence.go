package sqlite

import (
	"context"
	"fmt"

	"github.com/tillsync/tillsync/central"
)

// presenceUpsert applies a presence message unless a later session's is
// stored. The session rule lives in the WHERE clause, not in Go, so that
// central instances sharing the database agree whichever of them receives
// a message (DESIGN §5 rule 3, §7): a lower session is a late death (or a
// redelivered birth) of an older connection; an equal or higher one wins.
const presenceUpsert = `
INSERT INTO presence (agent_id, store_id, session, online, last_seen_ms, outbox_depth, oldest_unsynced_ms, clock_skew_ms)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (agent_id) DO UPDATE SET
	store_id = excluded.store_id, session = excluded.session, online = excluded.online,
	last_seen_ms = excluded.last_seen_ms, outbox_depth = excluded.outbox_depth,
	oldest_unsynced_ms = excluded.oldest_unsynced_ms, clock_skew_ms = excluded.clock_skew_ms
WHERE excluded.session >= presence.session`

// RecordPresence implements central.Store.
func (db *DB) RecordPresence(ctx context.Context, p central.Presence) (bool, error) {
	if db.write == nil {
		return false, central.Errorf(central.EUNAVAILABLE, "database %q is open read-only", db.path)
	}
	seen, oldest, skew := p.PresenceRow()
	res, err := db.write.ExecContext(ctx, presenceUpsert, p.AgentID, p.StoreID, int64(p.Session), p.Online,
		seen, int64(p.OutboxDepth), oldest, skew)
	if err != nil {
		return false, fmt.Errorf("record presence of %s session %d: %w", p.AgentID, p.Session, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("record presence of %s session %d: %w", p.AgentID, p.Session, err)
	}
	return n > 0, nil
}

// Presence implements central.Store.
func (db *DB) Presence(ctx context.Context) ([]central.Presence, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT agent_id, store_id, session, online, last_seen_ms,
		outbox_depth, oldest_unsynced_ms, clock_skew_ms FROM presence ORDER BY store_id, agent_id`)
	if err != nil {
		return nil, fmt.Errorf("read presence: %w", err)
	}
	defer closeRows(rows, db)
	out := []central.Presence{}
	for rows.Next() {
		var p central.Presence
		var session, depth, seen, oldest, skew int64
		if err := rows.Scan(&p.AgentID, &p.StoreID, &session, &p.Online, &seen, &depth, &oldest, &skew); err != nil {
			return nil, fmt.Errorf("read presence: %w", err)
		}
		p.Session, p.OutboxDepth = uint64(session), uint64(depth)
		central.PresenceFromRow(&p, seen, oldest, skew)
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read presence: %w", err)
	}
	return out, nil
}
