package postgres

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/tillsync/tillsync/central"
	"github.com/tillsync/tillsync/syncproto"
)

// memberStatsMigration (version 6) holds the member statistics kept at
// ingest, the same tables as sqlite's version 6. Keys are COLLATE "C" so
// listings come in byte order, as in SQLite.
const memberStatsMigration = `
CREATE TABLE member_stats (
	card            TEXT COLLATE "C" PRIMARY KEY,
	first_ms        BIGINT,          -- NULL until the card's first counted sale
	last_ms         BIGINT,
	visits          BIGINT NOT NULL,
	spend_fen       BIGINT NOT NULL, -- net of returns
	largest_fen     BIGINT NOT NULL,
	points_earned   BIGINT NOT NULL,
	points_redeemed BIGINT NOT NULL
);
CREATE TABLE member_months (
	card        TEXT COLLATE "C" NOT NULL,
	month       BIGINT  NOT NULL, -- yyyymm, UTC
	visits      BIGINT  NOT NULL,
	spend_fen   BIGINT  NOT NULL,
	largest_fen BIGINT  NOT NULL,
	PRIMARY KEY (card, month)
);
CREATE TABLE member_month_categories (
	card           TEXT COLLATE "C" NOT NULL,
	month          BIGINT  NOT NULL,
	category       TEXT COLLATE "C" NOT NULL,
	purchases      BIGINT  NOT NULL,
	quantity_milli BIGINT  NOT NULL,
	spend_fen      BIGINT  NOT NULL,
	PRIMARY KEY (card, month, category)
);
CREATE TABLE member_month_skus (
	card           TEXT COLLATE "C" NOT NULL,
	month          BIGINT  NOT NULL,
	sku            TEXT COLLATE "C" NOT NULL,
	purchases      BIGINT  NOT NULL,
	quantity_milli BIGINT  NOT NULL,
	spend_fen      BIGINT  NOT NULL,
	PRIMARY KEY (card, month, sku)
);
-- Every applied return, by its event; resolved (counted) in the
-- transaction where both it and its original sale are stored.
CREATE TABLE member_stats_returns (
	agent_id         TEXT   NOT NULL,
	seq              BIGINT NOT NULL,
	original_sale_id TEXT   NOT NULL,
	resolved_ms      BIGINT,          -- NULL until the original sale arrived
	PRIMARY KEY (agent_id, seq)
);
CREATE INDEX member_stats_returns_pending ON member_stats_returns (original_sale_id) WHERE resolved_ms IS NULL;
CREATE TABLE member_stats_refunds (
	sale_id      TEXT   NOT NULL,
	line_no      BIGINT NOT NULL,
	refunded_fen BIGINT NOT NULL, -- capped at the line's total
	PRIMARY KEY (sale_id, line_no)
);
`

// statsEvent is an event applied for the first time, with its agent.
type statsEvent struct {
	agent string
	ev    *syncproto.Event
}

// applyStats updates member statistics for events applied for the first
// time in tx and the ledger entries it stored (added): member sales, the
// returns of them, points earned and redeemed. It runs after the ledger,
// whose ledger_sale_keys upsert has locked every applied sale's key; it
// locks its returns' original sale keys the same way, so a sale and a
// return of it committed at once on two instances meet (the second waits
// for the first and then sees it, under READ COMMITTED) and the return
// is counted exactly once.
func applyStats(ctx context.Context, tx pgx.Tx, nowMS int64, zone *time.Location, events []statsEvent, added []central.PointsEntry) error {
	change := central.ActivityChange{Zone: zone}
	var keys, retAgents []string
	var retSeqs []int64
	var retOrig []string
	for _, se := range events {
		if sc := se.ev.GetSaleCommitted(); sc != nil {
			if central.StatsCounted(sc) {
				change.AddSale(sc)
				keys = append(keys, sc.GetSaleId())
			}
		} else if orig := central.StatsReturn(se.ev); orig != "" {
			retAgents, retSeqs, retOrig = append(retAgents, se.agent), append(retSeqs, int64(se.ev.GetSeq())), append(retOrig, orig)
		}
	}
	for _, e := range added {
		change.AddPoints(e)
	}
	if len(retOrig) > 0 {
		lock := slices.Compact(slices.Sorted(slices.Values(retOrig)))
		batch := &pgx.Batch{}
		batch.Queue(`INSERT INTO member_stats_returns (agent_id, seq, original_sale_id)
			SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[]) ON CONFLICT DO NOTHING`, retAgents, retSeqs, retOrig)
		batch.Queue(`INSERT INTO ledger_sale_keys (sale_id) SELECT unnest($1::text[]) ORDER BY 1
			ON CONFLICT (sale_id) DO UPDATE SET sale_id = excluded.sale_id`, lock)
		if err := tx.SendBatch(ctx, batch).Close(); err != nil {
			return fmt.Errorf("record returns for statistics: %w", err)
		}
		keys = append(keys, lock...)
	}
	batch := &pgx.Batch{}
	if len(keys) > 0 {
		if err := resolveStatsReturns(ctx, tx, nowMS, slices.Compact(slices.Sorted(slices.Values(keys))), &change, batch); err != nil {
			return err
		}
	}
	queueActivity(batch, &change)
	if batch.Len() == 0 {
		return nil
	}
	if err := tx.SendBatch(ctx, batch).Close(); err != nil {
		return fmt.Errorf("update member statistics: %w", err)
	}
	return nil
}

// resolveStatsReturns adds to change every unresolved return of the sales
// in keys whose sale is stored, and queues their refunds and resolution.
func resolveStatsReturns(ctx context.Context, tx pgx.Tx, nowMS int64, keys []string, change *central.ActivityChange, batch *pgx.Batch) error {
	rows, err := tx.Query(ctx, `SELECT r.agent_id, r.seq, r.original_sale_id, re.payload, se.payload
		FROM member_stats_returns r
		JOIN events re ON re.agent_id = r.agent_id AND re.seq = r.seq
		JOIN sales s ON s.sale_id = r.original_sale_id
		JOIN events se ON se.agent_id = s.agent_id AND se.seq = s.seq
		WHERE r.resolved_ms IS NULL AND r.original_sale_id = ANY($1)
		ORDER BY r.original_sale_id COLLATE "C", r.agent_id COLLATE "C", r.seq`, keys)
	if err != nil {
		return fmt.Errorf("find returns for statistics: %w", err)
	}
	type pending struct {
		agent       string
		seq         int64
		sale        string
		ret, saleEv []byte
	}
	ps, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (pending, error) {
		var p pending
		return p, row.Scan(&p.agent, &p.seq, &p.sale, &p.ret, &p.saleEv)
	})
	if err != nil || len(ps) == 0 {
		return wrapErr("find returns for statistics", err)
	}
	var sales []string
	for _, p := range ps {
		sales = append(sales, p.sale)
	}
	refunded := map[string]map[uint32]int64{}
	rows, err = tx.Query(ctx, `SELECT sale_id, line_no, refunded_fen FROM member_stats_refunds WHERE sale_id = ANY($1)`,
		slices.Compact(sales))
	if err != nil {
		return fmt.Errorf("read refunds: %w", err)
	}
	var sale string
	var no, fen int64
	if _, err := pgx.ForEachRow(rows, []any{&sale, &no, &fen}, func() error {
		if refunded[sale] == nil {
			refunded[sale] = map[uint32]int64{}
		}
		refunded[sale][uint32(no)] = fen
		return nil
	}); err != nil {
		return fmt.Errorf("read refunds: %w", err)
	}
	for _, p := range ps {
		if refunded[p.sale] == nil {
			refunded[p.sale] = map[uint32]int64{}
		}
		if err := change.AddStoredReturn(p.ret, p.saleEv, refunded[p.sale]); err != nil {
			return fmt.Errorf("count return seq %d of agent %s: %w", p.seq, p.agent, err)
		}
		batch.Queue(`UPDATE member_stats_returns SET resolved_ms = $1 WHERE agent_id = $2 AND seq = $3`, nowMS, p.agent, p.seq)
	}
	for _, s := range slices.Compact(sales) {
		for _, no := range slices.Sorted(maps.Keys(refunded[s])) {
			batch.Queue(`INSERT INTO member_stats_refunds (sale_id, line_no, refunded_fen) VALUES ($1, $2, $3)
				ON CONFLICT (sale_id, line_no) DO UPDATE SET refunded_fen = excluded.refunded_fen`, s, int64(no), refunded[s][no])
		}
	}
	return nil
}

func wrapErr(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", what, err)
}

// queueActivity queues the upserts of change, one statement per table
// with the rows as arrays, in the order ActivityChange gives (by card,
// then month and key): every transaction locks rows in that one order.
func queueActivity(batch *pgx.Batch, change *central.ActivityChange) {
	if cs := change.Cards(); len(cs) > 0 {
		n := len(cs)
		card, first, last := make([]string, n), make([]*int64, n), make([]*int64, n)
		visits, spend, largest, earned, redeemed := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
		for i, a := range cs {
			card[i], visits[i], spend[i], largest[i], earned[i], redeemed[i] =
				a.Card, a.Visits, a.SpendFen, a.LargestFen, a.PointsEarned, a.PointsRedeemed
			if a.HasPurchase {
				first[i], last[i] = &a.FirstMS, &a.LastMS
			}
		}
		// LEAST and GREATEST ignore NULLs: a card's first purchase stays
		// NULL until it has one.
		batch.Queue(`INSERT INTO member_stats (card, first_ms, last_ms, visits, spend_fen, largest_fen,
			points_earned, points_redeemed)
			SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[],
				$7::bigint[], $8::bigint[])
			ON CONFLICT (card) DO UPDATE SET
			first_ms = LEAST(member_stats.first_ms, excluded.first_ms),
			last_ms = GREATEST(member_stats.last_ms, excluded.last_ms),
			visits = member_stats.visits + excluded.visits,
			spend_fen = member_stats.spend_fen + excluded.spend_fen,
			largest_fen = GREATEST(member_stats.largest_fen, excluded.largest_fen),
			points_earned = member_stats.points_earned + excluded.points_earned,
			points_redeemed = member_stats.points_redeemed + excluded.points_redeemed`,
			card, first, last, visits, spend, largest, earned, redeemed)
	}
	if ms := change.Months(); len(ms) > 0 {
		n := len(ms)
		card, month, visits, spend, largest := make([]string, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
		for i, m := range ms {
			card[i], month[i], visits[i], spend[i], largest[i] = m.Card, int64(m.Month), m.Visits, m.SpendFen, m.LargestFen
		}
		batch.Queue(`INSERT INTO member_months (card, month, visits, spend_fen, largest_fen)
			SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[])
			ON CONFLICT (card, month) DO UPDATE SET
			visits = member_months.visits + excluded.visits,
			spend_fen = member_months.spend_fen + excluded.spend_fen,
			largest_fen = GREATEST(member_months.largest_fen, excluded.largest_fen)`,
			card, month, visits, spend, largest)
	}
	for _, t := range []struct{ kind, table, column string }{
		{central.ItemCategory, "member_month_categories", "category"},
		{central.ItemSKU, "member_month_skus", "sku"},
	} {
		its := change.Items(t.kind)
		if len(its) == 0 {
			continue
		}
		n := len(its)
		card, month, key := make([]string, n), make([]int64, n), make([]string, n)
		purchases, qty, spend := make([]int64, n), make([]int64, n), make([]int64, n)
		for i, it := range its {
			card[i], month[i], key[i], purchases[i], qty[i], spend[i] =
				it.Card, int64(it.Month), it.Key, it.Purchases, it.QuantityMilli, it.SpendFen
		}
		batch.Queue(fmt.Sprintf(`INSERT INTO %[1]s (card, month, %[2]s, purchases, quantity_milli, spend_fen)
			SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[])
			ON CONFLICT (card, month, %[2]s) DO UPDATE SET
			purchases = %[1]s.purchases + excluded.purchases,
			quantity_milli = %[1]s.quantity_milli + excluded.quantity_milli,
			spend_fen = %[1]s.spend_fen + excluded.spend_fen`, t.table, t.column),
			card, month, key, purchases, qty, spend)
	}
}
