package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/tillsync/tillsync/central"
)

var _ central.ClassProductsStore = (*DB)(nil)

// classProductsSQL sums the window's product buckets of one run's members
// per class and SKU and keeps each class's top $6, as in package sqlite;
// %[1]s is the class column, named after the classifier. SKUs tie in
// byte order (COLLATE "C") as in SQLite.
const classProductsSQL = `WITH p AS (
	SELECT c.%[1]s AS class, s.sku AS sku, SUM(s.quantity_milli) AS qty, SUM(s.spend_fen) AS spend,
		COUNT(DISTINCT s.card) AS buyers
	FROM classification_members c
	JOIN member_month_skus s ON s.card = c.card AND s.month BETWEEN $2 AND $3
	WHERE c.run_id = $1 AND (c.%[1]s = $4 OR ($4 = '' AND c.%[1]s <> $5))
	GROUP BY c.%[1]s, s.sku
), r AS (
	SELECT class, sku, qty, spend, buyers, SUM(spend) OVER (PARTITION BY class) AS class_spend,
		ROW_NUMBER() OVER (PARTITION BY class ORDER BY spend DESC, buyers DESC, sku COLLATE "C") AS rank
	FROM p
)
SELECT class, class_spend::bigint, sku, qty::bigint, spend::bigint, buyers FROM r WHERE rank <= $6`

// TopClassProducts implements central.ClassProductsStore. The run and its
// sums are read in one read-only repeatable-read transaction, so a run
// saved or pruned meanwhile does not mix into the report.
func (db *DB) TopClassProducts(ctx context.Context, q central.TopProductsQuery) (central.TopProducts, error) {
	q, err := q.Normalize()
	if err != nil {
		return central.TopProducts{}, err
	}
	var tp central.TopProducts
	err = pgx.BeginTxFunc(ctx, db.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly},
		func(tx pgx.Tx) error {
			runID, asOf, w, err := classRunWindow(ctx, tx, q.RunID, db.zone)
			if err != nil {
				return err
			}
			rows, err := tx.Query(ctx, fmt.Sprintf(classProductsSQL, q.Classifier),
				runID, w.FirstMonth, w.LastMonth, q.Class, central.ExcludedClass, q.Limit)
			if err != nil {
				return fmt.Errorf("top products of run %d: %w", runID, err)
			}
			out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (central.ClassProductRow, error) {
				var r central.ClassProductRow
				err := row.Scan(&r.Class, &r.ClassSpendFen, &r.SKU, &r.QuantityMilli, &r.SpendFen, &r.Members)
				return r, err
			})
			if err != nil {
				return fmt.Errorf("top products of run %d: %w", runID, err)
			}
			tp, err = central.TopProductsOf(q, runID, asOf, w, out)
			return err
		})
	if err != nil {
		return central.TopProducts{}, err
	}
	if err := central.NameProducts(ctx, db, &tp); err != nil {
		return central.TopProducts{}, fmt.Errorf("top products of run %d: %w", tp.RunID, err)
	}
	return tp, nil
}

// classRunWindow reads run runID (0: the latest) and returns its id, as-of
// time and statistics window, or an ENOTFOUND *Error when it is not stored.
func classRunWindow(ctx context.Context, tx pgx.Tx, runID int64, zone *time.Location) (int64, time.Time, central.StatsWindow, error) {
	var id, asOfMS int64
	var months int32
	query, args := `SELECT run_id, as_of_ms, months FROM classification_runs WHERE run_id = $1`, []any{runID}
	if runID == 0 {
		query, args = `SELECT run_id, as_of_ms, months FROM classification_runs ORDER BY run_id DESC LIMIT 1`, nil
	}
	err := tx.QueryRow(ctx, query, args...).Scan(&id, &asOfMS, &months)
	switch {
	case errors.Is(err, pgx.ErrNoRows) && runID == 0:
		return 0, time.Time{}, central.StatsWindow{}, central.Errorf(central.ENOTFOUND, "no classification run stored; run tillsync-central classify")
	case errors.Is(err, pgx.ErrNoRows):
		return 0, time.Time{}, central.StatsWindow{}, central.Errorf(central.ENOTFOUND, "no classification run %d", runID)
	case err != nil:
		return 0, time.Time{}, central.StatsWindow{}, fmt.Errorf("read classification run: %w", err)
	}
	asOf := time.UnixMilli(asOfMS).In(zone) // the window is months of the chain's calendar
	w, err := central.NewStatsWindow(asOf, int(months))
	if err != nil {
		return 0, time.Time{}, central.StatsWindow{}, fmt.Errorf("classification run %d: %w", id, err)
	}
	return id, asOf, w, nil
}
