package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/tillsync/tillsync/central"
)

// ReplayQuarantined implements central.Store. The quarantine row is locked
// (FOR UPDATE) for the transaction, so two replays of one id, also from
// two processes, apply it once: the second finds the row gone. A
// transaction aborted as a deadlock victim or serialization failure is run
// again, as in IngestBatch.
func (db *DB) ReplayQuarantined(ctx context.Context, id int64) (central.ReplayResult, error) {
	for attempt := 1; ; attempt++ {
		var res central.ReplayResult
		err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
			var err error
			res, err = replay(ctx, tx, id, db.now().UnixMilli(), db.zone)
			return err
		})
		if err == nil {
			return res, nil
		}
		if central.ErrorCode(err) == central.ENOTFOUND {
			return central.ReplayResult{ID: id}, err
		}
		if !retryable(err) || attempt == maxAttempts || ctx.Err() != nil {
			return central.ReplayResult{ID: id}, fmt.Errorf("replay quarantined %d (attempt %d): %w", id, attempt, err)
		}
	}
}

func replay(ctx context.Context, tx pgx.Tx, id, nowMS int64, zone *time.Location) (central.ReplayResult, error) {
	res := central.ReplayResult{ID: id}
	var store string
	var seq, recvMS int64
	var payload []byte
	err := tx.QueryRow(ctx, `SELECT agent_id, seq, event_id, store_id, payload, received_ms
		FROM quarantine WHERE id = $1 FOR UPDATE`, id).Scan(&res.AgentID, &seq, &res.EventID, &store, &payload, &recvMS)
	if errors.Is(err, pgx.ErrNoRows) {
		return res, central.Errorf(central.ENOTFOUND, "no quarantined event %d (already replayed?)", id)
	}
	if err != nil {
		return res, fmt.Errorf("read quarantined event: %w", err)
	}
	res.Seq = uint64(seq)
	r := central.ReplayEvent(store, res.AgentID, payload, time.UnixMilli(recvMS))
	if r.Reason == "" {
		if r.Reason, err = eventRowReason(ctx, tx, res.AgentID, seq, res.EventID); err != nil {
			return res, err
		}
	}
	if r.Reason == "" && r.Sale != nil {
		var n int64
		if err := tx.QueryRow(ctx, insertSaleSQL, saleArgs(r.Sale, recvMS)...).Scan(&n); err != nil {
			return res, fmt.Errorf("insert sale %s: %w", r.Sale.ID, err)
		}
		if n != 1 {
			r.Reason = central.Reason(central.ReasonSaleIDConflict,
				"sale %s is already stored under another agent or seq", r.Sale.ID)
		} else if _, err := tx.Exec(ctx, `INSERT INTO store_totals (store_id, sales, total_fen) VALUES ($1, 1, $2)
			ON CONFLICT (store_id) DO UPDATE SET sales = store_totals.sales + 1,
			total_fen = store_totals.total_fen + excluded.total_fen`, r.Sale.StoreID, r.Sale.TotalFen); err != nil {
			return res, fmt.Errorf("update store %s totals: %w", r.Sale.StoreID, err)
		}
	}
	if r.Reason != "" {
		res.Reason = r.Reason
		if _, err := tx.Exec(ctx, `UPDATE quarantine SET reason = $1 WHERE id = $2`, r.Reason, id); err != nil {
			return res, fmt.Errorf("update reason: %w", err)
		}
		return res, nil
	}
	res.Applied = true
	l := ledger{tx: tx, nowMS: nowMS}
	if r.Ledger != nil {
		if err := l.apply(ctx, []*central.LedgerChange{r.Ledger}); err != nil {
			return res, fmt.Errorf("apply points: %w", err)
		}
		if err := l.flag(ctx); err != nil {
			return res, err
		}
	}
	if err := applyStats(ctx, tx, nowMS, zone, []statsEvent{{agent: res.AgentID, ev: r.Event}}, l.added); err != nil {
		return res, err
	}
	if _, err := tx.Exec(ctx, `UPDATE events SET kind = $1 WHERE agent_id = $2 AND seq = $3`, r.Kind, res.AgentID, seq); err != nil {
		return res, fmt.Errorf("update event kind: %w", err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM quarantine WHERE id = $1`, id); err != nil {
		return res, fmt.Errorf("delete quarantine row: %w", err)
	}
	return res, nil
}

// eventRowReason returns why the event cannot own its seq's event row, or
// "", as in package sqlite: the row must hold the event's own id (NULL for
// an event without one).
func eventRowReason(ctx context.Context, tx pgx.Tx, agent string, seq int64, eventID string) (string, error) {
	var stored *string
	if err := tx.QueryRow(ctx, `SELECT event_id FROM events WHERE agent_id = $1 AND seq = $2`,
		agent, seq).Scan(&stored); err != nil {
		return "", fmt.Errorf("look up event seq %d: %w", seq, err)
	}
	switch {
	case stored == nil && eventID == "", stored != nil && *stored == eventID:
		return "", nil
	case stored == nil:
		return central.Reason(central.ReasonEventIDConflict,
			"event id %s is already stored under another agent or seq", eventID), nil
	default:
		return central.Reason(central.ReasonSeqConflict, "seq %d is already stored with event id %q", seq, *stored), nil
	}
}
