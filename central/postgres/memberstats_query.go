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

// memberActivitySQL reads cards' lifetime row and sums their monthly
// buckets of the window, never scanning sales (as in package sqlite).
// Arguments: window first month, annual first month, the lower of the
// two, now's month; then the WHERE clause's.
const memberActivitySQL = `SELECT s.card, COALESCE((SELECT member_id FROM points_cards c WHERE c.card = s.card), ''),
	s.first_ms, s.last_ms, s.visits, s.spend_fen, s.largest_fen, s.points_earned, s.points_redeemed,
	COALESCE(SUM(m.visits) FILTER (WHERE m.month >= $1), 0)::bigint,
	COALESCE(SUM(m.spend_fen) FILTER (WHERE m.month >= $1), 0)::bigint,
	COALESCE(MAX(m.largest_fen) FILTER (WHERE m.month >= $1), 0)::bigint,
	COALESCE(SUM(m.spend_fen) FILTER (WHERE m.month >= $2), 0)::bigint
FROM member_stats s
LEFT JOIN member_months m ON m.card = s.card AND m.month BETWEEN $3 AND $4
%s GROUP BY s.card ORDER BY s.card`

// MemberStats implements central.MemberStatsStore.
func (db *DB) MemberStats(ctx context.Context, card string, now time.Time, months int) (central.MemberActivity, error) {
	w, err := central.NewStatsWindow(now, months)
	if err != nil {
		return central.MemberActivity{}, err
	}
	rows, err := db.pool.Query(ctx, fmt.Sprintf(memberActivitySQL, `WHERE s.card = $5`), windowArgs(w, card)...)
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

// AllMemberStats implements central.MemberStatsStore. pgx reads the rows
// as the server sends them, so memory stays flat however many members
// there are; the walk is one statement, so one snapshot.
func (db *DB) AllMemberStats(ctx context.Context, now time.Time, months int, fn func(central.MemberActivity) error) error {
	w, err := central.NewStatsWindow(now, months)
	if err != nil {
		return err
	}
	rows, err := db.pool.Query(ctx, fmt.Sprintf(memberActivitySQL, ``), windowArgs(w)...)
	if err != nil {
		return fmt.Errorf("read member statistics: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		a, err := scanActivity(rows, w)
		if err != nil {
			return fmt.Errorf("read member statistics: %w", err)
		}
		if err := fn(a); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read member statistics: %w", err)
	}
	return nil
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
	return central.FavouritesFrom(ctx, db.favourites, card, now, months, limit)
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
