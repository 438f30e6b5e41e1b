package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
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
