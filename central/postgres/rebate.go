package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/tillsync/tillsync/central"
)

var _ central.RebateStore = (*DB)(nil)

// rebateSpendSQL reads one page of cards with positive spend in a range of
// statistics buckets, after a card, in card byte order (COLLATE "C", as
// the sqlite store orders), with the tier each holds ("" for none).
const rebateSpendSQL = `SELECT m.card, SUM(m.spend_fen)::BIGINT, MAX(COALESCE(t.tier, ''))
	FROM member_months m LEFT JOIN member_tiers t ON t.card = m.card
	WHERE m.month BETWEEN $1 AND $2 AND m.card > $3
	GROUP BY m.card HAVING SUM(m.spend_fen) > 0 ORDER BY m.card LIMIT $4`

// PostYearEndRebate implements central.RebateStore: one transaction per
// page of central.RebateBatchCards cards, which reads the page's spend and
// tiers and inserts its entries, retried as a whole when PostgreSQL aborts
// it (inTx). Two instances running at once post each entry once: the
// insert is ON CONFLICT (entry_id) DO NOTHING.
func (db *DB) PostYearEndRebate(ctx context.Context, p central.RebatePolicy, now time.Time) (central.RebateResult, error) {
	var res central.RebateResult
	if err := p.CheckRun(now); err != nil {
		return res, err
	}
	first, lastMonth := p.Months()
	after := ""
	for {
		var page central.RebateResult
		var last string
		var n int
		err := db.inTx(ctx, func(tx pgx.Tx) error {
			page, last, n = central.RebateResult{}, "", 0
			rows, err := tx.Query(ctx, rebateSpendSQL, first, lastMonth, after, central.RebateBatchCards)
			if err != nil {
				return fmt.Errorf("read spend: %w", err)
			}
			var es []central.PointsEntry
			var tier string
			var spend int64
			_, err = pgx.ForEachRow(rows, []any{&last, &spend, &tier}, func() error {
				n++
				if e, ok := p.RebateEntry(last, tier, spend, now); ok {
					es = append(es, e)
				}
				return nil
			})
			if err != nil {
				return fmt.Errorf("read spend: %w", err)
			}
			l := ledger{tx: tx, nowMS: now.UnixMilli()}
			if err := l.insertEntries(ctx, es); err != nil {
				return err
			}
			page = central.RebateResult{Cards: l.inserted, Points: l.insertedPoints, AlreadyPosted: len(es) - l.inserted}
			return nil
		})
		if err != nil {
			return res, fmt.Errorf("post rebate %d: %w", p.Year, err)
		}
		res.Cards += page.Cards
		res.Points += page.Points
		res.AlreadyPosted += page.AlreadyPosted
		if n < central.RebateBatchCards {
			return res, nil
		}
		after = last
	}
}
