package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/tillsync/tillsync/central"
	"github.com/tillsync/tillsync/syncproto"
	"google.golang.org/protobuf/proto"
)

// payloadOptions keep stored payloads byte-stable for one build; unknown
// fields from a newer agent are kept, so a quarantined event of an unknown
// kind can be re-applied after an upgrade.
var payloadOptions = proto.MarshalOptions{Deterministic: true}

// outcome is what happened to one event.
type outcome int

const (
	applied outcome = iota
	duplicate
	quarantined
)

// IngestBatch implements central.Store. The events' unique keys are the
// idempotency guard: every insert is ON CONFLICT DO NOTHING and derived rows
// are written only when the insert took, so a redelivered, reordered or
// concurrently delivered batch changes nothing twice.
func (db *DB) IngestBatch(ctx context.Context, b *syncproto.Batch, receivedAt time.Time) (central.IngestResult, error) {
	var res central.IngestResult
	if err := central.ValidateBatch(b, b.GetStoreId(), b.GetAgentId()); err != nil {
		return res, err
	}
	if db.write == nil {
		return res, central.Errorf(central.EUNAVAILABLE, "database %q is open read-only", db.path)
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return res, fmt.Errorf("ingest batch %s %d..%d: begin: %w", b.GetAgentId(), b.GetFirstSeq(), b.GetLastSeq(), err)
	}
	defer rollback(tx, db.logger)
	ing := ingest{tx: tx, b: b, receivedMS: receivedAt.UnixMilli(),
		ledger: ledger{tx: tx, nowMS: receivedAt.UnixMilli()}, stats: statsWriter{tx: tx, nowMS: receivedAt.UnixMilli(), change: central.ActivityChange{Zone: db.zone}}}
	for _, ev := range b.GetEvents() {
		o, err := ing.event(ctx, ev, receivedAt)
		if err != nil {
			return central.IngestResult{}, fmt.Errorf("ingest batch %s: %w", b.GetAgentId(), err)
		}
		switch o {
		case applied:
			res.Applied++
		case duplicate:
			res.Duplicates++
		case quarantined:
			res.Quarantined++
		}
	}
	if err := ing.ledger.flag(ctx); err != nil {
		return central.IngestResult{}, fmt.Errorf("ingest batch %s: %w", b.GetAgentId(), err)
	}
	ing.stats.points(ing.ledger.added)
	if err := ing.stats.flush(ctx); err != nil {
		return central.IngestResult{}, fmt.Errorf("ingest batch %s: %w", b.GetAgentId(), err)
	}
	if err := ing.agent(ctx); err != nil {
		return central.IngestResult{}, fmt.Errorf("ingest batch %s: %w", b.GetAgentId(), err)
	}
	if err := tx.Commit(); err != nil {
		return central.IngestResult{}, fmt.Errorf("ingest batch %s %d..%d: commit: %w", b.GetAgentId(), b.GetFirstSeq(), b.GetLastSeq(), err)
	}
	return res, nil
}

// ingest writes one batch inside tx.
type ingest struct {
	tx         *sql.Tx
	b          *syncproto.Batch
	receivedMS int64
	ledger     ledger
	stats      statsWriter // member statistics (memberstats.go)
}

func (in *ingest) event(ctx context.Context, ev *syncproto.Event, receivedAt time.Time) (outcome, error) {
	payload, err := payloadOptions.Marshal(ev)
	if err != nil {
		return 0, fmt.Errorf("event seq %d: encode payload: %w", ev.GetSeq(), err)
	}
	sale, lc, reason := central.CheckEvent(in.b, ev, receivedAt)
	ok, err := in.insertEvent(ctx, ev, nullable(ev.GetEventId()), payload)
	if err != nil {
		return 0, err
	}
	if !ok {
		return in.conflict(ctx, ev, payload)
	}
	if reason != "" {
		return in.quarantine(ctx, ev, reason, payload)
	}
	if sale != nil {
		ok, err = in.insertSale(ctx, sale)
		if err != nil {
			return 0, err
		}
		if !ok {
			return in.quarantine(ctx, ev, central.Reason(central.ReasonSaleIDConflict,
				"sale %s is already stored under another agent or seq", sale.ID), payload)
		}
	}
	// Points only with an applied event: a quarantined one's points wait
	// for its replay.
	if err := in.ledger.apply(ctx, lc); err != nil {
		return 0, fmt.Errorf("event seq %d: %w", ev.GetSeq(), err)
	}
	if err := in.stats.event(ctx, in.b.GetAgentId(), ev); err != nil {
		return 0, fmt.Errorf("event seq %d: %w", ev.GetSeq(), err)
	}
	return applied, nil
}

// insertEvent reports whether the event row was inserted; false means one
// of its unique keys, (agent_id, seq) or event_id, is already taken.
func (in *ingest) insertEvent(ctx context.Context, ev *syncproto.Event, eventID sql.NullString, payload []byte) (bool, error) {
	r, err := in.tx.ExecContext(ctx, `INSERT INTO events
		(agent_id, seq, event_id, store_id, kind, agent_wall_ms, received_ms, payload)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		in.b.GetAgentId(), int64(ev.GetSeq()), eventID, in.b.GetStoreId(), central.EventKind(ev),
		ev.GetWallTimeMs(), in.receivedMS, payload)
	if err != nil {
		return false, fmt.Errorf("insert event seq %d: %w", ev.GetSeq(), err)
	}
	return inserted(r)
}

// conflict classifies an event whose insert did nothing. The insert, not
// this lookup, is the guard; the lookup only decides how to count it.
func (in *ingest) conflict(ctx context.Context, ev *syncproto.Event, payload []byte) (outcome, error) {
	var stored sql.NullString
	err := in.tx.QueryRowContext(ctx, `SELECT event_id FROM events WHERE agent_id = ? AND seq = ?`,
		in.b.GetAgentId(), int64(ev.GetSeq())).Scan(&stored)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		// The event id is taken by another (agent, seq). Keep this seq's
		// row without the id, so the agent's journal has no hole, and
		// quarantine the event.
		if _, err := in.insertEvent(ctx, ev, sql.NullString{}, payload); err != nil {
			return 0, err
		}
		return in.quarantine(ctx, ev, central.Reason(central.ReasonEventIDConflict,
			"event id %s is already stored under another agent or seq", ev.GetEventId()), payload)
	case err != nil:
		return 0, fmt.Errorf("look up event seq %d: %w", ev.GetSeq(), err)
	case stored.String == ev.GetEventId():
		return duplicate, nil
	default:
		// The seq holds another event: the agent reused it. Quarantine the
		// newcomer so it is not lost; a redelivery of it is a duplicate.
		return in.quarantine(ctx, ev, central.Reason(central.ReasonSeqConflict,
			"seq %d is already stored with event id %q", ev.GetSeq(), stored.String), payload)
	}
}

// quarantine records ev with reason. It returns duplicate when this very
// event (agent, seq, event id) is already quarantined.
func (in *ingest) quarantine(ctx context.Context, ev *syncproto.Event, reason string, payload []byte) (outcome, error) {
	r, err := in.tx.ExecContext(ctx, `INSERT INTO quarantine
		(agent_id, seq, event_id, store_id, reason, payload, received_ms)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		in.b.GetAgentId(), int64(ev.GetSeq()), ev.GetEventId(), in.b.GetStoreId(), reason, payload, in.receivedMS)
	if err != nil {
		return 0, fmt.Errorf("quarantine event seq %d: %w", ev.GetSeq(), err)
	}
	ok, err := inserted(r)
	if err != nil || !ok {
		return duplicate, err
	}
	return quarantined, nil
}

// insertSale writes a sale, its lines and the store's running totals. It
// reports false, writing nothing, when the sale id is already stored.
func (in *ingest) insertSale(ctx context.Context, s *central.Sale) (bool, error) {
	r, err := in.tx.ExecContext(ctx, `INSERT INTO sales
		(sale_id, agent_id, seq, store_id, lane_id, receipt_no, total_fen, member_card, agent_wall_ms, received_ms)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (sale_id) DO NOTHING`,
		s.ID, s.AgentID, int64(s.Seq), s.StoreID, s.LaneID, s.ReceiptNo, s.TotalFen, s.MemberCard,
		s.AgentWallTime.UnixMilli(), in.receivedMS)
	if err != nil {
		return false, fmt.Errorf("insert sale %s: %w", s.ID, err)
	}
	if ok, err := inserted(r); err != nil || !ok {
		return false, err
	}
	for i, l := range s.Lines {
		if _, err := in.tx.ExecContext(ctx, `INSERT INTO sale_lines
			(sale_id, position, line_no, sku, barcode, name, quantity_milli, unit_price_fen, line_total_fen)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			s.ID, i, l.No, l.SKU, l.Barcode, l.Name, l.QuantityMilli, l.UnitPriceFen, l.LineTotalFen); err != nil {
			return false, fmt.Errorf("insert sale %s line %d: %w", s.ID, i+1, err)
		}
	}
	if _, err := in.tx.ExecContext(ctx, `INSERT INTO store_totals (store_id, sales, total_fen) VALUES (?, 1, ?)
		ON CONFLICT (store_id) DO UPDATE SET sales = sales + 1, total_fen = total_fen + excluded.total_fen`,
		s.StoreID, s.TotalFen); err != nil {
		return false, fmt.Errorf("update store %s totals: %w", s.StoreID, err)
	}
	return true, nil
}

// agent records the batch's receipt in the agent's sync status. Both
// columns only grow (MAX), so the order batches arrive in does not matter.
func (in *ingest) agent(ctx context.Context) error {
	var skew int64
	if sent := in.b.GetSentAtMs(); sent != 0 {
		skew = absDiff(in.receivedMS, sent)
	}
	_, err := in.tx.ExecContext(ctx, `INSERT INTO agents (agent_id, store_id, last_received_ms, max_skew_ms)
		VALUES (?, ?, ?, ?) ON CONFLICT (agent_id) DO UPDATE SET
		last_received_ms = MAX(last_received_ms, excluded.last_received_ms),
		max_skew_ms = MAX(max_skew_ms, excluded.max_skew_ms)`,
		in.b.GetAgentId(), in.b.GetStoreId(), in.receivedMS, skew)
	if err != nil {
		return fmt.Errorf("update agent %s status: %w", in.b.GetAgentId(), err)
	}
	return nil
}

// absDiff returns |a − b|, saturating instead of overflowing on a garbage
// agent timestamp.
func absDiff(a, b int64) int64 {
	if a < b {
		a, b = b, a
	}
	if d := a - b; d >= 0 {
		return d
	}
	return math.MaxInt64
}

func inserted(r sql.Result) (bool, error) {
	n, err := r.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("rows affected: %w", err)
	}
	return n == 1, nil
}

func nullable(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// rollback ends a transaction that was not committed; after Commit it is a
// no-op.
func rollback(tx *sql.Tx, logger *slog.Logger) {
	if err := tx.Rollback(); err != nil && !errors.Is(err, sql.ErrTxDone) {
		logger.Warn("rollback", "err", err)
	}
}
