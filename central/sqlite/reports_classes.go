package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/tillsync/tillsync/central"
)

var _ central.ClassProductsStore = (*DB)(nil)

// classProductsSQL sums the window's product buckets of one run's members
// per class and SKU and keeps each class's top ?6; %[1]s is the class
// column, which classification_members names after the classifier.
// Arguments: run id, the window's first and last month, the class ("" for
// every class but ?5, the excluded one), the excluded class, the limit.
// The walk is the run's members in card order, each with an index range
// of its product buckets (primary key card, month, sku): no sales are read.
const classProductsSQL = `WITH p AS (
	SELECT c.%[1]s AS class, s.sku AS sku, SUM(s.quantity_milli) AS qty, SUM(s.spend_fen) AS spend,
		COUNT(DISTINCT s.card) AS buyers
	FROM classification_members c
	JOIN member_month_skus s ON s.card = c.card AND s.month BETWEEN ?2 AND ?3
	WHERE c.run_id = ?1 AND (c.%[1]s = ?4 OR (?4 = '' AND c.%[1]s <> ?5))
	GROUP BY c.%[1]s, s.sku
), r AS (
	SELECT class, sku, qty, spend, buyers, SUM(spend) OVER (PARTITION BY class) AS class_spend,
		ROW_NUMBER() OVER (PARTITION BY class ORDER BY spend DESC, buyers DESC, sku) AS rank
	FROM p
)
SELECT class, class_spend, sku, qty, spend, buyers FROM r WHERE rank <= ?6`

// TopClassProducts implements central.ClassProductsStore. The run and its
// sums are read in one transaction, so a run saved or pruned meanwhile
// does not mix into the report.
func (db *DB) TopClassProducts(ctx context.Context, q central.TopProductsQuery) (central.TopProducts, error) {
	q, err := q.Normalize()
	if err != nil {
		return central.TopProducts{}, err
	}
	tp, err := db.topClassProducts(ctx, q)
	if err != nil {
		return central.TopProducts{}, err
	}
	if err := central.NameProducts(ctx, db, &tp); err != nil {
		return central.TopProducts{}, fmt.Errorf("top products of run %d: %w", tp.RunID, err)
	}
	return tp, nil
}

func (db *DB) topClassProducts(ctx context.Context, q central.TopProductsQuery) (central.TopProducts, error) {
	tx, err := db.read.BeginTx(ctx, nil)
	if err != nil {
		return central.TopProducts{}, fmt.Errorf("top products: begin: %w", err)
	}
	defer rollback(tx, db.logger)
	runID, asOf, w, err := classRunWindow(ctx, tx, q.RunID, db.zone)
	if err != nil {
		return central.TopProducts{}, err
	}
	rows, err := tx.QueryContext(ctx, fmt.Sprintf(classProductsSQL, q.Classifier),
		runID, w.FirstMonth, w.LastMonth, q.Class, central.ExcludedClass, q.Limit)
	if err != nil {
		return central.TopProducts{}, fmt.Errorf("top products of run %d: %w", runID, err)
	}
	defer closeRows(rows, db)
	var out []central.ClassProductRow
	for rows.Next() {
		var r central.ClassProductRow
		if err := rows.Scan(&r.Class, &r.ClassSpendFen, &r.SKU, &r.QuantityMilli, &r.SpendFen, &r.Members); err != nil {
			return central.TopProducts{}, fmt.Errorf("top products of run %d: %w", runID, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return central.TopProducts{}, fmt.Errorf("top products of run %d: %w", runID, err)
	}
	return central.TopProductsOf(q, runID, asOf, w, out)
}

// classRunWindow reads run runID (0: the latest) and returns its id, as-of
// time and statistics window, or an ENOTFOUND *Error when it is not stored.
func classRunWindow(ctx context.Context, tx *sql.Tx, runID int64, zone *time.Location) (int64, time.Time, central.StatsWindow, error) {
	var id, asOfMS int64
	var months int
	query, args := `SELECT run_id, as_of_ms, months FROM classification_runs WHERE run_id = ?`, []any{runID}
	if runID == 0 {
		query, args = `SELECT run_id, as_of_ms, months FROM classification_runs ORDER BY run_id DESC LIMIT 1`, nil
	}
	err := tx.QueryRowContext(ctx, query, args...).Scan(&id, &asOfMS, &months)
	switch {
	case errors.Is(err, sql.ErrNoRows) && runID == 0:
		return 0, time.Time{}, central.StatsWindow{}, central.Errorf(central.ENOTFOUND, "no classification run stored; run tillsync-central classify")
	case errors.Is(err, sql.ErrNoRows):
		return 0, time.Time{}, central.StatsWindow{}, central.Errorf(central.ENOTFOUND, "no classification run %d", runID)
	case err != nil:
		return 0, time.Time{}, central.StatsWindow{}, fmt.Errorf("read classification run: %w", err)
	}
	asOf := time.UnixMilli(asOfMS).In(zone) // the window is months of the chain's calendar
	w, err := central.NewStatsWindow(asOf, months)
	if err != nil {
		return 0, time.Time{}, central.StatsWindow{}, fmt.Errorf("classification run %d: %w", id, err)
	}
	return id, asOf, w, nil
}
