package bolt

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tillsync/tillsync/agent"
	bbolt "go.etcd.io/bbolt"
)

// BenchmarkCommitSale commits 5-line sales one at a time to a real file,
// each durable (fsynced) before the next starts: one lane's tender latency.
func BenchmarkCommitSale(b *testing.B) {
	l := mustOpen(b, tempPath(b), testOptions())
	sales := make([]*agent.Sale, b.N)
	for i := range sales {
		sales[i] = newSale(b, fmt.Sprintf("sale-%d", i), "L1", 5, i)
	}
	durs := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for _, s := range sales {
		start := time.Now()
		if err := l.CommitSale(context.Background(), s); err != nil {
			b.Fatal(err)
		}
		durs = append(durs, time.Since(start))
	}
	b.StopTimer()
	reportLatency(b, durs)
}

// BenchmarkRawBoltCommit is the floor under BenchmarkCommitSale: one bbolt
// Update per op putting a value of a 5-line sale event's size under a
// big-endian key, on the same file system.
func BenchmarkRawBoltCommit(b *testing.B) {
	s := newSale(b, "0198f1c2-7d2a-7b3e-9f00-0123456789ab", "L1", 5, 0)
	s.Seq, s.ReceiptNo = 1, "S001-L1-000001"
	val, err := agent.EncodeSaleEvent(s, "0198f1c2-7d2a-7b3e-9f00-0123456789ac")
	if err != nil {
		b.Fatal(err)
	}
	db, err := bbolt.Open(tempPath(b), 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if err := db.Close(); err != nil {
			b.Error(err)
		}
	})
	if err := db.Update(func(tx *bbolt.Tx) error {
		_, err := tx.CreateBucket([]byte(bucketJournal))
		return err
	}); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(len(val)), "value-bytes")
	durs := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		start := time.Now()
		err := db.Update(func(tx *bbolt.Tx) error {
			return tx.Bucket([]byte(bucketJournal)).Put(u64(uint64(i+1)), val)
		})
		if err != nil {
			b.Fatal(err)
		}
		durs = append(durs, time.Since(start))
	}
	b.StopTimer()
	reportLatency(b, durs)
}

// BenchmarkCommitSaleParallel commits from many lanes at once; bbolt's
// group commit shares each fsync, so ns/op (wall time per sale) falls below
// BenchmarkCommitSale's while each sale's own latency rises.
func BenchmarkCommitSaleParallel(b *testing.B) {
	l := mustOpen(b, tempPath(b), testOptions())
	var (
		next atomic.Int64
		mu   sync.Mutex
		durs = make([]time.Duration, 0, b.N)
	)
	b.SetParallelism(8) // 8 lanes per CPU
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		for pb.Next() {
			i := int(next.Add(1))
			s := newSale(b, fmt.Sprintf("sale-%d", i), fmt.Sprintf("L%d", i%16), 5, i)
			start := time.Now()
			if err := l.CommitSale(context.Background(), s); err != nil {
				b.Error(err)
				return
			}
			mine = append(mine, time.Since(start))
		}
		mu.Lock()
		durs = append(durs, mine...)
		mu.Unlock()
	})
	b.StopTimer()
	reportLatency(b, durs)
}

// reportLatency reports the median and 99th percentile of per-op durations.
func reportLatency(b *testing.B, durs []time.Duration) {
	if len(durs) == 0 {
		return
	}
	slices.Sort(durs)
	b.ReportMetric(float64(durs[len(durs)/2].Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(durs[len(durs)*99/100].Nanoseconds()), "p99-ns")
}
