package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/tillsync/tillsync/central"
)

// Sale implements central.Store.
func (db *DB) Sale(ctx context.Context, id string) (*central.Sale, error) {
	s := central.Sale{ID: id}
	var seq, wallMS, recvMS int64
	err := db.pool.QueryRow(ctx, `SELECT agent_id, seq, store_id, lane_id, receipt_no, total_fen,
		member_card, agent_wall_ms, received_ms FROM sales WHERE sale_id = $1`, id).
		Scan(&s.AgentID, &seq, &s.StoreID, &s.LaneID, &s.ReceiptNo, &s.TotalFen, &s.MemberCard, &wallMS, &recvMS)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, central.Errorf(central.ENOTFOUND, "sale %q not found", id)
	}
	if err != nil {
		return nil, fmt.Errorf("read sale %q: %w", id, err)
	}
	s.Seq = uint64(seq)
	s.AgentWallTime = time.UnixMilli(wallMS).UTC()
	s.ReceivedAt = time.UnixMilli(recvMS).UTC()
	rows, err := db.pool.Query(ctx, `SELECT line_no, sku, barcode, name, quantity_milli, unit_price_fen,
		line_total_fen FROM sale_lines WHERE sale_id = $1 ORDER BY position`, id)
	if err != nil {
		return nil, fmt.Errorf("read sale %q lines: %w", id, err)
	}
	var l central.SaleLine
	var lineNo int64
	if _, err := pgx.ForEachRow(rows, []any{&lineNo, &l.SKU, &l.Barcode, &l.Name, &l.QuantityMilli,
		&l.UnitPriceFen, &l.LineTotalFen}, func() error {
		l.No = int(lineNo)
		s.Lines = append(s.Lines, l)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read sale %q lines: %w", id, err)
	}
	return &s, nil
}

// SalesByStore implements central.Store.
func (db *DB) SalesByStore(ctx context.Context) ([]central.StoreSales, error) {
	rows, err := db.pool.Query(ctx, `SELECT store_id, sales, total_fen FROM store_totals ORDER BY store_id COLLATE "C"`)
	if err != nil {
		return nil, fmt.Errorf("read sales by store: %w", err)
	}
	out := []central.StoreSales{}
	var s central.StoreSales
	if _, err := pgx.ForEachRow(rows, []any{&s.StoreID, &s.Sales, &s.TotalFen}, func() error {
		out = append(out, s)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read sales by store: %w", err)
	}
	return out, nil
}

// agentsQuery computes each agent's journal coverage from the events' key,
// as package sqlite does: the first run's end is the lowest stored seq
// whose successor is missing, and it counts as contiguous only when the run
// starts at seq 1. Computed on read, so no in-memory or per-instance state
// decides it (DESIGN §7). ORDER BY uses COLLATE "C" so ids sort by bytes,
// like SQLite's BINARY collation, whatever the database's locale.
const agentsQuery = `
SELECT a.agent_id, a.store_id, a.last_received_ms, a.max_skew_ms,
	(SELECT COUNT(*) FROM events e WHERE e.agent_id = a.agent_id),
	(SELECT COALESCE(MAX(e.seq), 0) FROM events e WHERE e.agent_id = a.agent_id),
	(SELECT COALESCE(MIN(e.seq), 0) FROM events e WHERE e.agent_id = a.agent_id),
	(SELECT COALESCE(MIN(e.seq), 0) FROM events e WHERE e.agent_id = a.agent_id
		AND NOT EXISTS (SELECT 1 FROM events n WHERE n.agent_id = e.agent_id AND n.seq = e.seq + 1))
FROM agents a ORDER BY a.store_id COLLATE "C", a.agent_id COLLATE "C"`

// Agents implements central.Store.
func (db *DB) Agents(ctx context.Context) ([]central.AgentSync, error) {
	rows, err := db.pool.Query(ctx, agentsQuery)
	if err != nil {
		return nil, fmt.Errorf("read agents: %w", err)
	}
	out := []central.AgentSync{}
	var a central.AgentSync
	var recvMS, skewMS, maxSeq, minSeq, runEnd int64
	if _, err := pgx.ForEachRow(rows, []any{&a.AgentID, &a.StoreID, &recvMS, &skewMS, &a.Events,
		&maxSeq, &minSeq, &runEnd}, func() error {
		a.LastReceivedAt = time.UnixMilli(recvMS).UTC()
		a.MaxClockSkew = time.Duration(skewMS) * time.Millisecond
		a.MaxSeq = uint64(maxSeq)
		a.ContiguousThrough = 0
		if minSeq == 1 {
			a.ContiguousThrough = uint64(runEnd)
		}
		out = append(out, a)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read agents: %w", err)
	}
	return out, nil
}

// Quarantined implements central.Store.
func (db *DB) Quarantined(ctx context.Context, limit int) ([]central.QuarantinedEvent, error) {
	rows, err := db.pool.Query(ctx, `SELECT id, agent_id, store_id, seq, event_id, reason, received_ms
		FROM quarantine ORDER BY id LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("read quarantine: %w", err)
	}
	out := []central.QuarantinedEvent{}
	var q central.QuarantinedEvent
	var seq, recvMS int64
	if _, err := pgx.ForEachRow(rows, []any{&q.ID, &q.AgentID, &q.StoreID, &seq, &q.EventID, &q.Reason, &recvMS}, func() error {
		q.Seq = uint64(seq)
		q.ReceivedAt = time.UnixMilli(recvMS).UTC()
		out = append(out, q)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read quarantine: %w", err)
	}
	return out, nil
}
