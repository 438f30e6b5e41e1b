package sqlite

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tillsync/tillsync/central"
)

var _ central.RebateStore = (*DB)(nil)

// rebateSpendSQL reads one page of cards with positive spend in a range of
// statistics buckets, after a card, in card byte order, with the tier each
// holds ("" for none). Arguments: first month, last month, after card, limit.
const rebateSpendSQL = `SELECT m.card, SUM(m.spend_fen), MAX(COALESCE(t.tier, ''))
	FROM member_months m LEFT JOIN member_tiers t ON t.card = m.card
	WHERE m.month BETWEEN ? AND ? AND m.card > ?
	GROUP BY m.card HAVING SUM(m.spend_fen) > 0 ORDER BY m.card LIMIT ?`

// PostYearEndRebate implements central.RebateStore: one write
// transaction per page of central.RebateBatchCards cards, which reads the
// page's spend and tiers and inserts its entries, so a page is posted
// whole or not at all.
func (db *DB) PostYearEndRebate(ctx context.Context, p central.RebatePolicy, now time.Time) (central.RebateResult, error) {
	var res central.RebateResult
	if err := p.CheckRun(now); err != nil {
		return res, err
	}
	if db.write == nil {
		return res, central.Errorf(central.EUNAVAILABLE, "database %q is open read-only", db.path)
	}
	after := ""
	for {
		last, n, err := db.rebatePage(ctx, p, now, after, &res)
		if err != nil {
			return res, fmt.Errorf("post rebate %d: %w", p.Year, err)
		}
		if n < central.RebateBatchCards {
			return res, nil
		}
		after = last
	}
}

// rebatePage posts the rebates of the page of cards after after; it
// returns the page's last card and how many cards it held.
func (db *DB) rebatePage(ctx context.Context, p central.RebatePolicy, now time.Time, after string,
	res *central.RebateResult) (string, int, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return "", 0, fmt.Errorf("begin: %w", err)
	}
	defer rollback(tx, db.logger)
	first, lastMonth := p.Months()
	rows, err := tx.QueryContext(ctx, rebateSpendSQL, first, lastMonth, after, central.RebateBatchCards)
	if err != nil {
		return "", 0, fmt.Errorf("read spend: %w", err)
	}
	var es []central.PointsEntry
	var last string
	n := 0
	for rows.Next() {
		var tier string
		var spend int64
		if err := rows.Scan(&last, &spend, &tier); err != nil {
			return "", 0, errors.Join(fmt.Errorf("read spend: %w", err), rows.Close())
		}
		n++
		if e, ok := p.RebateEntry(last, tier, spend, now); ok {
			es = append(es, e)
		}
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return "", 0, fmt.Errorf("read spend: %w", err)
	}
	l := ledger{tx: tx, nowMS: now.UnixMilli()}
	var page central.RebateResult
	for _, e := range es {
		ok, err := l.insertEntry(ctx, e)
		if err != nil {
			return "", 0, fmt.Errorf("card %s: %w", central.MaskCard(e.Card), err)
		}
		if ok {
			page.Cards++
			page.Points += e.Points
		} else {
			page.AlreadyPosted++
		}
	}
	if err := tx.Commit(); err != nil {
		return "", 0, fmt.Errorf("commit: %w", err)
	}
	res.Cards += page.Cards
	res.Points += page.Points
	res.AlreadyPosted += page.AlreadyPosted
	return last, n, nil
}
