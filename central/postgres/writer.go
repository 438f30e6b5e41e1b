package postgres

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/tillsync/tillsync/central"
	"github.com/tillsync/tillsync/syncproto"
)

// writer runs one attempt of one batch's transaction in pipelined rounds:
// insert the events; classify the ones that conflicted; insert the sales
// with their lines; apply the member ledger (points, enrollments, foreign
// returns: a few rounds more when there are any); write quarantine rows,
// totals and the agent's status. Statements inside a round run in seq order, so within a batch
// the earlier event wins a conflict, as in package sqlite.
type writer struct {
	tx         pgx.Tx
	b          *syncproto.Batch
	items      []item
	receivedMS int64
	zone       *time.Location // the chain's calendar of the statistics

	inserted   []bool    // the event row of items[i] was inserted
	out        []outcome // what happened to items[i]
	quarantine []string  // reason items[i] is to be quarantined with, or ""
	idTaken    []bool    // items[i]'s event id is stored under another key
	totals     []storeTotal
	added      []central.PointsEntry // ledger entries stored for the first time
}

// storeTotal is a part of the batch's increment to its store's totals.
type storeTotal struct{ sales, fen int64 }

const insertEventSQL = `INSERT INTO events
	(agent_id, seq, event_id, store_id, kind, agent_wall_ms, received_ms, payload)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`

// insertSaleSQL inserts a sale and, only when its id was free, its lines,
// in one statement: the lines are selected from the RETURNING row, so a
// taken sale id writes nothing. It returns the number of sales inserted.
const insertSaleSQL = `WITH s AS (
	INSERT INTO sales (sale_id, agent_id, seq, store_id, lane_id, receipt_no, total_fen, member_card,
		agent_wall_ms, received_ms)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (sale_id) DO NOTHING RETURNING sale_id
), l AS (
	INSERT INTO sale_lines (sale_id, position, line_no, sku, barcode, name, quantity_milli, unit_price_fen,
		line_total_fen)
	SELECT s.sale_id, t.ord - 1, t.line_no, t.sku, t.barcode, t.name, t.q, t.p, t.lt
	FROM s CROSS JOIN unnest($11::bigint[], $12::text[], $13::text[], $14::text[], $15::bigint[],
		$16::bigint[], $17::bigint[]) WITH ORDINALITY AS t(line_no, sku, barcode, name, q, p, lt, ord)
)
SELECT count(*) FROM s`

func (w *writer) run(ctx context.Context) (central.IngestResult, error) {
	n := len(w.items)
	w.inserted, w.out, w.quarantine, w.idTaken = make([]bool, n), make([]outcome, n), make([]string, n), make([]bool, n)
	for _, step := range []func(context.Context) error{w.insertEvents, w.classify, w.insertSales, w.applyLedger, w.applyStats, w.finish} {
		if err := step(ctx); err != nil {
			return central.IngestResult{}, err
		}
	}
	var res central.IngestResult
	for _, o := range w.out {
		switch o {
		case applied:
			res.Applied++
		case duplicate:
			res.Duplicates++
		case quarantined:
			res.Quarantined++
		default:
			return central.IngestResult{}, fmt.Errorf("internal: event left undecided")
		}
	}
	return res, nil
}

// insertEventArgs are insertEventSQL's arguments for it, with eventID ""
// stored as NULL (event_id is UNIQUE; NULLs never collide).
func (w *writer) insertEventArgs(it *item, eventID string) []any {
	var id *string
	if eventID != "" {
		id = &eventID
	}
	return []any{w.b.GetAgentId(), int64(it.ev.GetSeq()), id, w.b.GetStoreId(), it.kind,
		it.ev.GetWallTimeMs(), w.receivedMS, it.payload}
}

// insertEvents is round 1: every event row, ON CONFLICT DO NOTHING.
func (w *writer) insertEvents(ctx context.Context) error {
	batch := &pgx.Batch{}
	for i := range w.items {
		batch.Queue(insertEventSQL, w.insertEventArgs(&w.items[i], w.items[i].id)...).Exec(func(ct pgconn.CommandTag) error {
			w.inserted[i] = ct.RowsAffected() == 1
			return nil
		})
	}
	if err := w.tx.SendBatch(ctx, batch).Close(); err != nil {
		return fmt.Errorf("insert events: %w", err)
	}
	return nil
}

// classify is round 2: it decides every event but the sales still to
// insert. For an event whose insert did nothing it looks up what the seq
// holds; the insert, not this lookup, is the guard — the lookup only
// decides how to count it.
func (w *writer) classify(ctx context.Context) error {
	stored, err := w.storedIDs(ctx)
	if err != nil {
		return err
	}
	for i := range w.items {
		it := &w.items[i]
		if !w.inserted[i] {
			id, ok := stored[int64(it.ev.GetSeq())]
			switch {
			case !ok:
				// The event id is taken by another (agent, seq). Keep this
				// seq's row without the id (insertSales), so the agent's
				// journal has no hole, and quarantine the event.
				w.idTaken[i] = true
				w.quarantine[i] = central.Reason(central.ReasonEventIDConflict,
					"event id %s is already stored under another agent or seq", it.id)
			case id == it.id:
				w.out[i] = duplicate
			default:
				// The seq holds another event: the agent reused it.
				// Quarantine the newcomer so it is not lost; a redelivery
				// of it is a duplicate.
				w.quarantine[i] = central.Reason(central.ReasonSeqConflict,
					"seq %d is already stored with event id %q", it.ev.GetSeq(), id)
			}
			continue
		}
		switch {
		case it.reason != "":
			w.quarantine[i] = it.reason
		case it.kept:
			w.out[i] = applied
		}
	}
	return nil
}

// storedIDs returns the stored event id ("" for NULL) of every seq whose
// insert did nothing, keyed by seq; a seq missing from the map is free.
func (w *writer) storedIDs(ctx context.Context) (map[int64]string, error) {
	var seqs []int64
	for i := range w.items {
		if !w.inserted[i] {
			seqs = append(seqs, int64(w.items[i].ev.GetSeq()))
		}
	}
	stored := map[int64]string{}
	if len(seqs) == 0 {
		return stored, nil
	}
	rows, err := w.tx.Query(ctx, `SELECT seq, COALESCE(event_id, '') FROM events
		WHERE agent_id = $1 AND seq = ANY($2)`, w.b.GetAgentId(), seqs)
	if err != nil {
		return nil, fmt.Errorf("look up conflicting events: %w", err)
	}
	var seq int64
	var id string
	if _, err := pgx.ForEachRow(rows, []any{&seq, &id}, func() error {
		stored[seq] = id
		return nil
	}); err != nil {
		return nil, fmt.Errorf("look up conflicting events: %w", err)
	}
	return stored, nil
}

// insertSales is round 3: the id-less rows of events whose id was taken,
// and every sale to apply with its lines.
func (w *writer) insertSales(ctx context.Context) error {
	batch := &pgx.Batch{}
	for i := range w.items {
		it := &w.items[i]
		switch {
		case w.idTaken[i]:
			batch.Queue(insertEventSQL, w.insertEventArgs(it, "")...)
		case w.inserted[i] && it.sale != nil:
			var n int64
			batch.Queue(insertSaleSQL, saleArgs(it.sale, w.receivedMS)...).QueryRow(func(row pgx.Row) error {
				if err := row.Scan(&n); err != nil {
					return err
				}
				w.saleInserted(i, n == 1)
				return nil
			})
		}
	}
	if batch.Len() == 0 {
		return nil
	}
	if err := w.tx.SendBatch(ctx, batch).Close(); err != nil {
		return fmt.Errorf("insert sales: %w", err)
	}
	return nil
}

// saleInserted records the result of items[i]'s sale insert: applied and
// counted in the totals, or quarantined when the sale id was taken.
func (w *writer) saleInserted(i int, ok bool) {
	s := w.items[i].sale
	if !ok {
		w.quarantine[i] = central.Reason(central.ReasonSaleIDConflict,
			"sale %s is already stored under another agent or seq", s.ID)
		return
	}
	w.out[i] = applied
	// Sum in parts rather than overflow int64 (no floats, STYLE).
	if n := len(w.totals); n > 0 && (s.TotalFen >= 0 && w.totals[n-1].fen <= math.MaxInt64-s.TotalFen) {
		w.totals[n-1].sales++
		w.totals[n-1].fen += s.TotalFen
		return
	}
	w.totals = append(w.totals, storeTotal{sales: 1, fen: s.TotalFen})
}

func saleArgs(s *central.Sale, receivedMS int64) []any {
	n := len(s.Lines)
	lineNo, qty, price, total := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
	sku, barcode, name := make([]string, n), make([]string, n), make([]string, n)
	for i, l := range s.Lines {
		lineNo[i], sku[i], barcode[i], name[i] = int64(l.No), l.SKU, l.Barcode, l.Name
		qty[i], price[i], total[i] = l.QuantityMilli, l.UnitPriceFen, l.LineTotalFen
	}
	return []any{s.ID, s.AgentID, int64(s.Seq), s.StoreID, s.LaneID, s.ReceiptNo, s.TotalFen, s.MemberCard,
		s.AgentWallTime.UnixMilli(), receivedMS, lineNo, sku, barcode, name, qty, price, total}
}

// applyLedger is round 4: the ledger changes of the applied events (a
// quarantined event's points wait for its replay), then the overdraft
// flags of the batch's new redemptions.
func (w *writer) applyLedger(ctx context.Context) error {
	var changes []*central.LedgerChange
	for i := range w.items {
		if w.out[i] == applied && w.items[i].ledger != nil {
			changes = append(changes, w.items[i].ledger)
		}
	}
	if len(changes) == 0 {
		return nil
	}
	l := ledger{tx: w.tx, nowMS: w.receivedMS}
	if err := l.apply(ctx, changes); err != nil {
		return fmt.Errorf("apply points: %w", err)
	}
	w.added = l.added
	return l.flag(ctx)
}

// applyStats is round 4b: the member statistics of the applied events
// (memberstats.go).
func (w *writer) applyStats(ctx context.Context) error {
	var evs []statsEvent
	for i := range w.items {
		if w.out[i] == applied {
			evs = append(evs, statsEvent{agent: w.b.GetAgentId(), ev: w.items[i].ev})
		}
	}
	return applyStats(ctx, w.tx, w.receivedMS, w.zone, evs, w.added)
}

// finish is round 5: quarantine rows in seq order (a row already there
// makes the event a duplicate), the store's totals and the agent's status.
func (w *writer) finish(ctx context.Context) error {
	batch := &pgx.Batch{}
	for i := range w.items {
		if w.quarantine[i] == "" {
			continue
		}
		it := &w.items[i]
		batch.Queue(`INSERT INTO quarantine (agent_id, seq, event_id, store_id, reason, payload, received_ms)
			VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
			w.b.GetAgentId(), int64(it.ev.GetSeq()), it.id, w.b.GetStoreId(), w.quarantine[i], it.payload, w.receivedMS,
		).Exec(func(ct pgconn.CommandTag) error {
			w.out[i] = duplicate
			if ct.RowsAffected() == 1 {
				w.out[i] = quarantined
			}
			return nil
		})
	}
	// Every sale of the batch is of the batch's store (EventSale checks).
	for _, t := range w.totals {
		batch.Queue(`INSERT INTO store_totals (store_id, sales, total_fen) VALUES ($1, $2, $3)
			ON CONFLICT (store_id) DO UPDATE SET sales = store_totals.sales + excluded.sales,
			total_fen = store_totals.total_fen + excluded.total_fen`, w.b.GetStoreId(), t.sales, t.fen)
	}
	// Both columns only grow (GREATEST), so the order batches arrive in
	// does not matter.
	var skew int64
	if sent := w.b.GetSentAtMs(); sent != 0 {
		skew = absDiff(w.receivedMS, sent)
	}
	batch.Queue(`INSERT INTO agents (agent_id, store_id, last_received_ms, max_skew_ms)
		VALUES ($1, $2, $3, $4) ON CONFLICT (agent_id) DO UPDATE SET
		last_received_ms = GREATEST(agents.last_received_ms, excluded.last_received_ms),
		max_skew_ms = GREATEST(agents.max_skew_ms, excluded.max_skew_ms)`,
		w.b.GetAgentId(), w.b.GetStoreId(), w.receivedMS, skew)
	if err := w.tx.SendBatch(ctx, batch).Close(); err != nil {
		return fmt.Errorf("write quarantine, totals and agent %s: %w", w.b.GetAgentId(), err)
	}
	return nil
}
