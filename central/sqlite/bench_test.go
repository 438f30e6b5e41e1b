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
