package storetest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/tillsync/tillsync/central"
	"github.com/tillsync/tillsync/syncproto"
)

// foreignEvents: store s1 sells to card F1 (lines earning 30 and 11
// points, pending for 7 days, 20 points tendered); store s2, which cannot
// see that sale, takes back half of line 2 (return f1) and then more than
// the rest of it (f2, capped at what is left).
func foreignEvents() (sale, ret1, ret2 *syncproto.Batch) {
	sale = Batch("s1", "a1", PointsSaleEvent(PointsSale{Store: "s1", Agent: "a1", Seq: 1, Card: "F1", At: t0,
		Earn: []int64{30, 11}, AvailableAt: t0.Add(7 * day), Redeem: 20}))
	ret1 = Batch("s2", "a2", ReturnEvent("s2", "a2", 1, "ret-f1", SaleID("a1", 1), "", "", t0.Add(day),
		map[uint32]int64{2: 1000}))
	ret2 = Batch("s2", "a2", ReturnEvent("s2", "a2", 2, "ret-f2", SaleID("a1", 1), "", "", t0.Add(2*day),
		map[uint32]int64{2: 5000}))
	return sale, ret1, ret2
}

func testForeignReturn(t *testing.T, open Opener) {
	sale, ret1, ret2 := foreignEvents()
	saleFirst, returnsFirst := open(t), open(t)

	ingest(t, saleFirst, sale)
	ingest(t, saleFirst, ret1)
	// Half of line 2: ceil(11 × 1000/2000) = 6 points reversed, from the
	// pending ones; floor(20 × 500/2000) = 5 tendered points given back.
	wantBalance(t, saleFirst, "F1", t0.Add(2*day), 41-20-6+5, 41-20-6+5-35, 35)

	ingest(t, returnsFirst, ret2)
	ingest(t, returnsFirst, ret1)
	if u := unresolved(t, returnsFirst); len(u) != 2 || u[0].ReturnID != "ret-f1" || u[1].ReturnID != "ret-f2" ||
		u[0].OriginalSaleID != SaleID("a1", 1) || u[0].StoreID != "s2" || u[0].AgentID != "a2" || u[0].Seq != 1 {
		t.Fatalf("unresolved = %+v, want both returns waiting for their sale", u)
	}
	wantNoCard(t, returnsFirst, "F1")
	ingest(t, returnsFirst, sale)
	ingest(t, saleFirst, ret2)
	for _, s := range []central.Store{saleFirst, returnsFirst} {
		ingest(t, s, ret1) // redelivery resolves nothing twice
		// The rest of line 2: 11 − 6 = 5 reversed; 10 − 5 = 5 given back.
		wantBalance(t, s, "F1", t0.Add(8*day), 41-20-11+10, 41-20-11+10, 0)
		if u := unresolved(t, s); len(u) != 0 {
			t.Fatalf("unresolved = %+v, want none", u)
		}
	}
	a, b := entryKeys(entries(t, saleFirst, "F1")), entryKeys(entries(t, returnsFirst, "F1"))
	if !slices.Equal(a, b) {
		t.Fatalf("entries differ by arrival order:\n%v\n%v", a, b)
	}
	if !slices.Contains(a, entryKey{central.ReturnReverseID("ret-f1"), central.PointsReverseEarn, -6}) ||
		!slices.Contains(a, entryKey{central.ReturnRefundID("ret-f2"), central.PointsRefundRedeem, 5}) {
		t.Fatalf("entries = %v, want the returns' derived ids", a)
	}
}

// entryKey is what must not depend on the order events arrive in.
type entryKey struct {
	ID     string
	Kind   string
	Points int64
}

func entryKeys(es []central.PointsEntry) []entryKey {
	out := make([]entryKey, len(es))
	for i, e := range es {
		out[i] = entryKey{e.ID, e.Kind, e.Points}
	}
	slices.SortFunc(out, func(a, b entryKey) int {
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
	return out
}

// testForeignReturnConcurrent ingests sales and foreign returns of them at
// the same moment (as two central instances would): every return must end
// resolved, none left waiting for a sale that is stored.
func testForeignReturnConcurrent(t *testing.T, open Opener) {
	s := open(t)
	const n = 20
	var wg sync.WaitGroup
	errs := make([]error, 2*n)
	for k := uint64(1); k <= n; k++ {
		sale := Batch("s1", "a1", PointsSaleEvent(PointsSale{Store: "s1", Agent: "a1", Seq: k, Card: "FC",
			At: t0, Earn: []int64{10, 10}, AvailableAt: t0}))
		ret := Batch("s2", "a2", ReturnEvent("s2", "a2", k, fmt.Sprintf("ret-c%d", k), SaleID("a1", k), "", "",
			t0.Add(day), map[uint32]int64{1: 2000}))
		wg.Go(func() { _, errs[2*k-2] = s.IngestBatch(context.Background(), sale, receivedAt) })
		wg.Go(func() { _, errs[2*k-1] = s.IngestBatch(context.Background(), ret, receivedAt) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("ingest %d: %v", i, err)
		}
	}
	if u := unresolved(t, s); len(u) != 0 {
		t.Fatalf("unresolved = %+v, want none", u)
	}
	wantBalance(t, s, "FC", t0.Add(2*day), n*10, n*10, 0) // line 1 of each sale returned in full
}
