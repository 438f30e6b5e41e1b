package storetest

import (
	"context"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tillsync/tillsync/central"
	"github.com/tillsync/tillsync/syncproto"
)

// Opener opens a fresh, empty store; it registers the store's Close with
// t.Cleanup itself.
type Opener func(t *testing.T) central.Store

// receivedAt is central's clock in the suite.
var receivedAt = time.Date(2026, 1, 1, 1, 0, 0, 0, time.UTC)

// Run runs the contract suite against the stores open returns.
func Run(t *testing.T, open func(t *testing.T) central.Store) {
	t.Run("Store_IngestBatch", func(t *testing.T) { testIngestBatch(t, open) })
	t.Run("Store_IngestBatch_Quarantine", func(t *testing.T) { testQuarantine(t, open) })
	t.Run("Store_Sale", func(t *testing.T) { testSale(t, open) })
	t.Run("Store_SalesByStore", func(t *testing.T) { testSalesByStore(t, open) })
	t.Run("Store_Agents", func(t *testing.T) { testAgents(t, open) })
	t.Run("Store_IngestBatch_KeptForLedger", func(t *testing.T) { testKeptForLedger(t, open) })
	t.Run("Store_Presence", func(t *testing.T) { testPresence(t, open) })
	t.Run("Store_ReplayQuarantined", func(t *testing.T) { testReplay(t, open) })
	t.Run("Store_Points", func(t *testing.T) { testPoints(t, open) })
	t.Run("Downstreams", func(t *testing.T) { testDownstreams(t, open) })
	t.Run("Reservations", func(t *testing.T) { testReservations(t, open) })
	t.Run("MemberStats", func(t *testing.T) { testMemberStats(t, open) })
	t.Run("Classification", func(t *testing.T) { testClassification(t, open) })
	t.Run("Reports", func(t *testing.T) { testReports(t, open) })
	t.Run("Tiers", func(t *testing.T) { testTiers(t, open) })
	t.Run("Rebate", func(t *testing.T) { testRebate(t, open) })
	t.Run("Members", func(t *testing.T) { testMembers(t, open) })
	t.Run("ClassProducts", func(t *testing.T) { testClassProducts(t, open) })
}

// testKeptForLedger: returns and enrollments are stored once, not
// quarantined, and leave the sales totals alone.
func testKeptForLedger(t *testing.T, open Opener) {
	s := open(t)
	ret := &syncproto.Event{Seq: 2, EventId: EventID("a1", 2), WallTimeMs: receivedAt.UnixMilli(),
		Payload: &syncproto.Event_ReturnCommitted{ReturnCommitted: &syncproto.ReturnCommitted{
			ReturnId: "ret-1", OriginalSaleId: SaleID("a1", 1), StoreId: "s1", LaneId: "l1", RefundFen: 100}}}
	enr := &syncproto.Event{Seq: 3, EventId: EventID("a1", 3), WallTimeMs: receivedAt.UnixMilli(),
		Payload: &syncproto.Event_MemberEnrolled{MemberEnrolled: &syncproto.MemberEnrolled{
			MemberCard: "8800000000017", StoreId: "s1", SealedPersonal: []byte{1, 2, 3}}}}
	b := Batch("s1", "a1", SaleEvent("s1", "a1", 1), ret, enr)
	wantResult(t, ingest(t, s, b), central.IngestResult{Applied: 3})
	wantResult(t, ingest(t, s, b), central.IngestResult{Duplicates: 3})
	wantSales(t, s, []central.StoreSales{{StoreID: "s1", Sales: 1, TotalFen: SumTotals(1, 1)}})
	if a := agents(t, s); len(a) != 1 || a[0].Events != 3 || a[0].ContiguousThrough != 3 {
		t.Errorf("agents = %+v, want 3 events", a)
	}
}

func testIngestBatch(t *testing.T, open Opener) {
	t.Run("OK", func(t *testing.T) {
		s := open(t)
		got := ingest(t, s, SaleBatch("s1", "a1", 1, 10))
		wantResult(t, got, central.IngestResult{Applied: 10})
		wantSales(t, s, []central.StoreSales{{StoreID: "s1", Sales: 10, TotalFen: SumTotals(1, 10)}})
	})
	t.Run("DuplicateChangesNothing", func(t *testing.T) {
		s := open(t)
		ingest(t, s, SaleBatch("s1", "a1", 1, 10))
		got := ingest(t, s, SaleBatch("s1", "a1", 1, 10))
		wantResult(t, got, central.IngestResult{Duplicates: 10})
		wantSales(t, s, []central.StoreSales{{StoreID: "s1", Sales: 10, TotalFen: SumTotals(1, 10)}})
	})
	t.Run("ReorderedSameTotals", func(t *testing.T) {
		inOrder, reordered := open(t), open(t)
		ingest(t, inOrder, SaleBatch("s1", "a1", 1, 10))
		ingest(t, inOrder, SaleBatch("s1", "a1", 11, 20))
		ingest(t, reordered, SaleBatch("s1", "a1", 11, 20))
		ingest(t, reordered, SaleBatch("s1", "a1", 1, 10))
		want := []central.StoreSales{{StoreID: "s1", Sales: 20, TotalFen: SumTotals(1, 20)}}
		wantSales(t, inOrder, want)
		wantSales(t, reordered, want)
		for _, s := range []central.Store{inOrder, reordered} {
			a := agents(t, s)
			if len(a) != 1 || a[0].ContiguousThrough != 20 || a[0].MaxSeq != 20 || a[0].Events != 20 {
				t.Fatalf("agents = %+v, want a1 contiguous through 20", a)
			}
		}
	})
	t.Run("Overlapping", func(t *testing.T) {
		s := open(t)
		wantResult(t, ingest(t, s, SaleBatch("s1", "a1", 1, 10)), central.IngestResult{Applied: 10})
		wantResult(t, ingest(t, s, SaleBatch("s1", "a1", 5, 15)), central.IngestResult{Applied: 5, Duplicates: 6})
		wantSales(t, s, []central.StoreSales{{StoreID: "s1", Sales: 15, TotalFen: SumTotals(1, 15)}})
	})
	t.Run("AnyOrderSameResult", func(t *testing.T) { testAnyOrder(t, open) })
	t.Run("ConcurrentSameBatchAppliedOnce", func(t *testing.T) {
		s := open(t)
		const workers = 8
		results := make([]central.IngestResult, workers)
		errs := make([]error, workers)
		var wg sync.WaitGroup
		for i := range workers {
			wg.Go(func() {
				results[i], errs[i] = s.IngestBatch(context.Background(), SaleBatch("s1", "a1", 1, 10), receivedAt)
			})
		}
		wg.Wait()
		var applied, dups int
		for i := range workers {
			if errs[i] != nil {
				t.Fatalf("worker %d: %v", i, errs[i])
			}
			applied += results[i].Applied
			dups += results[i].Duplicates
		}
		if applied != 10 || dups != 10*(workers-1) {
			t.Fatalf("applied %d, duplicates %d; want 10 and %d", applied, dups, 10*(workers-1))
		}
		wantSales(t, s, []central.StoreSales{{StoreID: "s1", Sales: 10, TotalFen: SumTotals(1, 10)}})
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		s := open(t)
		bad := SaleBatch("s1", "a1", 1, 3)
		bad.LastSeq = 4 // events do not cover the range
		_, err := s.IngestBatch(context.Background(), bad, receivedAt)
		if code := central.ErrorCode(err); code != central.EINVALID {
			t.Fatalf("err = %v (code %q), want %s", err, code, central.EINVALID)
		}
		wantSales(t, s, []central.StoreSales{})
		if a := agents(t, s); len(a) != 0 {
			t.Fatalf("agents = %+v, want none after an invalid batch", a)
		}
	})
}

// testAnyOrder delivers overlapping batches of two agents in many seeded
// random orders, some twice, and checks every order ends in the same state.
func testAnyOrder(t *testing.T, open Opener) {
	batches := []*syncproto.Batch{
		SaleBatch("s1", "a1", 1, 4), SaleBatch("s1", "a1", 3, 9), SaleBatch("s1", "a1", 10, 12),
		SaleBatch("s2", "a2", 1, 6), SaleBatch("s2", "a2", 7, 7), SaleBatch("s2", "a2", 2, 8),
	}
	want := []central.StoreSales{
		{StoreID: "s1", Sales: 12, TotalFen: SumTotals(1, 12)},
		{StoreID: "s2", Sales: 8, TotalFen: SumTotals(1, 8)},
	}
	for seed := range uint64(5) {
		rng := rand.New(rand.NewPCG(seed, 42))
		order := append(slices.Clone(batches), batches[rng.IntN(len(batches))])
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		s := open(t)
		var applied int
		for _, b := range order {
			applied += ingest(t, s, b).Applied
		}
		if applied != 20 {
			t.Fatalf("seed %d: applied %d events in total, want 20", seed, applied)
		}
		wantSales(t, s, want)
		got := agents(t, s)
		if len(got) != 2 || got[0].ContiguousThrough != 12 || got[1].ContiguousThrough != 8 {
			t.Fatalf("seed %d: agents = %+v", seed, got)
		}
	}
}

func ingest(t *testing.T, s central.Store, b *syncproto.Batch) central.IngestResult {
	t.Helper()
	res, err := s.IngestBatch(context.Background(), b, receivedAt)
	if err != nil {
		t.Fatalf("IngestBatch(%s %d..%d): %v", b.GetAgentId(), b.GetFirstSeq(), b.GetLastSeq(), err)
	}
	return res
}

func wantResult(t *testing.T, got, want central.IngestResult) {
	t.Helper()
	if got != want {
		t.Fatalf("IngestBatch result = %+v, want %+v", got, want)
	}
}

func wantSales(t *testing.T, s central.Store, want []central.StoreSales) {
	t.Helper()
	got, err := s.SalesByStore(context.Background())
	if err != nil {
		t.Fatalf("SalesByStore: %v", err)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("SalesByStore = %+v, want %+v", got, want)
	}
}

func agents(t *testing.T, s central.Store) []central.AgentSync {
	t.Helper()
	got, err := s.Agents(context.Background())
	if err != nil {
		t.Fatalf("Agents: %v", err)
	}
	return got
}
