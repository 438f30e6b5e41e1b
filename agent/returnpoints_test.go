package agent_test

import (
	"math"
	"testing"
	"time"

	"github.com/tillsync/tillsync/agent"
)

func TestPolicy_InReturnWindow(t *testing.T) {
	sh := ptShanghai(t)
	sale := time.Date(2026, 12, 28, 14, 0, 0, 0, sh)
	end := time.Date(2027, 1, 4, 14, 0, 0, 0, sh)
	tests := []struct {
		name string
		days int
		now  time.Time
		want bool
	}{
		{"AtSale", 7, sale, true},
		{"Inside", 7, sale.AddDate(0, 0, 3), true},
		{"LastInstant", 7, end.Add(-time.Nanosecond), true},
		{"AtEnd", 7, end, false},
		{"After", 7, end.AddDate(0, 1, 0), false},
		{"ZeroDays", 0, sale, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &agent.Policy{Location: "Asia/Shanghai", ReturnWindowDays: tt.days}
			if got := p.InReturnWindow(sale, tt.now); got != tt.want {
				t.Errorf("InReturnWindow(%s, %s) = %v, want %v", sale, tt.now, got, tt.want)
			}
		})
	}
}

func TestReversePoints(t *testing.T) {
	tests := []struct {
		name                                  string
		earned, saleFen, returnedSoFar, revSo int64
		want                                  int64
	}{
		{"OK", 100, 10_000, 2_500, 0, 25},
		{"RoundsUp", 10, 3_000, 1_000, 0, 4}, // 3.33 → 4: returned goods keep no point
		{"Cumulative", 10, 3_000, 2_000, 4, 3},
		{"FullReturn", 10, 3_000, 3_000, 7, 3},
		{"OverReturnClamped", 10, 3_000, 9_000, 0, 10},
		{"NothingReturned", 10, 3_000, 0, 0, 0},
		{"AlreadyReversedAll", 10, 3_000, 3_000, 10, 0},
		{"ReversedBeyondNeverCredits", 10, 3_000, 1_000, 8, 0},
		{"NothingEarned", 0, 3_000, 3_000, 0, 0},
		{"ZeroEligibleSale", 10, 0, 500, 0, 10},
		{"HugeNoOverflow", math.MaxInt64 / 2, math.MaxInt64, math.MaxInt64 / 3, 0, 1_537_228_672_809_129_301}, // exact ceil, checked by hand
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := agent.ReversePoints(tt.earned, tt.saleFen, tt.returnedSoFar, tt.revSo); got != tt.want {
				t.Errorf("ReversePoints(%d, %d, %d, %d) = %d, want %d", tt.earned, tt.saleFen, tt.returnedSoFar, tt.revSo, got, tt.want)
			}
		})
	}
}

func TestRefundRedeemedPoints(t *testing.T) {
	tests := []struct {
		name                                  string
		redeemed, saleFen, returnedSoFar, ref int64
		want                                  int64
	}{
		{"OK", 1_000, 10_000, 2_500, 0, 250},
		{"RoundsDown", 10, 3_000, 1_000, 0, 3},
		{"Cumulative", 10, 3_000, 2_000, 3, 3},
		{"FullReturn", 10, 3_000, 3_000, 6, 4},
		{"OverReturnClamped", 10, 3_000, 4_000, 0, 10},
		{"NothingRedeemed", 0, 3_000, 3_000, 0, 0},
		{"AlreadyRefunded", 10, 3_000, 3_000, 10, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := agent.RefundRedeemedPoints(tt.redeemed, tt.saleFen, tt.returnedSoFar, tt.ref); got != tt.want {
				t.Errorf("RefundRedeemedPoints(%d, %d, %d, %d) = %d, want %d", tt.redeemed, tt.saleFen, tt.returnedSoFar, tt.ref, got, tt.want)
			}
		})
	}
}

// TestReturn_PartialAfterRedemption walks a member through a sale partly
// paid with points and three partial returns: pending points are taken
// first, the cumulative reversals add up to exactly what the sale earned and
// the refunds to exactly what it redeemed.
func TestReturn_PartialAfterRedemption(t *testing.T) {
	p := &agent.Policy{Location: "Asia/Shanghai", EarnPoints: 1, EarnPerFen: 100, PendingDays: 7, ReturnWindowDays: 7,
		Expiry: agent.ExpiryRule{Kind: agent.ExpiryEndOfNextYear}, PointsTenderPoints: 1, PointsTenderFen: 1}
	sale := ptDay(0)
	w := &agent.Wallet{Lots: []agent.Lot{{ID: "old", Points: 2_500, AvailableAt: ptDay(-30), ExpiresAt: ptDay(400)}}}
	apply := func(e agent.PointsEntry) {
		t.Helper()
		if err := w.Apply(e); err != nil {
			t.Fatalf("Apply(%+v): %v", e, err)
		}
	}
	// The sale: 10,000 fen (1,000 fen not eligible), 2,000 paid with points.
	lines := []agent.EarnLine{ptLine("A", "x", 3_000), ptLine("B", "x", 3_000), ptLine("C", "x", 3_000), {SKU: "T", AmountFen: 1_000}}
	apply(agent.PointsEntry{ID: "r1", Kind: agent.PointsRedeem, Points: -2_000, SaleID: "s1", At: sale})
	earned := p.Earn(agent.EarnInput{Lines: lines, PointsTenderFen: 2_000, At: sale}).Points
	if earned != 72 { // 9,000 × 8,000/10,000 = 7,200 fen earns
		t.Fatalf("earned %d, want 72", earned)
	}
	apply(agent.PointsEntry{ID: "e1", Kind: agent.PointsEarn, Points: earned, SaleID: "s1", At: sale,
		AvailableAt: p.PendingUntil(sale), ExpiresAt: p.ExpiresAt(sale)})
	apply(agent.PointsEntry{ID: "r2", Kind: agent.PointsRedeem, Points: -450, SaleID: "s2", At: sale})

	var reversed, refunded, returnedElig, returnedFen int64
	for i, ret := range []struct{ elig, total int64 }{{3_000, 3_000}, {3_000, 4_000}, {3_000, 3_000}} {
		now := sale.AddDate(0, 0, i+1)
		if !p.InReturnWindow(sale, now) {
			t.Fatalf("return %d outside the window", i)
		}
		returnedElig += ret.elig
		returnedFen += ret.total
		rev := agent.ReversePoints(earned, 9_000, returnedElig, reversed)
		pending, debt := w.Debit(rev, "s1", true, now)
		if pending != rev || debt != 0 {
			t.Errorf("return %d: reversal of %d took %d pending, %d debt; want all pending", i, rev, pending, debt)
		}
		reversed += rev
		ref := agent.RefundRedeemedPoints(2_000, 10_000, returnedFen, refunded)
		apply(agent.PointsEntry{ID: "f", Kind: agent.PointsRefundRedeem, Points: ref, SaleID: "s1", At: now, ExpiresAt: p.ExpiresAt(now)})
		refunded += ref
	}
	end := ptDay(3)
	if reversed != earned || refunded != 2_000 {
		t.Errorf("reversed %d of %d, refunded %d of 2000", reversed, earned, refunded)
	}
	if b, a, pe := w.Balance(end), w.Available(end), w.Pending(end); b != 2_050 || a != 2_050 || pe != 0 {
		t.Errorf("Balance, Available, Pending = %d, %d, %d; want 2050, 2050, 0 (the returned sale nets to 0)", b, a, pe)
	}
}

// TestReturn_DebtRepaidByLaterEarnings: points available at once are spent,
// the goods come back, the reversal leaves a debt (never clamped) that the
// next earnings repay.
func TestReturn_DebtRepaidByLaterEarnings(t *testing.T) {
	w := agent.NewWallet(nil)
	steps := []agent.PointsEntry{
		{ID: "e1", Kind: agent.PointsEarn, Points: 80, SaleID: "s1", At: ptDay(0), AvailableAt: ptDay(0)},
		{ID: "r1", Kind: agent.PointsRedeem, Points: -70, SaleID: "s2", At: ptDay(1)},
	}
	for _, e := range steps {
		if err := w.Apply(e); err != nil {
			t.Fatal(err)
		}
	}
	pending, debt := w.Debit(agent.ReversePoints(80, 8_000, 8_000, 0), "s1", true, ptDay(2))
	if pending != 0 || debt != 70 || w.Balance(ptDay(2)) != -70 {
		t.Fatalf("reversal: pending %d, debt %d, balance %d; want 0, 70, -70", pending, debt, w.Balance(ptDay(2)))
	}
	if err := w.Apply(agent.PointsEntry{ID: "e2", Kind: agent.PointsEarn, Points: 100, SaleID: "s3", At: ptDay(3), AvailableAt: ptDay(3)}); err != nil {
		t.Fatal(err)
	}
	if a := w.Available(ptDay(3)); a != 30 {
		t.Errorf("Available after repaying = %d, want 30", a)
	}
}
