package postgres

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/tillsync/tillsync/central"
	"github.com/tillsync/tillsync/central/storetest"
)

// benchBatch is the batch size of the benchmarks, in sales.
const benchBatch = 100

// BenchmarkIngestBatch measures durable ingest (each commit waits for the
// WAL flush, PostgreSQL's default) of 100-sale batches; events/s is the
// number to compare with BenchmarkRawInsert and the sqlite benchmark.
func BenchmarkIngestBatch(b *testing.B) {
	db := openDB(b, freshDSN(b))
	ctx := context.Background()
	seq := uint64(1)
	for b.Loop() {
		if _, err := db.IngestBatch(ctx, storetest.SaleBatch("s1", "a1", seq, seq+benchBatch-1), time.Now()); err != nil {
			b.Fatal(err)
		}
		seq += benchBatch
	}
	b.ReportMetric(float64(b.N*benchBatch)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkRawInsert is the baseline: the same rows IngestBatch writes for
// a 100-sale batch (an event, a sale and a line per sale) as plain INSERTs
// in one transaction, with no conflict handling, quarantine, totals or
// agent status. Sequential sends one statement per round trip; Pipelined
// sends them all as one pgx.Batch.
func BenchmarkRawInsert(b *testing.B) {
	for _, mode := range []struct {
		name      string
		pipelined bool
	}{{"Sequential", false}, {"Pipelined", true}} {
		b.Run(mode.name, func(b *testing.B) {
			db := openDB(b, freshDSN(b))
			ctx := context.Background()
			seq := uint64(1)
			for b.Loop() {
				if err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
					return rawInsert(ctx, tx, seq, mode.pipelined)
				}); err != nil {
					b.Fatal(err)
				}
				seq += benchBatch
			}
			b.ReportMetric(float64(b.N*benchBatch)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// rawInsert writes sales first..first+benchBatch-1 with plain INSERTs.
func rawInsert(ctx context.Context, tx pgx.Tx, first uint64, pipelined bool) error {
	batch := &pgx.Batch{}
	for seq := first; seq < first+benchBatch; seq++ {
		ev := storetest.SaleEvent("s1", "a1", seq)
		payload, err := payloadOptions.Marshal(ev)
		if err != nil {
			return err
		}
		sc := ev.GetSaleCommitted()
		l := sc.GetLines()[0]
		now := time.Now().UnixMilli()
		batch.Queue(`INSERT INTO events (agent_id, seq, event_id, store_id, kind, agent_wall_ms, received_ms, payload)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, "a1", int64(seq), ev.GetEventId(), "s1", "sale_committed",
			ev.GetWallTimeMs(), now, payload)
		batch.Queue(`INSERT INTO sales (sale_id, agent_id, seq, store_id, lane_id, receipt_no, total_fen, member_card,
			agent_wall_ms, received_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			sc.GetSaleId(), "a1", int64(seq), "s1", sc.GetLaneId(), sc.GetReceiptNo(), sc.GetTotalFen(),
			sc.GetMemberCard(), sc.GetAgentWallTimeMs(), now)
		batch.Queue(`INSERT INTO sale_lines (sale_id, position, line_no, sku, barcode, name, quantity_milli,
			unit_price_fen, line_total_fen) VALUES ($1, 0, $2, $3, $4, $5, $6, $7, $8)`,
			sc.GetSaleId(), int64(l.GetLineNo()), l.GetSku(), l.GetBarcode(), l.GetName(), l.GetQuantityMilli(),
			l.GetUnitPriceFen(), l.GetLineTotalFen())
	}
	if pipelined {
		return tx.SendBatch(ctx, batch).Close()
	}
	for _, q := range batch.QueuedQueries {
		if _, err := tx.Exec(ctx, q.SQL, q.Arguments...); err != nil {
			return err
		}
	}
	return nil
}

// BenchmarkIngestBatch_MemberStats measures what the member statistics
// cost at ingest: the same 100-sale batches of five-line sales in three
// categories, with member cards (statistics kept) and without (none).
// Compare the two sales/s of one run.
func BenchmarkIngestBatch_MemberStats(b *testing.B) {
	for _, v := range []struct {
		name    string
		members bool
	}{{"Members", true}, {"Anonymous", false}} {
		b.Run(v.name, func(b *testing.B) {
			db := openDB(b, freshDSN(b))
			ctx := context.Background()
			seq := uint64(1)
			for b.Loop() {
				if _, err := db.IngestBatch(ctx, storetest.MemberSaleBatch("s1", "a1", seq, seq+benchBatch-1, v.members), time.Now()); err != nil {
					b.Fatal(err)
				}
				seq += benchBatch
			}
			b.ReportMetric(float64(b.N*benchBatch)/b.Elapsed().Seconds(), "sales/s")
		})
	}
}

// benchMembers is the population of BenchmarkClassificationRun_1M; the
// environment variable TILLSYNC_BENCH_MEMBERS overrides it to measure
// how the run scales.
const benchMembers = 1_000_000

// BenchmarkClassificationRun_1M times a full reclassification (tillsync
// issue 6): stream every member's statistics, classify, and save the run
// by COPY. The statistics of 1,000,000 members, each with 20 sales over 12
// months, and their points cards are written straight into the tables
// ingest maintains (12 monthly rows a member), since 20,000,000 sales
// through ingest would take hours. Stream times the read alone; Run the
// whole run.
func BenchmarkClassificationRun_1M(b *testing.B) {
	n := benchMemberCount(b)
	db := openDB(b, freshDSN(b))
	ctx := context.Background()
	start := time.Now()
	if err := seedMemberStats(ctx, db, n); err != nil {
		b.Fatalf("seed %d members: %v", n, err)
	}
	b.Logf("seeded %d members (%d monthly rows) in %s", n, 12*n, time.Since(start).Round(time.Millisecond))
	now := time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)
	b.Run("Stream", func(b *testing.B) {
		for b.Loop() {
			count, linked := 0, 0
			if err := db.AllMemberStats(ctx, now, 12, func(a central.MemberActivity) error {
				count++
				if a.MemberID != "" && a.Visits > 0 {
					linked++
				}
				return nil
			}); err != nil {
				b.Fatal(err)
			}
			if count != n || linked != n {
				b.Fatalf("streamed %d members, %d with a member id and window sales; want %d", count, linked, n)
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

// seedMemberStats writes n members' statistics as ingest would leave them
// after 20 sales each from July 2025 to June 2026: two sales a month in
// the first eight months and one in the last four, of a per-member amount
// that varies by month; the last purchase 0 to 364 days before mid-June.
// Each card is enrolled to a member and holds the points its sales earned
// (points_cards: a statistics read that looks members up per card must
// find them among as many cards as it reads).
func seedMemberStats(ctx context.Context, db *DB, n int) error {
	if err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO member_months (card, month, visits, spend_fen, largest_fen)
			SELECT '62' || lpad(i::text, 14, '0'),
				((24306 + j) / 12) * 100 + (24306 + j) % 12 + 1,
				CASE WHEN j < 8 THEN 2 ELSE 1 END,
				(CASE WHEN j < 8 THEN 2 ELSE 1 END) * (500 + (i * 7919 + j * 104729) % 40000),
				500 + (i * 7919 + j * 104729) % 40000
			FROM generate_series(1, $1::bigint) i CROSS JOIN generate_series(0, 11) j
			-- As ingest leaves them: a month's rows arrive as its sales do,
			-- cards in no order, so the heap is month by month.
			ORDER BY j, md5(i::text)`, n); err != nil {
			return fmt.Errorf("member_months: %w", err)
		}
		_, err := tx.Exec(ctx, `INSERT INTO member_stats (card, first_ms, last_ms, visits, spend_fen, largest_fen,
				points_earned, points_redeemed)
			SELECT card, $1::bigint, $2::bigint - (hashtext(card)::bigint & 511) % 365 * 86400000,
				SUM(visits), SUM(spend_fen), MAX(largest_fen), SUM(spend_fen) / 100, 0
			FROM member_months GROUP BY card`,
			time.Date(2025, 7, 1, 9, 0, 0, 0, time.UTC).UnixMilli(), time.Date(2026, 6, 15, 9, 0, 0, 0, time.UTC).UnixMilli())
		if err != nil {
			return fmt.Errorf("member_stats: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO points_cards (card, member_id, enrolled, balance, entries)
			SELECT card, 'M' || substr(card, 3), 1, points_earned, visits FROM member_stats`); err != nil {
			return fmt.Errorf("points_cards: %w", err)
		}
		return nil
	}); err != nil {
		return err
	}
	// What autovacuum leaves behind after a bulk of inserts: statistics,
	// and the visibility map that lets index-only scans skip the heap.
	_, err := db.pool.Exec(ctx, `VACUUM ANALYZE member_stats, member_months, points_cards`)
	return err
}
