package postgres

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/tillsync/tillsync/central"
)

// benchProductMembers is the population of BenchmarkTopClassProducts, as
// in package sqlite; TILLSYNC_BENCH_PRODUCT_MEMBERS overrides it.
const benchProductMembers = 20_000

// benchSKUsPerMonth is how many products each member buys each month.
const benchSKUsPerMonth = 8

// BenchmarkTopClassProducts times the top-products report of a run over
// the members of seedMemberStats with benchSKUsPerMonth of 500 SKUs a
// month (96 product bucket rows a member). All reads every class; VIP one
// class (1 % of members).
func BenchmarkTopClassProducts(b *testing.B) {
	n := benchProductMembers
	if s := os.Getenv("TILLSYNC_BENCH_PRODUCT_MEMBERS"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 {
			b.Fatalf("TILLSYNC_BENCH_PRODUCT_MEMBERS=%q: want a positive number", s)
		}
		n = v
	}
	db := openDB(b, freshDSN(b))
	ctx := context.Background()
	start := time.Now()
	if err := seedMemberStats(ctx, db, n); err != nil {
		b.Fatalf("seed %d members: %v", n, err)
	}
	if err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO member_month_skus (card, month, sku, purchases, quantity_milli, spend_fen)
			SELECT card, month, 'SKU-' || lpad(((hashtext(card)::bigint & 65535) * 31 + month + k * 61) % 500 || '', 3, '0'),
				visits, 1000 * visits, spend_fen / $1
			FROM member_months CROSS JOIN generate_series(0, $1 - 1) k`, benchSKUsPerMonth); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `ANALYZE member_month_skus`)
		return err
	}); err != nil {
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
