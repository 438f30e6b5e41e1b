package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/tillsync/tillsync/central"
	"github.com/tillsync/tillsync/central/storetest"
)

// BenchmarkDB_IngestBatch measures durable ingest (synchronous=FULL, one
// fsync per commit) of 100-sale batches; events/s is the number to compare.
func BenchmarkDB_IngestBatch(b *testing.B) {
	db := openDB(b, filepath.Join(b.TempDir(), "bench.db"))
	const size = 100
	ctx := context.Background()
	seq := uint64(1)
	b.ResetTimer()
	for b.Loop() {
		if _, err := db.IngestBatch(ctx, storetest.SaleBatch("s1", "a1", seq, seq+size-1), time.Now()); err != nil {
			b.Fatal(err)
		}
		seq += size
	}
	b.ReportMetric(float64(b.N*size)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkDB_IngestBatch_MemberStats measures what the member statistics
// cost at ingest: the same 100-sale batches of five-line sales in three
// categories, with member cards (statistics kept) and without (none).
// Compare the two sales/s of one run.
func BenchmarkDB_IngestBatch_MemberStats(b *testing.B) {
	for _, v := range []struct {
		name    string
		members bool
	}{{"Members", true}, {"Anonymous", false}} {
		b.Run(v.name, func(b *testing.B) {
			db := openDB(b, filepath.Join(b.TempDir(), "bench.db"))
			const size = 100
			ctx := context.Background()
			seq := uint64(1)
			for b.Loop() {
				if _, err := db.IngestBatch(ctx, storetest.MemberSaleBatch("s1", "a1", seq, seq+size-1, v.members), time.Now()); err != nil {
					b.Fatal(err)
				}
				seq += size
			}
			b.ReportMetric(float64(b.N*size)/b.Elapsed().Seconds(), "sales/s")
		})
	}
}

// benchMembers is the population of BenchmarkClassificationRun_1M; the
// environment variable TILLSYNC_BENCH_MEMBERS overrides it to measure
// how the run scales.
const benchMembers = 1_000_000

// BenchmarkClassificationRun_1M times a full reclassification (tillsync
// issue 6): stream every member's statistics, classify, and save the run
// with batched prepared INSERTs in one transaction. The statistics of
// 1,000,000 members, each with 20 sales over 12 months, are written
// straight into the tables ingest maintains (12 monthly rows a member) by
// a recursive CTE, since 20,000,000 sales through ingest would take hours.
// Stream times the read alone; Run the whole run.
func BenchmarkClassificationRun_1M(b *testing.B) {
	n := benchMemberCount(b)
	path := filepath.Join(b.TempDir(), "bench.db")
	db := openDB(b, path)
	ctx := context.Background()
	start := time.Now()
	if err := seedMemberStats(ctx, path, n); err != nil {
		b.Fatalf("seed %d members: %v", n, err)
	}
	b.Logf("seeded %d members (%d monthly rows) in %s", n, 12*n, time.Since(start).Round(time.Millisecond))
	now := time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)
	b.Run("Stream", func(b *testing.B) {
		for b.Loop() {
			count := 0
			if err := db.AllMemberStats(ctx, now, 12, func(central.MemberActivity) error { count++; return nil }); err != nil {
				b.Fatal(err)
			}
			if count != n {
				b.Fatalf("streamed %d members, want %d", count, n)
			}
		}
		b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "members/s")
	})
	b.Run("Run", func(b *testing.B) {
		o := central.ClassificationOptions{Classify: central.DefaultClassifyOptions()}
		for b.Loop() {
			run, err := central.RunClassification(ctx, db, db, now, o)
			if err != nil {
				b.Fatal(err)
			}
			if run.Members != int64(n) {
				b.Fatalf("run classified %d members, want %d", run.Members, n)
			}
		}
		b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "members/s")
	})
}

// benchMemberCount returns benchMembers or TILLSYNC_BENCH_MEMBERS.
func benchMemberCount(b *testing.B) int {
	s := os.Getenv("TILLSYNC_BENCH_MEMBERS")
	if s == "" {
		return benchMembers
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		b.Fatalf("TILLSYNC_BENCH_MEMBERS=%q: want a positive number", s)
	}
	return n
}

// seedMemberStats writes, through a second connection to the migrated
// file at path, n members' statistics as ingest would leave them after 20
// sales each from July 2025 to June 2026 (as the postgres benchmark does).
func seedMemberStats(ctx context.Context, path string, n int) (err error) {
	raw, err := sql.Open("sqlite", "file:"+filepath.ToSlash(path))
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, raw.Close()) }()
	raw.SetMaxOpenConns(1)
	first := time.Date(2025, 7, 1, 9, 0, 0, 0, time.UTC).UnixMilli()
	last := time.Date(2026, 6, 15, 9, 0, 0, 0, time.UTC).UnixMilli()
	for _, st := range []struct {
		q    string
		args []any
	}{
		{`PRAGMA busy_timeout = 10000`, nil},
		{`BEGIN IMMEDIATE`, nil},
		{`INSERT INTO member_months (card, month, visits, spend_fen, largest_fen)
		WITH RECURSIVE i(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM i WHERE i < ?1),
			j(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM j WHERE j < 11)
		SELECT printf('62%014d', i), ((24306 + j) / 12) * 100 + (24306 + j) % 12 + 1,
			CASE WHEN j < 8 THEN 2 ELSE 1 END,
			(CASE WHEN j < 8 THEN 2 ELSE 1 END) * (500 + (i * 7919 + j * 104729) % 40000),
			500 + (i * 7919 + j * 104729) % 40000
		FROM i CROSS JOIN j ORDER BY 1, 2`, []any{n}},
		{`INSERT INTO member_stats (card, first_ms, last_ms, visits, spend_fen, largest_fen, points_earned, points_redeemed)
		SELECT card, ?1, ?2 - (CAST(substr(card, 3) AS INTEGER) * 7919 % 365) * 86400000,
			SUM(visits), SUM(spend_fen), MAX(largest_fen), SUM(spend_fen) / 100, 0
		FROM member_months GROUP BY card`, []any{first, last}},
		{`COMMIT`, nil},
		{`ANALYZE`, nil},
	} {
		if _, err := raw.ExecContext(ctx, st.q, st.args...); err != nil {
			return fmt.Errorf("%.40s: %w", st.q, err)
		}
	}
	return nil
}
