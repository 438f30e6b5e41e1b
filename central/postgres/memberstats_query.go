package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/tillsync/tillsync/central"
)

var _ central.MemberStatsStore = (*DB)(nil)

// The statistics of a card are its lifetime row (member_stats) and the
// sums of its monthly buckets of the window (member_months), never a scan
// of sales (as in package sqlite). The window queries take the arguments
// of windowArgs: window first month, annual first month, the lower of the
// two, now's month; then their card condition's.

// cardLifetimeSQL reads cards' lifetime rows and linked members, in the
// column order of scanLifetime. points_cards.card has the database's
// collation, not "C": compared under "C" its key cannot be used, and the
// correlated subquery this replaces scanned all of points_cards per card.
const cardLifetimeSQL = `SELECT s.card, COALESCE(c.member_id, ''),
	s.first_ms, s.last_ms, s.visits, s.spend_fen, s.largest_fen, s.points_earned, s.points_redeemed
FROM member_stats s LEFT JOIN points_cards c ON c.card = s.card COLLATE "default"`

// cardMonthsSQL sums the window's monthly buckets per card, the columns
// of scanMonths (never NULL); %s is the card condition. The lower of the
// window's and the annual first month bounds the index scan; the FILTERs
// split the two sums.
const cardMonthsSQL = `SELECT card,
	COALESCE(SUM(visits) FILTER (WHERE month >= $1), 0)::bigint AS visits,
	COALESCE(SUM(spend_fen) FILTER (WHERE month >= $1), 0)::bigint AS spend_fen,
	COALESCE(MAX(largest_fen) FILTER (WHERE month >= $1), 0)::bigint AS largest_fen,
	COALESCE(SUM(spend_fen) FILTER (WHERE month >= $2), 0)::bigint AS annual_fen
FROM member_months WHERE month BETWEEN $3 AND $4 AND %s GROUP BY card`

// memberActivitySQL reads one card's statistics, the columns of
// scanActivity.
var memberActivitySQL = `SELECT l.*, COALESCE(m.visits, 0), COALESCE(m.spend_fen, 0),
	COALESCE(m.largest_fen, 0), COALESCE(m.annual_fen, 0)
FROM (` + cardLifetimeSQL + ` WHERE s.card = $5) l
LEFT JOIN (` + fmt.Sprintf(cardMonthsSQL, `card = $5`) + `) m ON true`

// MemberStats implements central.MemberStatsStore.
func (db *DB) MemberStats(ctx context.Context, card string, now time.Time, months int) (central.MemberActivity, error) {
	now = now.In(db.zone) // windows are months of the chain's calendar
	w, err := central.NewStatsWindow(now, months)
	if err != nil {
		return central.MemberActivity{}, err
	}
	rows, err := db.pool.Query(ctx, memberActivitySQL, windowArgs(w, card)...)
	if err != nil {
		return central.MemberActivity{}, fmt.Errorf("read statistics of card %s: %w", central.MaskCard(card), err)
	}
	a, err := pgx.CollectExactlyOneRow(rows, func(row pgx.CollectableRow) (central.MemberActivity, error) {
		return scanActivity(row, w)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return central.MemberActivity{}, central.Errorf(central.ENOTFOUND, "no statistics for card %s", central.MaskCard(card))
	}
	if err != nil {
		return central.MemberActivity{}, fmt.Errorf("read statistics of card %s: %w", central.MaskCard(card), err)
	}
	return a, nil
}

func windowArgs(w central.StatsWindow, more ...any) []any {
	annual := w.AnnualFirstMonth()
	return append([]any{w.FirstMonth, annual, min(w.FirstMonth, annual), w.LastMonth}, more...)
}

func scanActivity(row pgx.Row, w central.StatsWindow) (central.MemberActivity, error) {
	a := central.MemberActivity{Months: w.Months}
	var first, last *int64
	err := row.Scan(&a.Card, &a.MemberID, &first, &last, &a.LifetimeVisits, &a.LifetimeSpendFen,
		&a.LifetimeLargestSaleFen, &a.PointsEarned, &a.PointsRedeemed,
		&a.Visits, &a.SpendFen, &a.LargestSaleFen, &a.AnnualSpendFen)
	if first != nil {
		a.FirstPurchase = time.UnixMilli(*first).UTC()
	}
	if last != nil {
		a.LastPurchase = time.UnixMilli(*last).UTC()
	}
	return a, err
}

// favouritesSQL ranks one card's items of the window; %[1]s is the table,
// %[2]s its key column, %[3]s the ORDER BY (as in package sqlite).
const favouritesSQL = `SELECT %[2]s, SUM(purchases)::bigint, SUM(quantity_milli)::bigint, SUM(spend_fen)::bigint
	FROM %[1]s WHERE card = $1 AND month BETWEEN $2 AND $3 GROUP BY %[2]s ORDER BY %[3]s LIMIT $4`

// Favourites implements central.MemberStatsStore.
func (db *DB) Favourites(ctx context.Context, card string, now time.Time, months, limit int) (central.MemberFavourites, error) {
	return central.FavouritesFrom(ctx, db.favourites, card, now.In(db.zone), months, limit)
}

// favourites implements central.FavouritesQuery.
func (db *DB) favourites(ctx context.Context, table, column, order, card string, w central.StatsWindow, limit int) ([]central.FavouriteItem, error) {
	rows, err := db.pool.Query(ctx, fmt.Sprintf(favouritesSQL, table, column, order), card, w.FirstMonth, w.LastMonth, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (central.FavouriteItem, error) {
		var it central.FavouriteItem
		return it, row.Scan(&it.Key, &it.Purchases, &it.QuantityMilli, &it.SpendFen)
	})
}
