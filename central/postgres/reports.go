package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/tillsync/tillsync/central"
)

var _ central.Reports = (*DB)(nil)

// reportsMigration (version 8) indexes what the HQ reports scan: sales by
// wall time, covering the columns the hourly aggregate reads (an
// index-only scan once vacuumed), and points entries by kind and time for
// the redemption and breakage sums.
const reportsMigration = `
CREATE INDEX sales_wall ON sales (agent_wall_ms, store_id, member_card, total_fen);
CREATE INDEX points_entries_kind_at ON points_entries (kind, at_ms);
`

// hourMS is one hour in milliseconds: the stores bucket sales by UTC hour
// (agent_wall_ms / hourMS, bigint division truncating as SQLite's does),
// and central.RollupSales turns hours into local periods.
const hourMS = int64(time.Hour / time.Millisecond)

// SalesByPeriod implements central.Reports.
func (db *DB) SalesByPeriod(ctx context.Context, from, to time.Time, by string, loc *time.Location) ([]central.PeriodSales, error) {
	return central.SalesByPeriodFrom(ctx, db.hourSales, from, to, by, loc)
}

// MemberContribution implements central.Reports.
func (db *DB) MemberContribution(ctx context.Context, from, to time.Time, loc *time.Location) ([]central.MemberContribution, error) {
	return central.MemberContributionFrom(ctx, db.hourSales, from, to, loc)
}

// hourSales aggregates the sales in [from, to) per store and UTC hour.
func (db *DB) hourSales(ctx context.Context, from, to time.Time) ([]central.HourSales, error) {
	rows, err := db.pool.Query(ctx, `SELECT store_id, agent_wall_ms / $1 AS hour, COUNT(*), SUM(total_fen)::bigint,
		COUNT(*) FILTER (WHERE member_card <> ''),
		COALESCE(SUM(total_fen) FILTER (WHERE member_card <> ''), 0)::bigint
		FROM sales WHERE agent_wall_ms >= $2 AND agent_wall_ms < $3
		GROUP BY store_id, hour`, hourMS, from.UnixMilli(), to.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("read sales per hour: %w", err)
	}
	var out []central.HourSales
	var h central.HourSales
	var hour int64
	if _, err := pgx.ForEachRow(rows, []any{&h.StoreID, &hour, &h.Sales, &h.TotalFen, &h.MemberSales, &h.MemberFen},
		func() error {
			h.Hour = time.UnixMilli(hour * hourMS).UTC()
			out = append(out, h)
			return nil
		}); err != nil {
		return nil, fmt.Errorf("read sales per hour: %w", err)
	}
	return out, nil
}

// PointsLiability implements central.Reports. The sums are read in one
// read-only repeatable-read transaction, so they describe one snapshot of
// the ledger.
func (db *DB) PointsLiability(ctx context.Context, now time.Time, pointValueFenPer100 int64) (central.PointsLiability, error) {
	var outstanding, cards, expired, redeemed int64
	err := pgx.BeginTxFunc(ctx, db.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly},
		func(tx pgx.Tx) error {
			if err := tx.QueryRow(ctx, `SELECT COALESCE(SUM(balance), 0)::bigint, COUNT(*) FROM points_cards
				WHERE balance > 0`).Scan(&outstanding, &cards); err != nil {
				return fmt.Errorf("outstanding: %w", err)
			}
			if err := tx.QueryRow(ctx, `SELECT
				COALESCE(-SUM(points) FILTER (WHERE kind = $1), 0)::bigint,
				COALESCE(-SUM(points) FILTER (WHERE kind = $2), 0)::bigint
				FROM points_entries WHERE kind IN ($1, $2) AND at_ms >= $3 AND at_ms <= $4`,
				central.PointsExpired, central.PointsRedeem, central.BreakageFrom(now).UnixMilli(), now.UnixMilli()).
				Scan(&expired, &redeemed); err != nil {
				return fmt.Errorf("breakage: %w", err)
			}
			return nil
		})
	if err != nil {
		return central.PointsLiability{}, fmt.Errorf("points liability: %w", err)
	}
	return central.NewPointsLiability(now, outstanding, cards, expired, redeemed, pointValueFenPer100)
}

// RedemptionRate implements central.Reports.
func (db *DB) RedemptionRate(ctx context.Context, from, to time.Time) (central.RedemptionRate, error) {
	if err := central.CheckReportRange(from, to); err != nil {
		return central.RedemptionRate{}, err
	}
	var earned, redeemed int64
	if err := db.pool.QueryRow(ctx, `SELECT
		COALESCE(SUM(points) FILTER (WHERE kind = $1), 0)::bigint,
		COALESCE(-SUM(points) FILTER (WHERE kind = $2), 0)::bigint
		FROM points_entries WHERE kind IN ($1, $2) AND at_ms >= $3 AND at_ms < $4`,
		central.PointsEarn, central.PointsRedeem, from.UnixMilli(), to.UnixMilli()).Scan(&earned, &redeemed); err != nil {
		return central.RedemptionRate{}, fmt.Errorf("redemption rate: %w", err)
	}
	return central.NewRedemptionRate(from, to, earned, redeemed), nil
}
