package bolt

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
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
	b.ReportMetric(float64(len(val)), "value-bytes") // after ResetTimer, which drops reported metrics
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

// BenchmarkCommitMemberSale20 commits 20-line member sales (two points
// entries, two tenders) one at a time, each durable before the next, with
// the lane's basket deleted in the same transaction: a loyalty tender's
// latency on one lane.
func BenchmarkCommitMemberSale20(b *testing.B) {
	l := mustOpen(b, tempPath(b), testOptions())
	sales := make([]*agent.Sale, b.N)
	for i := range sales {
		sales[i] = memberSale(b, fmt.Sprintf("0198f1c2-7d2a-7b3e-9f00-%012d", i), "L1", testCard, 20, i, 100)
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

// BenchmarkRawBoltCommit20 is the floor under BenchmarkCommitMemberSale20:
// one bbolt Update per op putting as many bytes as that sale's commit
// writes (its encoded event, its index entry, its two points entries).
func BenchmarkRawBoltCommit20(b *testing.B) {
	rawBoltBench(b, make([]byte, memberSale20Bytes(b)))
}

// memberSale20Bytes is how many bytes BenchmarkCommitMemberSale20's
// commit puts: its encoded event, its index entry, its two points entries.
func memberSale20Bytes(b *testing.B) int {
	s := memberSale(b, "0198f1c2-7d2a-7b3e-9f00-0123456789ab", "L1", testCard, 20, 0, 100)
	s.Seq, s.ReceiptNo = 1, "S001-L1-000001"
	ev, err := agent.EncodeSaleEvent(s, "0198f1c2-7d2a-7b3e-9f00-0123456789ac")
	if err != nil {
		b.Fatal(err)
	}
	size := len(ev) + len(s.ID) + 8
	for _, e := range stampPoints(s.Points, s.WallTime) {
		raw, err := json.Marshal(e)
		if err != nil {
			b.Fatal(err)
		}
		size += len(raw) + 10
	}
	return size
}

// BenchmarkCommitMemberSale20VsRaw times BenchmarkCommitMemberSale20's
// commit and BenchmarkRawBoltCommit20's Update in turn, one of each per op
// on two files side by side, and reports both latencies and the ratio of
// their p99s. Run one after the other, the two benchmarks compare tails
// taken seconds apart on a shared disk whose own p99 swings 2-5x between
// runs; interleaved, both see the same disk.
func BenchmarkCommitMemberSale20VsRaw(b *testing.B) {
	l := mustOpen(b, tempPath(b), testOptions())
	sales := make([]*agent.Sale, b.N)
	for i := range sales {
		sales[i] = memberSale(b, fmt.Sprintf("0198f1c2-7d2a-7b3e-9f00-%012d", i), "L1", testCard, 20, i, 100)
	}
	db, val := rawBoltDB(b), make([]byte, memberSale20Bytes(b))
	ledger, raw := make([]time.Duration, 0, b.N), make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i, s := range sales {
		start := time.Now()
		if err := l.CommitSale(context.Background(), s); err != nil {
			b.Fatal(err)
		}
		mid := time.Now()
		err := db.Update(func(tx *bbolt.Tx) error {
			return tx.Bucket([]byte(bucketJournal)).Put(u64(uint64(i+1)), val)
		})
		if err != nil {
			b.Fatal(err)
		}
		ledger, raw = append(ledger, mid.Sub(start)), append(raw, time.Since(mid))
	}
	b.StopTimer()
	slices.Sort(ledger)
	slices.Sort(raw)
	p50, p99 := len(sales)/2, len(sales)*99/100
	b.ReportMetric(float64(ledger[p50].Nanoseconds()), "ledger-p50-ns")
	b.ReportMetric(float64(ledger[p99].Nanoseconds()), "ledger-p99-ns")
	b.ReportMetric(float64(raw[p50].Nanoseconds()), "raw-p50-ns")
	b.ReportMetric(float64(raw[p99].Nanoseconds()), "raw-p99-ns")
	b.ReportMetric(float64(ledger[p99])/float64(raw[p99]), "p99-ratio")
}

// rawBoltBench times one fsynced bbolt Update per op putting val under a
// big-endian key, and reports its size and the p50/p99 latency.
func rawBoltBench(b *testing.B, val []byte) {
	db := rawBoltDB(b)
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
	b.ReportMetric(float64(len(val)), "value-bytes") // after ResetTimer, which drops reported metrics
	reportLatency(b, durs)
}

// rawBoltDB opens a bbolt file with default options (every commit
// fsynced) holding an empty journal bucket, closed on cleanup.
func rawBoltDB(b *testing.B) *bbolt.DB {
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
	return db
}

// BenchmarkCommitLanes spreads b.N 5-line member sales over 1 and over 8
// lanes, each lane committing its share one after another. Group commit
// (DB.Batch) should make 8 lanes' sales/s a multiple of one lane's: the
// disk's fsync rate, not the lane count, is the bound (DESIGN §4).
func BenchmarkCommitLanes(b *testing.B) {
	for _, lanes := range []int{1, 8} {
		b.Run(fmt.Sprintf("lanes=%d", lanes), func(b *testing.B) {
			l := mustOpen(b, tempPath(b), testOptions())
			sales := make([]*agent.Sale, b.N)
			for i := range sales {
				sales[i] = memberSale(b, fmt.Sprintf("sale-%d", i), fmt.Sprintf("L%d", i%lanes), testCard, 5, i, 100)
			}
			var wg sync.WaitGroup
			b.ResetTimer()
			start := time.Now()
			for lane := range lanes {
				wg.Go(func() {
					for i := lane; i < len(sales); i += lanes {
						if err := l.CommitSale(context.Background(), sales[i]); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "sales/s")
			// How many sales shared each transaction (and so each fsync pair).
			b.ReportMetric(float64(l.writer.commits.Load())/float64(max(l.writer.groups.Load(), 1)), "sales/tx")
		})
	}
}

// BenchmarkScanLookup times what a scan and a card swipe cost at a till
// of a large store: one ProductByBarcode and one MemberByCard on random
// keys, with 100,000 SKUs and 100,000 members loaded.
func BenchmarkScanLookup(b *testing.B) {
	const n = 100_000
	ctx := context.Background()
	l := mustOpen(b, tempPath(b), testOptions())
	products := make([]agent.Product, n)
	members := make([]agent.Member, n)
	for i := range n {
		products[i] = agent.Product{SKU: fmt.Sprintf("SKU%06d", i), Barcodes: []string{fmt.Sprintf("69%011d", i)},
			Name: "商品", Category: "grocery", PriceFen: 990, PointsEligible: true}
		members[i] = testMember(fmt.Sprintf("622588%010d", i))
	}
	if err := l.ReplaceCatalog(ctx, 1, products); err != nil {
		b.Fatal(err)
	}
	if err := l.ReplaceMembers(ctx, 1, members); err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2)) // seeded: the same keys every run
	durs := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		i, j := rng.IntN(n), rng.IntN(n)
		bc, card := "0"+products[i].Barcodes[0], members[j].Card
		start := time.Now()
		if _, err := l.ProductByBarcode(ctx, bc); err != nil {
			b.Fatal(err)
		}
		if _, err := l.MemberByCard(ctx, card); err != nil {
			b.Fatal(err)
		}
		durs = append(durs, time.Since(start))
	}
	b.StopTimer()
	reportLatency(b, durs)
}
