package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/tillsync/tillsync/central"
)

// ReplayQuarantined implements central.Store. It runs in one write
// transaction (SQLite has one writer), so two replays of one id apply it
// once: the second finds the quarantine row gone.
func (db *DB) ReplayQuarantined(ctx context.Context, id int64) (central.ReplayResult, error) {
	res := central.ReplayResult{ID: id}
	if db.write == nil {
		return res, central.Errorf(central.EUNAVAILABLE, "database %q is open read-only", db.path)
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return res, fmt.Errorf("replay quarantined %d: begin: %w", id, err)
	}
	defer rollback(tx, db.logger)
	var store string
	var seq, recvMS int64
	var payload []byte
	err = tx.QueryRowContext(ctx, `SELECT agent_id, seq, event_id, store_id, payload, received_ms
		FROM quarantine WHERE id = ?`, id).Scan(&res.AgentID, &seq, &res.EventID, &store, &payload, &recvMS)
	if errors.Is(err, sql.ErrNoRows) {
		return res, central.Errorf(central.ENOTFOUND, "no quarantined event %d (already replayed?)", id)
	}
	if err != nil {
		return res, fmt.Errorf("replay quarantined %d: %w", id, err)
	}
	res.Seq = uint64(seq)
	r := central.ReplayEvent(store, res.AgentID, payload, time.UnixMilli(recvMS))
	if r.Reason == "" {
		r.Reason, err = eventRowReason(ctx, tx, res.AgentID, seq, res.EventID)
		if err != nil {
			return res, fmt.Errorf("replay quarantined %d: %w", id, err)
		}
	}
	if r.Reason == "" && r.Sale != nil {
		in := ingest{tx: tx, receivedMS: recvMS}
		ok, err := in.insertSale(ctx, r.Sale)
		if err != nil {
			return res, fmt.Errorf("replay quarantined %d: %w", id, err)
		}
		if !ok {
			r.Reason = central.Reason(central.ReasonSaleIDConflict,
				"sale %s is already stored under another agent or seq", r.Sale.ID)
		}
	}
	if r.Reason == "" {
		l := ledger{tx: tx, nowMS: db.now().UnixMilli()}
		if err := l.apply(ctx, r.Ledger); err != nil {
			return res, fmt.Errorf("replay quarantined %d: %w", id, err)
		}
		if err := l.flag(ctx); err != nil {
			return res, fmt.Errorf("replay quarantined %d: %w", id, err)
		}
		st := statsWriter{tx: tx, nowMS: l.nowMS, change: central.ActivityChange{Zone: db.zone}}
		if err := st.event(ctx, res.AgentID, r.Event); err != nil {
			return res, fmt.Errorf("replay quarantined %d: %w", id, err)
		}
		st.points(l.added)
		if err := st.flush(ctx); err != nil {
			return res, fmt.Errorf("replay quarantined %d: %w", id, err)
		}
	}
	if err := finishReplay(ctx, tx, id, seq, &res, r); err != nil {
		return res, fmt.Errorf("replay quarantined %d: %w", id, err)
	}
	if err := tx.Commit(); err != nil {
		return central.ReplayResult{ID: id}, fmt.Errorf("replay quarantined %d: commit: %w", id, err)
	}
	return res, nil
}

// eventRowReason returns why the event cannot own its seq's event row, or
// "": the row must hold the event's own id (NULL for an event without
// one). Another id there means the seq was reused; NULL for an event with
// an id means its id is taken by another (agent, seq).
func eventRowReason(ctx context.Context, tx *sql.Tx, agent string, seq int64, eventID string) (string, error) {
	var stored sql.NullString
	if err := tx.QueryRowContext(ctx, `SELECT event_id FROM events WHERE agent_id = ? AND seq = ?`,
		agent, seq).Scan(&stored); err != nil {
		return "", fmt.Errorf("look up event seq %d: %w", seq, err)
	}
	switch {
	case stored.String == eventID:
		return "", nil
	case !stored.Valid:
		return central.Reason(central.ReasonEventIDConflict,
			"event id %s is already stored under another agent or seq", eventID), nil
	default:
		return central.Reason(central.ReasonSeqConflict, "seq %d is already stored with event id %q", seq, stored.String), nil
	}
}

// finishReplay keeps the event with its new reason, or marks its event row
// with the kind now known and deletes its quarantine row.
func finishReplay(ctx context.Context, tx *sql.Tx, id, seq int64, res *central.ReplayResult, r central.Replayed) error {
	if r.Reason != "" {
		res.Reason = r.Reason
		if _, err := tx.ExecContext(ctx, `UPDATE quarantine SET reason = ? WHERE id = ?`, r.Reason, id); err != nil {
			return fmt.Errorf("update reason: %w", err)
		}
		return nil
	}
	res.Applied = true
	if _, err := tx.ExecContext(ctx, `UPDATE events SET kind = ? WHERE agent_id = ? AND seq = ?`,
		r.Kind, res.AgentID, seq); err != nil {
		return fmt.Errorf("update event kind: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM quarantine WHERE id = ?`, id); err != nil {
		return fmt.Errorf("delete quarantine row: %w", err)
	}
	return nil
}
