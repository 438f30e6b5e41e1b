package storetest

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/tillsync/tillsync/central"
	"github.com/tillsync/tillsync/syncproto"
)

// testPoints is the member ledger part of the contract.
func testPoints(t *testing.T, open Opener) {
	t.Run("EarnPendingThenAvailable", func(t *testing.T) {
		s := open(t)
		ingest(t, s, Batch("s1", "a1", PointsSaleEvent(PointsSale{Store: "s1", Agent: "a1", Seq: 1, Card: "C1",
			At: t0, Earn: []int64{30, 11}, AvailableAt: t0.Add(7 * day)})))
		wantBalance(t, s, "C1", t0.Add(day), 41, 0, 41)
		wantBalance(t, s, "C1", t0.Add(7*day), 41, 41, 0) // available from available_at on
	})
	t.Run("Redeem", func(t *testing.T) {
		s := open(t)
		ingest(t, s, Batch("s1", "a1",
			PointsSaleEvent(PointsSale{Store: "s1", Agent: "a1", Seq: 1, Card: "C1", At: t0, Earn: []int64{100}, AvailableAt: t0}),
			PointsSaleEvent(PointsSale{Store: "s1", Agent: "a1", Seq: 2, Card: "C1", At: t0.Add(day), Earn: []int64{0}, Redeem: 30})))
		wantBalance(t, s, "C1", t0.Add(2*day), 70, 70, 0)
		if f := flags(t, s); len(f) != 0 {
			t.Fatalf("flags = %+v, want none for a covered redemption", f)
		}
	})
	t.Run("LocalReturnReversesPendingFirst", func(t *testing.T) {
		s := open(t)
		sale := PointsSaleEvent(PointsSale{Store: "s1", Agent: "a1", Seq: 1, Card: "C1", At: t0, Earn: []int64{40},
			AvailableAt: t0.Add(7 * day)})
		ret := ReturnEvent("s1", "a1", 2, "ret-1", SaleID("a1", 1), "s1", "C1", t0.Add(day), map[uint32]int64{1: 500},
			&syncproto.PointsEntry{EntryId: "rev-1", Kind: syncproto.PointsEntry_KIND_REVERSE_EARN, Points: -10,
				PendingPoints: 10, SaleId: SaleID("a1", 1)})
		wantResult(t, ingest(t, s, Batch("s1", "a1", sale, ret)), central.IngestResult{Applied: 2})
		wantBalance(t, s, "C1", t0.Add(2*day), 30, 0, 30)
		wantBalance(t, s, "C1", t0.Add(8*day), 30, 30, 0)
		if u := unresolved(t, s); len(u) != 0 {
			t.Fatalf("unresolved = %+v, want none: a local return carries its points", u)
		}
	})
	t.Run("DebtListedAndOverdraftFlaggedOnce", func(t *testing.T) { testDebt(t, open) })
	t.Run("ExpiryFIFOPartialLot", func(t *testing.T) { testExpiry(t, open) })
	t.Run("ExpiryConcurrentPostsOnce", func(t *testing.T) { testExpiryConcurrent(t, open) })
	t.Run("ForeignReturnEitherOrder", func(t *testing.T) { testForeignReturn(t, open) })
	t.Run("ForeignReturnConcurrentWithSale", func(t *testing.T) { testForeignReturnConcurrent(t, open) })
	t.Run("EnrollmentLinksCard", func(t *testing.T) { testEnrollment(t, open) })
	t.Run("Adjust", func(t *testing.T) { testAdjust(t, open) })
	t.Run("ErrBadEntryQuarantined", func(t *testing.T) {
		s := open(t)
		ev := PointsSaleEvent(PointsSale{Store: "s1", Agent: "a1", Seq: 1, Card: "C1", At: t0, Earn: []int64{10}})
		ev.GetSaleCommitted().Points[0].Points = -10 // an earning with a debit's sign
		wantResult(t, ingest(t, s, Batch("s1", "a1", ev)), central.IngestResult{Quarantined: 1})
		if q := quarantinedOne(t, s); !strings.HasPrefix(q.Reason, central.ReasonBadData+": ") {
			t.Fatalf("reason = %q, want bad_data", q.Reason)
		}
		wantNoCard(t, s, "C1")
		wantSales(t, s, []central.StoreSales{})
	})
	t.Run("PropertyAnyDeliveryOrder", func(t *testing.T) { testPointsProperty(t, open) })
}

func testDebt(t *testing.T, open Opener) {
	s := open(t)
	ingest(t, s, Batch("s1", "a1",
		PointsSaleEvent(PointsSale{Store: "s1", Agent: "a1", Seq: 1, Card: "D1", At: t0, Earn: []int64{50}, AvailableAt: t0})))
	// A second store redeemed offline more than central holds.
	over := Batch("s2", "a2", PointsSaleEvent(PointsSale{Store: "s2", Agent: "a2", Seq: 1, Card: "D1",
		At: t0.Add(day), Earn: []int64{0}, Redeem: 80}))
	ingest(t, s, over)
	ingest(t, s, over)
	wantBalance(t, s, "D1", t0.Add(2*day), -30, -30, 0)
	if d := debtors(t, s); len(d) != 1 || d[0] != (central.Debtor{Card: "D1", Balance: -30, Debt: 30}) {
		t.Fatalf("debtors = %+v, want D1 owing 30", d)
	}
	want := central.OverdraftFlag{EntryID: RedeemID("a2", 1), Card: "D1", SaleID: SaleID("a2", 1), StoreID: "s2",
		AgentID: "a2", Points: -80, BalanceAfter: -30, FlaggedAt: receivedAt}
	if f := flags(t, s); len(f) != 1 || f[0] != want {
		t.Fatalf("flags = %+v, want one %+v", f, want)
	}
	// Later earnings repay the debt; the flag stays as the record.
	ingest(t, s, Batch("s1", "a1",
		PointsSaleEvent(PointsSale{Store: "s1", Agent: "a1", Seq: 2, Card: "D1", At: t0.Add(2 * day), Earn: []int64{100}})))
	wantBalance(t, s, "D1", t0.Add(3*day), 70, 70, 0)
	if d := debtors(t, s); len(d) != 0 {
		t.Fatalf("debtors = %+v, want none after repayment", d)
	}
	if f := flags(t, s); len(f) != 1 {
		t.Fatalf("flags = %+v, want the one flag kept", f)
	}
}

// expirySales: lot A (100, expires day 10), lot B (50, expires day 20), a
// redemption of 30 on day 2 that FIFO takes from A.
func expirySales() *syncproto.Batch {
	return Batch("s1", "a1",
		PointsSaleEvent(PointsSale{Store: "s1", Agent: "a1", Seq: 1, Card: "E1", At: t0, Earn: []int64{100},
			AvailableAt: t0, ExpiresAt: t0.Add(10 * day)}),
		PointsSaleEvent(PointsSale{Store: "s1", Agent: "a1", Seq: 2, Card: "E1", At: t0.Add(day), Earn: []int64{50},
			AvailableAt: t0.Add(day), ExpiresAt: t0.Add(20 * day)}),
		PointsSaleEvent(PointsSale{Store: "s1", Agent: "a1", Seq: 3, Card: "E1", At: t0.Add(2 * day), Earn: []int64{0}, Redeem: 30}))
}

func testExpiry(t *testing.T, open Opener) {
	s := open(t)
	ingest(t, s, expirySales())
	if r := expire(t, s, t0.Add(5*day)); r != (central.ExpireResult{}) {
		t.Fatalf("ExpirePoints before any expiry = %+v, want nothing", r)
	}
	if r := expire(t, s, t0.Add(15*day)); r != (central.ExpireResult{Cards: 1, Entries: 1, Points: 70}) {
		t.Fatalf("ExpirePoints(day 15) = %+v, want lot A's unspent 70", r)
	}
	wantBalance(t, s, "E1", t0.Add(15*day), 50, 50, 0)
	if r := expire(t, s, t0.Add(15*day)); r != (central.ExpireResult{}) {
		t.Fatalf("ExpirePoints again = %+v, want nothing", r)
	}
	if r := expire(t, s, t0.Add(25*day)); r != (central.ExpireResult{Cards: 1, Entries: 1, Points: 50}) {
		t.Fatalf("ExpirePoints(day 25) = %+v, want lot B's 50", r)
	}
	wantBalance(t, s, "E1", t0.Add(25*day), 0, 0, 0)
	var exp []string
	for _, e := range entries(t, s, "E1") {
		if e.Kind == central.PointsExpired {
			exp = append(exp, e.LotID)
		}
	}
	if len(exp) != 2 || exp[0] != EarnID("a1", 1) || exp[1] != EarnID("a1", 2) {
		t.Fatalf("expired lots = %v, want A then B", exp)
	}
}

// testExpiryConcurrent runs ExpirePoints from several goroutines at once
// (as several central instances would): each lot expires once.
func testExpiryConcurrent(t *testing.T, open Opener) {
	s := open(t)
	ingest(t, s, expirySales())
	const workers = 4
	results := make([]central.ExpireResult, workers)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for i := range workers {
		wg.Go(func() { results[i], errs[i] = s.ExpirePoints(context.Background(), t0.Add(15*day)) })
	}
	wg.Wait()
	var points int64
	var posted int
	for i := range workers {
		if errs[i] != nil {
			t.Fatalf("worker %d: %v", i, errs[i])
		}
		points += results[i].Points
		posted += results[i].Entries
	}
	if points != 70 || posted != 1 {
		t.Fatalf("workers expired %d points in %d entries, want 70 in 1", points, posted)
	}
	wantBalance(t, s, "E1", t0.Add(15*day), 50, 50, 0)
}

func testEnrollment(t *testing.T, open Opener) {
	s := open(t)
	wantNoCard(t, s, "U1")
	// Points recorded offline against a card the store did not know.
	ingest(t, s, Batch("s1", "a1",
		PointsSaleEvent(PointsSale{Store: "s1", Agent: "a1", Seq: 1, Card: "U1", At: t0, Earn: []int64{20}})))
	if b := balance(t, s, "U1", t0); b.MemberID != "" || b.Total != 20 {
		t.Fatalf("balance = %+v, want 20 points and no member", b)
	}
	ingest(t, s, Batch("s2", "a2", EnrollEvent("a2", 1, "s2", "U1", "M-7", t0.Add(day))))
	if b := balance(t, s, "U1", t0.Add(day)); b.MemberID != "M-7" || b.Total != 20 {
		t.Fatalf("balance = %+v, want 20 points of member M-7", b)
	}
}

func testAdjust(t *testing.T, open Opener) {
	s := open(t)
	a := central.Adjustment{ID: "ticket-42", Card: "J1", Points: -15, Reason: "goodwill reversed", At: t0}
	for i, want := range []bool{true, false} {
		ok, err := s.AdjustPoints(context.Background(), a)
		if err != nil || ok != want {
			t.Fatalf("AdjustPoints #%d = %v, %v; want %v", i+1, ok, err, want)
		}
	}
	wantBalance(t, s, "J1", t0, -15, -15, 0)
	es := entries(t, s, "J1")
	if len(es) != 1 || es[0].Kind != central.PointsAdjust || es[0].Reason != a.Reason {
		t.Fatalf("entries = %+v, want one adjustment with its reason", es)
	}
	a.Reason = ""
	if _, err := s.AdjustPoints(context.Background(), a); central.ErrorCode(err) != central.EINVALID {
		t.Fatalf("AdjustPoints without reason: err %v, want %s", err, central.EINVALID)
	}
}

func unresolved(t *testing.T, s central.Store) []central.UnresolvedReturn {
	t.Helper()
	u, err := s.UnresolvedReturns(context.Background(), 100)
	if err != nil {
		t.Fatalf("UnresolvedReturns: %v", err)
	}
	return u
}

func wantNoCard(t *testing.T, s central.Store, card string) {
	t.Helper()
	if _, err := s.Balance(context.Background(), card, t0); central.ErrorCode(err) != central.ENOTFOUND {
		t.Fatalf("Balance(%s): err %v, want %s", card, err, central.ENOTFOUND)
	}
}
