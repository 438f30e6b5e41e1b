package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/tillsync/tillsync/central"
)

// benchProductMembers is the population of BenchmarkTopClassProducts;
// TILLSYNC_BENCH_PRODUCT_MEMBERS overrides it.
const benchProductMembers = 20_000

// benchSKUsPerMonth is how many products each member buys each month.
const benchSKUsPerMonth = 8

// BenchmarkTopClassProducts times the top-products report of a run over
// the product buckets ingest keeps: the members of seedMemberStats (12
// months each) with benchSKUsPerMonth of 500 SKUs a month, so 96 bucket
// rows a member. All reads every class; VIP one class (1 % of members).
func BenchmarkTopClassProducts(b *testing.B) {
	n := benchProductMembers
	if s := os.Getenv("TILLSYNC_BENCH_PRODUCT_MEMBERS"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 {
			b.Fatalf("TILLSYNC_BENCH_PRODUCT_MEMBERS=%q: want a positive number", s)
		}
		n = v
	}
	path := filepath.Join(b.TempDir(), "bench.db")
	db := openDB(b, path)
	ctx := context.Background()
	start := time.Now()
	if err := seedMemberStats(ctx, path, n); err != nil {
		b.Fatalf("seed %d members: %v", n, err)
	}
	if err := seedProductBuckets(ctx, path); err != nil {
		b.Fatalf("seed product buckets: %v", err)
	}
	now := time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)
	run, err := central.RunClassification(ctx, db, db, now, central.ClassificationOptions{Classify: central.DefaultClassifyOptions()})
	if err != nil {
		b.Fatalf("classify: %v", err)
	}
	b.Logf("seeded and classified %d members (%d product rows) in %s", n, n*12*benchSKUsPerMonth, time.Since(start).Round(time.Millisecond))
	for _, v := range []struct {
		name string
		q    central.TopProductsQuery
	}{{"All", central.TopProductsQuery{RunID: run.ID}}, {"VIP", central.TopProductsQuery{RunID: run.ID, Class: "vip"}}} {
		b.Run(v.name, func(b *testing.B) {
			for b.Loop() {
				tp, err := db.TopClassProducts(ctx, v.q)
				if err != nil {
					b.Fatal(err)
				}
				if len(tp.Classes[0].Products) != central.DefaultTopProducts {
					b.Fatalf("%s: %d products in %s, want %d", v.name, len(tp.Classes[0].Products), tp.Classes[0].Class, central.DefaultTopProducts)
				}
			}
		})
	}
}

// seedProductBuckets writes benchSKUsPerMonth product rows for every
// monthly row seedMemberStats wrote, the month's spend split evenly.
func seedProductBuckets(ctx context.Context, path string) (err error) {
	raw, err := sql.Open("sqlite", "file:"+filepath.ToSlash(path))
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, raw.Close()) }()
	raw.SetMaxOpenConns(1)
	_, err = raw.ExecContext(ctx, `INSERT INTO member_month_skus (card, month, sku, purchases, quantity_milli, spend_fen)
		WITH RECURSIVE k(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM k WHERE k < ?1 - 1)
		SELECT card, month, printf('SKU-%03d', (CAST(substr(card, 3) AS INTEGER) * 31 + month + k * 61) % 500),
			visits, 1000 * visits, spend_fen / ?1
		FROM member_months CROSS JOIN k ORDER BY 1, 2, 3`, benchSKUsPerMonth)
	if err != nil {
		return err
	}
	_, err = raw.ExecContext(ctx, `ANALYZE`)
	return err
}
