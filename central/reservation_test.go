package central_test

import (
	"slices"
	"testing"
	"time"

	"github.com/tillsync/tillsync/central"
	"github.com/tillsync/tillsync/syncproto"
)

var resNow = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

func TestDecideRedeem(t *testing.T) {
	grant := central.PointsEntry{ID: "g", Kind: central.PointsAdjust, Points: 100, Card: "C1"}
	pending := central.PointsEntry{ID: "e", Kind: central.PointsEarn, Points: 50, Card: "C1", SaleID: "s0",
		AvailableAt: resNow.Add(time.Hour)}
	redeemed := central.PointsEntry{ID: "r", Kind: central.PointsRedeem, Points: -30, Card: "C1", SaleID: "sale-b"}
	hold := func(id string, points int64, expires time.Time) central.Reservation {
		return central.Reservation{ID: id, Card: "C1", Points: points, ExpiresAt: expires}
	}
	later := resNow.Add(time.Minute)
	tests := []struct {
		name      string
		entries   []central.PointsEntry
		held      []central.Reservation
		points    int64
		approved  bool
		available int64
		drop      []string
	}{
		{"WithinBalance", []central.PointsEntry{grant}, nil, 100, true, 100, nil},
		{"OverBalance", []central.PointsEntry{grant}, nil, 101, false, 100, nil},
		{"PendingNotSpendable", []central.PointsEntry{grant, pending}, nil, 101, false, 100, nil},
		{"OtherOpenHoldsCount", []central.PointsEntry{grant}, []central.Reservation{hold("sale-a", 60, later)}, 41, false, 40, nil},
		{"OwnHoldReplaced", []central.PointsEntry{grant}, []central.Reservation{hold("sale-1", 60, later)}, 100, true, 100, nil},
		{"ExpiredHoldFreed", []central.PointsEntry{grant}, []central.Reservation{hold("sale-a", 60, resNow)}, 100, true, 100, []string{"sale-a"}},
		// sale-b's 30 are in the ledger now: counted there, not again.
		{"RedeemedHoldEnded", []central.PointsEntry{grant, redeemed}, []central.Reservation{hold("sale-b", 30, later)}, 70, true, 70, []string{"sale-b"}},
		{"DebtAvailableZero", []central.PointsEntry{{ID: "d", Kind: central.PointsAdjust, Points: -5}}, nil, 1, false, 0, nil},
		{"UnknownCard", nil, nil, 1, false, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := central.RedeemRequest{ReservationID: "sale-1", Card: "C1", Points: tt.points, StoreID: "s1", AgentID: "a1"}
			d := central.DecideRedeem(req, tt.entries, tt.held, resNow)
			a := d.Authorization
			if a.Approved != tt.approved || a.Available != tt.available || a.ReservationID != "sale-1" {
				t.Fatalf("authorization = %+v, want approved %v available %d", a, tt.approved, tt.available)
			}
			if !slices.Equal(d.Drop, tt.drop) {
				t.Fatalf("drop = %v, want %v", d.Drop, tt.drop)
			}
			switch {
			case tt.approved && (d.Hold == nil || d.Hold.Points != tt.points || d.Hold.StoreID != "s1" ||
				!d.Hold.ExpiresAt.Equal(resNow.Add(central.DefaultReservationTTL)) || !a.ExpiresAt.Equal(d.Hold.ExpiresAt)):
				t.Fatalf("hold = %+v, want %d points until now + default TTL", d.Hold, tt.points)
			case !tt.approved && (d.Hold != nil || !a.ExpiresAt.IsZero()):
				t.Fatalf("refused with hold %+v, expiry %s", d.Hold, a.ExpiresAt)
			}
		})
	}
	t.Run("TTL", func(t *testing.T) {
		req := central.RedeemRequest{ReservationID: "x", Card: "C1", Points: 1, TTL: 90 * time.Second}
		d := central.DecideRedeem(req, []central.PointsEntry{grant}, nil, resNow)
		if !d.Authorization.ExpiresAt.Equal(resNow.Add(90*time.Second)) || d.Authorization.Proto().GetExpiresAtMs() != resNow.Add(90*time.Second).UnixMilli() {
			t.Fatalf("expires %s, want now + 90s", d.Authorization.ExpiresAt)
		}
	})
}

func TestRedeemRequest_Validate(t *testing.T) {
	ok := central.RedeemRequest{ReservationID: "sale-1", Card: "C1", Points: 1}
	if err := ok.Validate(); err != nil {
		t.Fatalf("Validate(ok) = %v", err)
	}
	for name, mut := range map[string]func(r *central.RedeemRequest){
		"NoID":        func(r *central.RedeemRequest) { r.ReservationID = "" },
		"NoCard":      func(r *central.RedeemRequest) { r.Card = "" },
		"LongCard":    func(r *central.RedeemRequest) { r.Card = string(make([]byte, 65)) },
		"ZeroPoints":  func(r *central.RedeemRequest) { r.Points = 0 },
		"HugePoints":  func(r *central.RedeemRequest) { r.Points = central.MaxEntryPoints + 1 },
		"NegativeTTL": func(r *central.RedeemRequest) { r.TTL = -time.Second },
		"NULStore":    func(r *central.RedeemRequest) { r.StoreID = "s\x00" },
	} {
		t.Run("Err"+name, func(t *testing.T) {
			r := ok
			mut(&r)
			if err := r.Validate(); central.ErrorCode(err) != central.EINVALID {
				t.Fatalf("Validate = %v, want %s", err, central.EINVALID)
			}
		})
	}
}

func TestLookupFrom(t *testing.T) {
	blocks := &syncproto.CardBlocksContent{Blocked: []*syncproto.CardBlock{{Card: "LOST", Reason: "reported lost"}}}
	bal := &central.Balance{Card: "C1", MemberID: "M1", Total: -5, Available: -5, Debt: 5}
	m := central.LookupFrom("C1", bal, blocks, resNow)
	p := m.Proto()
	if !p.GetFound() || p.GetMember().GetMemberId() != "M1" || p.GetMember().GetBalance() != 0 || p.GetMember().GetDebt() != 5 ||
		p.GetMember().GetBalanceAtMs() != resNow.UnixMilli() || p.GetMember().GetBlocked() {
		t.Fatalf("found card = %v", p)
	}
	if p := central.LookupFrom("NEW", nil, blocks, resNow).Proto(); p.GetFound() || p.GetMember() != nil {
		t.Fatalf("unknown card = %v, want not found and no record", p)
	}
	// A blocked card the ledger does not know is still reported blocked.
	if p := central.LookupFrom("LOST", nil, blocks, resNow).Proto(); p.GetFound() || !p.GetMember().GetBlocked() ||
		p.GetMember().GetBlockReason() != "reported lost" {
		t.Fatalf("blocked unknown card = %v", p)
	}
	if m := central.LookupFrom("C1", bal, nil, resNow); m.Blocked {
		t.Fatalf("no card blocks published: %+v", m)
	}
}
