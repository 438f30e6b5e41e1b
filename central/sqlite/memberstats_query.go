package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/tillsync/tillsync/central"
)

var _ central.MemberStatsStore = (*DB)(nil)

// memberActivitySQL reads cards' lifetime row and sums their monthly
// buckets of the window: O(months) index reads per card, never a scan of
// sales. Arguments: window first month, annual first month, the lower of
// the two, now's month; then the WHERE clause's.
const memberActivitySQL = `SELECT s.card, COALESCE((SELECT member_id FROM points_cards c WHERE c.card = s.card), ''),
	s.first_ms, s.last_ms, s.visits, s.spend_fen, s.largest_fen, s.points_earned, s.points_redeemed,
	COALESCE(SUM(CASE WHEN m.month >= ?1 THEN m.visits END), 0),
	COALESCE(SUM(CASE WHEN m.month >= ?1 THEN m.spend_fen END), 0),
	COALESCE(MAX(CASE WHEN m.month >= ?1 THEN m.largest_fen END), 0),
	COALESCE(SUM(CASE WHEN m.month >= ?2 THEN m.spend_fen END), 0)
FROM member_stats s
LEFT JOIN member_months m ON m.card = s.card AND m.month BETWEEN ?3 AND ?4
%s GROUP BY s.card ORDER BY s.card`

// MemberStats implements central.MemberStatsStore.
func (db *DB) MemberStats(ctx context.Context, card string, now time.Time, months int) (central.MemberActivity, error) {
	now = now.In(db.zone) // windows are months of the chain's calendar
	w, err := central.NewStatsWindow(now, months)
	if err != nil {
		return central.MemberActivity{}, err
	}
	rows, err := db.read.QueryContext(ctx, fmt.Sprintf(memberActivitySQL, `WHERE s.card = ?5`), windowArgs(w, card)...)
	if err != nil {
		return central.MemberActivity{}, fmt.Errorf("read statistics of card %s: %w", central.MaskCard(card), err)
	}
	defer closeRows(rows, db)
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return central.MemberActivity{}, fmt.Errorf("read statistics of card %s: %w", central.MaskCard(card), err)
		}
		return central.MemberActivity{}, central.Errorf(central.ENOTFOUND, "no statistics for card %s", central.MaskCard(card))
	}
	a, err := scanActivity(rows, w)
	if err != nil {
		return central.MemberActivity{}, fmt.Errorf("read statistics of card %s: %w", central.MaskCard(card), err)
	}
	return a, nil
}

// AllMemberStats implements central.MemberStatsStore. The walk is one
// statement, so one snapshot; in WAL mode it does not block ingest.
func (db *DB) AllMemberStats(ctx context.Context, now time.Time, months int, fn func(central.MemberActivity) error) error {
	now = now.In(db.zone)
	w, err := central.NewStatsWindow(now, months)
	if err != nil {
		return err
	}
	rows, err := db.read.QueryContext(ctx, fmt.Sprintf(memberActivitySQL, ``), windowArgs(w)...)
	if err != nil {
		return fmt.Errorf("read member statistics: %w", err)
	}
	defer closeRows(rows, db)
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

func scanActivity(rows *sql.Rows, w central.StatsWindow) (central.MemberActivity, error) {
	a := central.MemberActivity{Months: w.Months}
	var first, last sql.NullInt64
	err := rows.Scan(&a.Card, &a.MemberID, &first, &last, &a.LifetimeVisits, &a.LifetimeSpendFen,
		&a.LifetimeLargestSaleFen, &a.PointsEarned, &a.PointsRedeemed,
		&a.Visits, &a.SpendFen, &a.LargestSaleFen, &a.AnnualSpendFen)
	if first.Valid {
		a.FirstPurchase = time.UnixMilli(first.Int64).UTC()
	}
	if last.Valid {
		a.LastPurchase = time.UnixMilli(last.Int64).UTC()
	}
	return a, err
}

// favouritesSQL ranks one card's items of the window; %[1]s is the table,
// %[2]s its key column, %[3]s the ORDER BY.
const favouritesSQL = `SELECT %[2]s, SUM(purchases), SUM(quantity_milli), SUM(spend_fen) FROM %[1]s
	WHERE card = ? AND month BETWEEN ? AND ? GROUP BY %[2]s ORDER BY %[3]s LIMIT ?`

// Favourites implements central.MemberStatsStore.
func (db *DB) Favourites(ctx context.Context, card string, now time.Time, months, limit int) (central.MemberFavourites, error) {
	return central.FavouritesFrom(ctx, db.favourites, card, now.In(db.zone), months, limit)
}

// favourites implements central.FavouritesQuery.
func (db *DB) favourites(ctx context.Context, table, column, order, card string, w central.StatsWindow, limit int) ([]central.FavouriteItem, error) {
	rows, err := db.read.QueryContext(ctx, fmt.Sprintf(favouritesSQL, table, column, order), card, w.FirstMonth, w.LastMonth, limit)
	if err != nil {
		return nil, err
	}
	out := []central.FavouriteItem{}
	for rows.Next() {
		var it central.FavouriteItem
		if err := rows.Scan(&it.Key, &it.Purchases, &it.QuantityMilli, &it.SpendFen); err != nil {
			return nil, errors.Join(err, rows.Close())
		}
		out = append(out, it)
	}
	return out, errors.Join(rows.Err(), rows.Close())
}
