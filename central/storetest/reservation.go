package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tillsync/tillsync/central"
	"github.com/tillsync/tillsync/syncproto"
)

// tR is central's clock in the reservation tests, after t0's sales.
var tR = t0.Add(2 * day)

// testReservations is the online redemption part of the contract: points
// held for a sale at central, so two stores online cannot spend them twice.
func testReservations(t *testing.T, open Opener) {
	t.Run("ApproveWithinBalance", func(t *testing.T) {
		r := reservations(t, open, "C1", 100)
		wantAuth(t, r, req("sale-1", "C1", 60), tR, true, 100)
		a := authorize(t, r, req("sale-2", "C1", 40), tR)
		if !a.Approved || a.Available != 40 || !a.ExpiresAt.Equal(tR.Add(central.DefaultReservationTTL)) || a.ReservationID != "sale-2" {
			t.Fatalf("authorization = %+v, want approved, 40 available, expiring after the default TTL", a)
		}
	})
	t.Run("RefuseOverAvailable", func(t *testing.T) {
		r := reservations(t, open, "C1", 100)
		a := authorize(t, r, req("sale-1", "C1", 101), tR)
		if a.Approved || a.Available != 100 || !a.ExpiresAt.IsZero() {
			t.Fatalf("authorization = %+v, want refused with 100 available and no expiry", a)
		}
		wantAuth(t, r, req("sale-2", "C1", 100), tR, true, 100) // the refusal held nothing
		wantAuth(t, r, req("sale-3", "C1", 1), tR, false, 0)
	})
	t.Run("RetryReplaces", func(t *testing.T) {
		r := reservations(t, open, "C1", 100)
		wantAuth(t, r, req("sale-1", "C1", 60), tR, true, 100)
		wantAuth(t, r, req("sale-1", "C1", 60), tR, true, 100) // a retry, not a second hold
		wantAuth(t, r, req("sale-1", "C1", 90), tR, true, 100) // the tender changed
		wantAuth(t, r, req("sale-2", "C1", 20), tR, false, 10)
		wantAuth(t, r, req("sale-1", "C1", 200), tR, false, 100) // refused: sale-1 holds nothing now
		wantAuth(t, r, req("sale-2", "C1", 100), tR, true, 100)
	})
	t.Run("ExpiryFreesPoints", func(t *testing.T) {
		r := reservations(t, open, "C1", 100)
		short := req("sale-1", "C1", 100)
		short.TTL = time.Minute
		wantAuth(t, r, short, tR, true, 100)
		wantAuth(t, r, req("sale-2", "C1", 50), tR.Add(59*time.Second), false, 0)
		wantAuth(t, r, req("sale-2", "C1", 50), tR.Add(time.Minute), true, 100)
	})
	t.Run("SyncedRedeemEndsReservation", func(t *testing.T) { testReservationSynced(t, open) })
	t.Run("ConcurrentStores", func(t *testing.T) { testReservationRace(t, open) })
	t.Run("UnknownCard", func(t *testing.T) {
		r := reservations(t, open, "C1", 100)
		wantAuth(t, r, req("sale-1", "NOPE", 1), tR, false, 0)
		m, err := r.LookupMember(context.Background(), "NOPE", tR)
		if err != nil || m.Found || m.Blocked || m.Proto().GetMember() != nil {
			t.Fatalf("LookupMember(unknown) = %+v, %v; want not found", m, err)
		}
	})
	t.Run("LookupMember", func(t *testing.T) { testLookupMember(t, open) })
	t.Run("ErrInvalid", func(t *testing.T) {
		r := reservations(t, open, "C1", 100)
		for _, bad := range []central.RedeemRequest{req("", "C1", 1), req("s", "", 1), req("s", "C1", 0), req("s", "C1", -5)} {
			if _, err := r.AuthorizeRedeem(context.Background(), bad, tR); central.ErrorCode(err) != central.EINVALID {
				t.Fatalf("AuthorizeRedeem(%+v): err %v, want %s", bad, err, central.EINVALID)
			}
		}
	})
}

// testReservationSynced: once the sale carrying a reservation's REDEEM
// reaches central, the points are counted once, in the ledger.
func testReservationSynced(t *testing.T, open Opener) {
	s := open(t)
	adjust(t, s, "C1", 100)
	r := asReservations(t, s)
	sale := SaleID("a1", 5)
	wantAuth(t, r, req(sale, "C1", 60), tR, true, 100)
	wantAuth(t, r, req("sale-2", "C1", 41), tR, false, 40)
	ingest(t, s, Batch("s1", "a1", PointsSaleEvent(PointsSale{Store: "s1", Agent: "a1", Seq: 5, Card: "C1",
		At: tR, Earn: []int64{0}, Redeem: 60})))
	wantBalance(t, s, "C1", tR, 40, 40, 0)
	wantAuth(t, r, req("sale-2", "C1", 41), tR, false, 40) // not 40 − 60
	wantAuth(t, r, req("sale-2", "C1", 40), tR, true, 40)
}

// testReservationRace: stores racing for one card's points never get
// more than the card holds, and exactly as many as fit are approved.
func testReservationRace(t *testing.T, open Opener) {
	s := open(t)
	r := asReservations(t, s)
	for round := range 5 {
		card := fmt.Sprintf("RACE-%d", round)
		adjust(t, s, card, 100)
		// Two stores asking 60 of 100: one wins. Ten stores asking 30 of
		// another card's 100: three win.
		wantWinners(t, r, card, 2, 60, 1)
		card10 := fmt.Sprintf("RACE10-%d", round)
		adjust(t, s, card10, 100)
		wantWinners(t, r, card10, 10, 30, 3)
	}
}

// wantWinners races n stores each asking points of card and wants
// exactly winners approved.
func wantWinners(t *testing.T, r central.Reservations, card string, n int, points int64, winners int) {
	t.Helper()
	var wg sync.WaitGroup
	auths := make([]central.Authorization, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			q := req(fmt.Sprintf("%s-sale-%d", card, i), card, points)
			q.StoreID, q.AgentID = fmt.Sprintf("s%d", i), fmt.Sprintf("a%d", i)
			auths[i], errs[i] = r.AuthorizeRedeem(context.Background(), q, tR)
		})
	}
	wg.Wait()
	var approved int
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("store %d: AuthorizeRedeem: %v", i, errs[i])
		}
		if auths[i].Approved {
			approved++
		}
	}
	if approved != winners {
		t.Fatalf("card %s: %d of %d stores approved for %d points each, want %d: %+v", card, approved, n, points, winners, auths)
	}
	// What is left is what the winners did not take.
	wantAuth(t, r, req(card+"-probe", card, 1000), tR, false, 100-int64(winners)*points)
}

func testLookupMember(t *testing.T, open Opener) {
	s := open(t)
	ingest(t, s, Batch("s1", "a1", EnrollEvent("a1", 1, "s1", "C1", "M-1", t0)))
	adjust(t, s, "C1", 70)
	adjust(t, s, "DEBTOR", -30)
	r := asReservations(t, s)
	m, err := r.LookupMember(context.Background(), "C1", tR)
	if err != nil || !m.Found || m.MemberID != "M-1" || m.Balance != 70 || m.Debt != 0 || !m.BalanceAt.Equal(tR) || m.Blocked {
		t.Fatalf("LookupMember(C1) = %+v, %v; want member M-1 with 70 available as of %s", m, err, tR)
	}
	if p := m.Proto().GetMember(); p.GetCard() != "C1" || p.GetBalanceAtMs() != tR.UnixMilli() || p.GetMaskedName() != "" {
		t.Fatalf("wire member = %v", p)
	}
	if m, err := r.LookupMember(context.Background(), "DEBTOR", tR); err != nil || !m.Found || m.Debt != 30 || m.Balance != 0 {
		t.Fatalf("LookupMember(DEBTOR) = %+v, %v; want found with debt 30 and no points", m, err)
	}
	blockCard(t, s, "C1", "reported lost")
	m, err = r.LookupMember(context.Background(), "C1", tR)
	if err != nil || !m.Found || !m.Blocked || m.BlockReason != "reported lost" {
		t.Fatalf("LookupMember(blocked C1) = %+v, %v; want found and blocked", m, err)
	}
}

// blockCard publishes a card_blocks version blocking card.
func blockCard(t *testing.T, s central.Store, card, reason string) {
	t.Helper()
	d, ok := s.(central.Downstreams)
	if !ok {
		t.Fatalf("%T does not implement central.Downstreams", s)
	}
	c := &syncproto.StreamContent{Content: &syncproto.StreamContent_CardBlocks{CardBlocks: &syncproto.CardBlocksContent{
		Blocked: []*syncproto.CardBlock{{Card: card, Reason: reason, BlockedAtMs: tR.UnixMilli()}}}}}
	if _, err := d.AppendStreamVersion(context.Background(), syncproto.StreamCardBlocks, tR,
		func(*central.StreamVersion) (*central.StreamVersion, error) {
			return &central.StreamVersion{Delta: c, Snapshot: c, DeltaIsWhole: true}, nil
		}); err != nil {
		t.Fatalf("AppendStreamVersion(card_blocks): %v", err)
	}
}

// reservations opens a store whose card holds points available, and
// returns it as central.Reservations.
func reservations(t *testing.T, open Opener, card string, points int64) central.Reservations {
	t.Helper()
	s := open(t)
	adjust(t, s, card, points)
	return asReservations(t, s)
}

func asReservations(t *testing.T, s central.Store) central.Reservations {
	t.Helper()
	r, ok := s.(central.Reservations)
	if !ok {
		t.Fatalf("%T does not implement central.Reservations", s)
	}
	return r
}

// adjust credits (or debits) card with points at once.
func adjust(t *testing.T, s central.Store, card string, points int64) {
	t.Helper()
	a := central.Adjustment{ID: "grant-" + card, Card: card, Points: points, Reason: "test balance", At: t0}
	if ok, err := s.AdjustPoints(context.Background(), a); err != nil || !ok {
		t.Fatalf("AdjustPoints(%s, %d) = %v, %v", card, points, ok, err)
	}
}

func req(id, card string, points int64) central.RedeemRequest {
	return central.RedeemRequest{ReservationID: id, Card: card, Points: points, StoreID: "s1", AgentID: "a1"}
}

func authorize(t *testing.T, r central.Reservations, q central.RedeemRequest, now time.Time) central.Authorization {
	t.Helper()
	a, err := r.AuthorizeRedeem(context.Background(), q, now)
	if err != nil {
		t.Fatalf("AuthorizeRedeem(%s, %d points): %v", q.ReservationID, q.Points, err)
	}
	return a
}

func wantAuth(t *testing.T, r central.Reservations, q central.RedeemRequest, now time.Time, approved bool, available int64) {
	t.Helper()
	a := authorize(t, r, q, now)
	if a.Approved != approved || a.Available != available || a.ReservationID != q.ReservationID {
		t.Fatalf("AuthorizeRedeem(%s, %d points) = approved %v available %d; want %v %d",
			q.ReservationID, q.Points, a.Approved, a.Available, approved, available)
	}
}
