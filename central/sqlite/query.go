package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/tillsync/tillsync/central"
)

// Sale implements central.Store.
func (db *DB) Sale(ctx context.Context, id string) (*central.Sale, error) {
	s := central.Sale{ID: id}
	var seq, wallMS, recvMS int64
	err := db.read.QueryRowContext(ctx, `SELECT agent_id, seq, store_id, lane_id, receipt_no, total_fen,
		member_card, agent_wall_ms, received_ms FROM sales WHERE sale_id = ?`, id).
		Scan(&s.AgentID, &seq, &s.StoreID, &s.LaneID, &s.ReceiptNo, &s.TotalFen, &s.MemberCard, &wallMS, &recvMS)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, central.Errorf(central.ENOTFOUND, "sale %q not found", id)
	}
	if err != nil {
		return nil, fmt.Errorf("read sale %q: %w", id, err)
	}
	s.Seq = uint64(seq)
	s.AgentWallTime = time.UnixMilli(wallMS).UTC()
	s.ReceivedAt = time.UnixMilli(recvMS).UTC()
	rows, err := db.read.QueryContext(ctx, `SELECT line_no, sku, barcode, name, quantity_milli, unit_price_fen,
		line_total_fen FROM sale_lines WHERE sale_id = ? ORDER BY position`, id)
	if err != nil {
		return nil, fmt.Errorf("read sale %q lines: %w", id, err)
	}
	defer closeRows(rows, db)
	for rows.Next() {
		var l central.SaleLine
		if err := rows.Scan(&l.No, &l.SKU, &l.Barcode, &l.Name, &l.QuantityMilli, &l.UnitPriceFen, &l.LineTotalFen); err != nil {
			return nil, fmt.Errorf("read sale %q lines: %w", id, err)
		}
		s.Lines = append(s.Lines, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read sale %q lines: %w", id, err)
	}
	return &s, nil
}

// SalesByStore implements central.Store.
func (db *DB) SalesByStore(ctx context.Context) ([]central.StoreSales, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT store_id, sales, total_fen FROM store_totals ORDER BY store_id`)
	if err != nil {
		return nil, fmt.Errorf("read sales by store: %w", err)
	}
	defer closeRows(rows, db)
	out := []central.StoreSales{}
	for rows.Next() {
		var s central.StoreSales
		if err := rows.Scan(&s.StoreID, &s.Sales, &s.TotalFen); err != nil {
			return nil, fmt.Errorf("read sales by store: %w", err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read sales by store: %w", err)
	}
	return out, nil
}

// agentsQuery computes each agent's journal coverage from the events' key:
// the first run's end is the lowest stored seq whose successor is missing,
// and it counts as contiguous only when the run starts at seq 1. Computed on
// read, so no in-memory or per-instance state decides it (DESIGN §7).
const agentsQuery = `
SELECT a.agent_id, a.store_id, a.last_received_ms, a.max_skew_ms,
	(SELECT COUNT(*) FROM events e WHERE e.agent_id = a.agent_id),
	(SELECT COALESCE(MAX(e.seq), 0) FROM events e WHERE e.agent_id = a.agent_id),
	(SELECT COALESCE(MIN(e.seq), 0) FROM events e WHERE e.agent_id = a.agent_id),
	(SELECT COALESCE(MIN(e.seq), 0) FROM events e WHERE e.agent_id = a.agent_id
		AND NOT EXISTS (SELECT 1 FROM events n WHERE n.agent_id = e.agent_id AND n.seq = e.seq + 1))
FROM agents a ORDER BY a.store_id, a.agent_id`

// Agents implements central.Store.
func (db *DB) Agents(ctx context.Context) ([]central.AgentSync, error) {
	rows, err := db.read.QueryContext(ctx, agentsQuery)
	if err != nil {
		return nil, fmt.Errorf("read agents: %w", err)
	}
	defer closeRows(rows, db)
	out := []central.AgentSync{}
	for rows.Next() {
		var a central.AgentSync
		var recvMS, skewMS, maxSeq, minSeq, runEnd int64
		if err := rows.Scan(&a.AgentID, &a.StoreID, &recvMS, &skewMS, &a.Events, &maxSeq, &minSeq, &runEnd); err != nil {
			return nil, fmt.Errorf("read agents: %w", err)
		}
		a.LastReceivedAt = time.UnixMilli(recvMS).UTC()
		a.MaxClockSkew = time.Duration(skewMS) * time.Millisecond
		a.MaxSeq = uint64(maxSeq)
		if minSeq == 1 {
			a.ContiguousThrough = uint64(runEnd)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read agents: %w", err)
	}
	return out, nil
}

// Quarantined implements central.Store.
func (db *DB) Quarantined(ctx context.Context, limit int) ([]central.QuarantinedEvent, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id, agent_id, store_id, seq, event_id, reason, received_ms
		FROM quarantine ORDER BY id LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("read quarantine: %w", err)
	}
	defer closeRows(rows, db)
	out := []central.QuarantinedEvent{}
	for rows.Next() {
		var q central.QuarantinedEvent
		var seq, recvMS int64
		if err := rows.Scan(&q.ID, &q.AgentID, &q.StoreID, &seq, &q.EventID, &q.Reason, &recvMS); err != nil {
			return nil, fmt.Errorf("read quarantine: %w", err)
		}
		q.Seq = uint64(seq)
		q.ReceivedAt = time.UnixMilli(recvMS).UTC()
		out = append(out, q)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read quarantine: %w", err)
	}
	return out, nil
}

func closeRows(rows *sql.Rows, db *DB) {
	if err := rows.Close(); err != nil {
		db.logger.Warn("close rows", "err", err)
	}
}
