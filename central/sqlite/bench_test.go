package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

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
