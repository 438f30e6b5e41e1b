package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/tillsync/tillsync/central"
	"github.com/tillsync/tillsync/syncproto"
)

// memberStatsMigration (version 6) holds the member statistics kept at
// ingest (central/memberstats.go): lifetime figures per card, monthly
// buckets per card and per card × category and card × SKU, and the
// returns waiting for their original sale.
const memberStatsMigration = `
CREATE TABLE member_stats (
	card            TEXT    PRIMARY KEY,
	first_ms        INTEGER,          -- NULL until the card's first counted sale
	last_ms         INTEGER,
	visits          INTEGER NOT NULL,
	spend_fen       INTEGER NOT NULL, -- net of returns
	largest_fen     INTEGER NOT NULL,
	points_earned   INTEGER NOT NULL,
	points_redeemed INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE member_months (
	card        TEXT    NOT NULL,
	month       INTEGER NOT NULL, -- yyyymm, UTC
	visits      INTEGER NOT NULL,
	spend_fen   INTEGER NOT NULL,
	largest_fen INTEGER NOT NULL,
	PRIMARY KEY (card, month)
) WITHOUT ROWID;

CREATE TABLE member_month_categories (
	card           TEXT    NOT NULL,
	month          INTEGER NOT NULL,
	category       TEXT    NOT NULL,
	purchases      INTEGER NOT NULL,
	quantity_milli INTEGER NOT NULL,
	spend_fen      INTEGER NOT NULL,
	PRIMARY KEY (card, month, category)
) WITHOUT ROWID;

CREATE TABLE member_month_skus (
	card           TEXT    NOT NULL,
	month          INTEGER NOT NULL,
	sku            TEXT    NOT NULL,
	purchases      INTEGER NOT NULL,
	quantity_milli INTEGER NOT NULL,
	spend_fen      INTEGER NOT NULL,
	PRIMARY KEY (card, month, sku)
) WITHOUT ROWID;

-- Every applied return, by its event; resolved (counted) in the
-- transaction where both it and its original sale are stored.
CREATE TABLE member_stats_returns (
	agent_id         TEXT    NOT NULL,
	seq              INTEGER NOT NULL,
	original_sale_id TEXT    NOT NULL,
	resolved_ms      INTEGER,          -- NULL until the original sale arrived
	PRIMARY KEY (agent_id, seq)
) WITHOUT ROWID;
CREATE INDEX member_stats_returns_pending ON member_stats_returns (original_sale_id) WHERE resolved_ms IS NULL;

-- What resolved returns took back of each sale line, in fen (refunds are
-- capped at the line's total).
CREATE TABLE member_stats_refunds (
	sale_id      TEXT    NOT NULL,
	line_no      INTEGER NOT NULL,
	refunded_fen INTEGER NOT NULL,
	PRIMARY KEY (sale_id, line_no)
) WITHOUT ROWID;
`

// statsWriter updates member statistics inside one write transaction. It
// is called only on the "applied for the first time" path of an event, so
// a redelivered event changes nothing; the change is merged in memory and
// written once at the end (flush).
type statsWriter struct {
	tx     *sql.Tx
	nowMS  int64
	change central.ActivityChange
}

// event adds ev, an event applied for the first time: a member sale, and
// the returns of it that arrived first; or a return, counted at once when
// its original sale is stored.
func (w *statsWriter) event(ctx context.Context, agent string, ev *syncproto.Event) error {
	if sc := ev.GetSaleCommitted(); sc != nil {
		if !central.StatsCounted(sc) {
			return nil
		}
		w.change.AddSale(sc)
		return w.resolve(ctx, `original_sale_id = ?`, sc.GetSaleId())
	}
	orig := central.StatsReturn(ev)
	if orig == "" {
		return nil
	}
	if _, err := w.tx.ExecContext(ctx, `INSERT INTO member_stats_returns (agent_id, seq, original_sale_id)
		VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, agent, int64(ev.GetSeq()), orig); err != nil {
		return fmt.Errorf("record return seq %d for statistics: %w", ev.GetSeq(), err)
	}
	return w.resolve(ctx, `agent_id = ? AND seq = ?`, agent, int64(ev.GetSeq()))
}

// points adds ledger entries stored for the first time.
func (w *statsWriter) points(es []central.PointsEntry) {
	for _, e := range es {
		w.change.AddPoints(e)
	}
}

type pendingReturn struct {
	agent string
	seq   int64
	sale  string
}

// resolve counts every unresolved return matching where whose original
// sale is stored, and marks it resolved; a return of an anonymous sale is
// marked resolved with nothing to count.
func (w *statsWriter) resolve(ctx context.Context, where string, args ...any) error {
	rows, err := w.tx.QueryContext(ctx, `SELECT agent_id, seq, original_sale_id FROM member_stats_returns
		WHERE resolved_ms IS NULL AND `+where+` ORDER BY agent_id, seq`, args...)
	if err != nil {
		return fmt.Errorf("find returns for statistics: %w", err)
	}
	var ps []pendingReturn
	for rows.Next() {
		var p pendingReturn
		if err := rows.Scan(&p.agent, &p.seq, &p.sale); err != nil {
			return errors.Join(fmt.Errorf("find returns for statistics: %w", err), rows.Close())
		}
		ps = append(ps, p)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return fmt.Errorf("find returns for statistics: %w", err)
	}
	for _, p := range ps {
		if err := w.resolveOne(ctx, p); err != nil {
			return fmt.Errorf("count return seq %d of agent %s: %w", p.seq, p.agent, err)
		}
	}
	return nil
}

func (w *statsWriter) resolveOne(ctx context.Context, p pendingReturn) error {
	var salePayload, retPayload []byte
	err := w.tx.QueryRowContext(ctx, `SELECT e.payload FROM sales s
		JOIN events e ON e.agent_id = s.agent_id AND e.seq = s.seq WHERE s.sale_id = ?`, p.sale).Scan(&salePayload)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // the sale's transaction counts it
	}
	if err != nil {
		return fmt.Errorf("read original sale: %w", err)
	}
	if err := w.tx.QueryRowContext(ctx, `SELECT payload FROM events WHERE agent_id = ? AND seq = ?`,
		p.agent, p.seq).Scan(&retPayload); err != nil {
		return fmt.Errorf("read return event: %w", err)
	}
	refunded, err := w.refunded(ctx, p.sale)
	if err != nil {
		return err
	}
	before := make(map[uint32]int64, len(refunded))
	for k, v := range refunded {
		before[k] = v
	}
	if err := w.change.AddStoredReturn(retPayload, salePayload, refunded); err != nil {
		return err
	}
	for no, fen := range refunded {
		if before[no] == fen {
			continue
		}
		if _, err := w.tx.ExecContext(ctx, `INSERT INTO member_stats_refunds (sale_id, line_no, refunded_fen)
			VALUES (?, ?, ?) ON CONFLICT (sale_id, line_no) DO UPDATE SET refunded_fen = excluded.refunded_fen`,
			p.sale, int64(no), fen); err != nil {
			return fmt.Errorf("record refund of line %d: %w", no, err)
		}
	}
	if _, err := w.tx.ExecContext(ctx, `UPDATE member_stats_returns SET resolved_ms = ? WHERE agent_id = ? AND seq = ?`,
		w.nowMS, p.agent, p.seq); err != nil {
		return fmt.Errorf("mark resolved: %w", err)
	}
	return nil
}

// refunded returns what earlier counted returns of sale took per line.
func (w *statsWriter) refunded(ctx context.Context, sale string) (map[uint32]int64, error) {
	out := map[uint32]int64{}
	rows, err := w.tx.QueryContext(ctx, `SELECT line_no, refunded_fen FROM member_stats_refunds WHERE sale_id = ?`, sale)
	if err != nil {
		return nil, fmt.Errorf("read refunds: %w", err)
	}
	for rows.Next() {
		var no, fen int64
		if err := rows.Scan(&no, &fen); err != nil {
			return nil, errors.Join(fmt.Errorf("read refunds: %w", err), rows.Close())
		}
		out[uint32(no)] = fen
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, fmt.Errorf("read refunds: %w", err)
	}
	return out, nil
}

// The upserts add a change to its row; first and last purchase are the
// min and max of the non-NULL values (SQLite's multi-argument MIN is NULL
// when any argument is, hence the COALESCE).
const (
	upsertMemberStatsSQL = `INSERT INTO member_stats (card, first_ms, last_ms, visits, spend_fen, largest_fen,
		points_earned, points_redeemed) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (card) DO UPDATE SET
		first_ms = COALESCE(MIN(member_stats.first_ms, excluded.first_ms), member_stats.first_ms, excluded.first_ms),
		last_ms = COALESCE(MAX(member_stats.last_ms, excluded.last_ms), member_stats.last_ms, excluded.last_ms),
		visits = member_stats.visits + excluded.visits,
		spend_fen = member_stats.spend_fen + excluded.spend_fen,
		largest_fen = MAX(member_stats.largest_fen, excluded.largest_fen),
		points_earned = member_stats.points_earned + excluded.points_earned,
		points_redeemed = member_stats.points_redeemed + excluded.points_redeemed`
	upsertMemberMonthSQL = `INSERT INTO member_months (card, month, visits, spend_fen, largest_fen)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (card, month) DO UPDATE SET
		visits = member_months.visits + excluded.visits,
		spend_fen = member_months.spend_fen + excluded.spend_fen,
		largest_fen = MAX(member_months.largest_fen, excluded.largest_fen)`
	upsertMemberItemSQL = `INSERT INTO %[1]s (card, month, %[2]s, purchases, quantity_milli, spend_fen)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (card, month, %[2]s) DO UPDATE SET
		purchases = %[1]s.purchases + excluded.purchases,
		quantity_milli = %[1]s.quantity_milli + excluded.quantity_milli,
		spend_fen = %[1]s.spend_fen + excluded.spend_fen`
)

// itemTables maps an item kind to its table and key column.
var itemTables = []struct{ kind, table, column string }{
	{central.ItemCategory, "member_month_categories", "category"},
	{central.ItemSKU, "member_month_skus", "sku"},
}

// flush writes the merged change, one prepared statement per table.
func (w *statsWriter) flush(ctx context.Context) error {
	if w.change.Empty() {
		return nil
	}
	c := w.change
	w.change = central.ActivityChange{Zone: c.Zone}
	var rows [][]any
	for _, a := range c.Cards() {
		var first, last sql.NullInt64
		if a.HasPurchase {
			first, last = sql.NullInt64{Int64: a.FirstMS, Valid: true}, sql.NullInt64{Int64: a.LastMS, Valid: true}
		}
		rows = append(rows, []any{a.Card, first, last, a.Visits, a.SpendFen, a.LargestFen, a.PointsEarned, a.PointsRedeemed})
	}
	if err := w.execAll(ctx, upsertMemberStatsSQL, rows); err != nil {
		return fmt.Errorf("update member statistics: %w", err)
	}
	rows = rows[:0]
	for _, m := range c.Months() {
		rows = append(rows, []any{m.Card, m.Month, m.Visits, m.SpendFen, m.LargestFen})
	}
	if err := w.execAll(ctx, upsertMemberMonthSQL, rows); err != nil {
		return fmt.Errorf("update member months: %w", err)
	}
	for _, t := range itemTables {
		rows = rows[:0]
		for _, it := range c.Items(t.kind) {
			rows = append(rows, []any{it.Card, it.Month, it.Key, it.Purchases, it.QuantityMilli, it.SpendFen})
		}
		if err := w.execAll(ctx, fmt.Sprintf(upsertMemberItemSQL, t.table, t.column), rows); err != nil {
			return fmt.Errorf("update %s: %w", t.table, err)
		}
	}
	return nil
}

// execAll runs query once per row of arguments through one prepared
// statement.
func (w *statsWriter) execAll(ctx context.Context, query string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	st, err := w.tx.PrepareContext(ctx, query)
	if err != nil {
		return fmt.Errorf("prepare: %w", err)
	}
	for _, r := range rows {
		if _, err := st.ExecContext(ctx, r...); err != nil {
			return errors.Join(err, st.Close())
		}
	}
	return st.Close()
}
