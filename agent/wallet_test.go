package agent_test

import (
	"strings"
	"testing"
	"time"

	"github.com/tillsync/tillsync/agent"
)

// ptT0 is the points tests' reference instant.
func ptT0() time.Time { return time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC) }

// ptDay is n days after ptT0.
func ptDay(n int) time.Time { return ptT0().AddDate(0, 0, n) }

func TestNewWallet(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		m := &agent.Member{Balance: 100, Debt: 7, Lots: []agent.Lot{{ID: "l1", Points: 100}}}
		w := agent.NewWallet(m)
		w.Debit(60, "", false, ptT0())
		if m.Lots[0].Points != 100 || m.Debt != 7 {
			t.Errorf("debiting the wallet changed the member: %+v", m)
		}
		if got := w.Available(ptT0()); got != 100-60-7 {
			t.Errorf("Available = %d, want 33", got)
		}
	})
	t.Run("NilMember", func(t *testing.T) {
		w := agent.NewWallet(nil)
		if w.Balance(ptT0()) != 0 || w.Available(ptT0()) != 0 || w.Pending(ptT0()) != 0 {
			t.Errorf("empty wallet: %+v", w)
		}
	})
}

func TestWallet_Balance(t *testing.T) {
	w := &agent.Wallet{Debt: 5, Lots: []agent.Lot{
		{ID: "avail", Points: 100, AvailableAt: ptDay(0), ExpiresAt: ptDay(10)},
		{ID: "pending", Points: 40, AvailableAt: ptDay(3), ExpiresAt: ptDay(20)},
		{ID: "forever", Points: 1, AvailableAt: ptDay(0)},
	}}
	tests := []struct {
		name                      string
		now                       time.Time
		balance, avail, pendingPt int64
	}{
		{"BeforePendingEnds", ptDay(1), 136, 96, 40},
		{"AtAvailableAt", ptDay(3), 136, 136, 0},
		{"LastInstantBeforeExpiry", ptDay(10).Add(-time.Nanosecond), 136, 136, 0},
		{"AtExpiresAt", ptDay(10), 36, 36, 0},
		{"AllExpiredButForever", ptDay(30), -4, -4, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if b, a, p := w.Balance(tt.now), w.Available(tt.now), w.Pending(tt.now); b != tt.balance || a != tt.avail || p != tt.pendingPt {
				t.Errorf("Balance, Available, Pending = %d, %d, %d; want %d, %d, %d", b, a, p, tt.balance, tt.avail, tt.pendingPt)
			}
		})
	}
}

func TestWallet_Debit(t *testing.T) {
	lots := func() []agent.Lot {
		return []agent.Lot{
			{ID: "never", Points: 10, EarnedAt: ptDay(-9), AvailableAt: ptDay(-9)},
			{ID: "late", Points: 10, EarnedAt: ptDay(-8), AvailableAt: ptDay(-8), ExpiresAt: ptDay(300)},
			{ID: "early2", Points: 10, EarnedAt: ptDay(-6), AvailableAt: ptDay(-6), ExpiresAt: ptDay(30)},
			{ID: "early1", Points: 10, EarnedAt: ptDay(-7), AvailableAt: ptDay(-7), ExpiresAt: ptDay(30)},
			{ID: "s1pending", Points: 10, EarnedAt: ptDay(-1), AvailableAt: ptDay(6), ExpiresAt: ptDay(300), SaleID: "s1"},
			{ID: "s2pending", Points: 10, EarnedAt: ptDay(-1), AvailableAt: ptDay(6), ExpiresAt: ptDay(300), SaleID: "s2"},
		}
	}
	tests := []struct {
		name         string
		points       int64
		saleID       string
		pendingFirst bool
		wantPending  int64
		wantDebt     int64
		wantLeft     map[string]int64 // points left per lot; missing = spent
	}{
		{"RedeemFIFO", 15, "", false, 0, 0, map[string]int64{"never": 10, "late": 10, "early2": 5, "s1pending": 10, "s2pending": 10}},
		{"RedeemNeverExpiringLast", 35, "", false, 0, 0, map[string]int64{"never": 5, "s1pending": 10, "s2pending": 10}},
		{"RedeemNeverTouchesPending", 45, "", false, 0, 5, map[string]int64{"s1pending": 10, "s2pending": 10}},
		{"ReversalPendingFirst", 4, "s1", true, 4, 0, map[string]int64{"never": 10, "late": 10, "early2": 10, "early1": 10, "s1pending": 6, "s2pending": 10}},
		{"ReversalThenAvailable", 13, "s1", true, 10, 0, map[string]int64{"never": 10, "late": 10, "early2": 10, "early1": 7, "s2pending": 10}},
		{"ReversalIntoDebt", 60, "s1", true, 10, 10, map[string]int64{"s2pending": 10}},
		{"ReversalUnknownSale", 5, "s9", true, 0, 0, map[string]int64{"never": 10, "late": 10, "early2": 10, "early1": 5, "s1pending": 10, "s2pending": 10}},
		{"ZeroTakesNothing", 0, "s1", true, 0, 0, map[string]int64{"never": 10, "late": 10, "early2": 10, "early1": 10, "s1pending": 10, "s2pending": 10}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := &agent.Wallet{Lots: lots()}
			before := w.Balance(ptT0())
			pending, debt := w.Debit(tt.points, tt.saleID, tt.pendingFirst, ptT0())
			if pending != tt.wantPending || debt != tt.wantDebt || w.Debt != tt.wantDebt {
				t.Errorf("Debit = pending %d, debt %d (wallet debt %d); want %d, %d", pending, debt, w.Debt, tt.wantPending, tt.wantDebt)
			}
			got := map[string]int64{}
			for _, l := range w.Lots {
				got[l.ID] = l.Points
			}
			if len(got) != len(tt.wantLeft) {
				t.Errorf("lots left %v, want %v", got, tt.wantLeft)
			}
			for id, v := range tt.wantLeft {
				if got[id] != v {
					t.Errorf("lot %s has %d, want %d (all: %v)", id, got[id], v, got)
				}
			}
			if after := w.Balance(ptT0()); before-after != tt.points {
				t.Errorf("balance fell by %d, want %d: debits are never clamped", before-after, tt.points)
			}
		})
	}
}

func TestWallet_Apply(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		w := agent.NewWallet(nil)
		entries := []agent.PointsEntry{
			{ID: "e1", Kind: agent.PointsEarn, Points: 100, SaleID: "s1", At: ptDay(0), AvailableAt: ptDay(7), ExpiresAt: ptDay(365)},
			{ID: "e2", Kind: agent.PointsRefundRedeem, Points: 30, SaleID: "s0", At: ptDay(1), AvailableAt: ptDay(99), ExpiresAt: ptDay(365)},
			{ID: "e3", Kind: agent.PointsRedeem, Points: -20, At: ptDay(2)},
			{ID: "e4", Kind: agent.PointsReverseEarn, Points: -40, SaleID: "s1", At: ptDay(3)},
			{ID: "e5", Kind: agent.PointsEarn, Points: 0, SaleID: "s2", At: ptDay(3)},
		}
		for _, e := range entries {
			if err := w.Apply(e); err != nil {
				t.Fatalf("Apply(%s): %v", e.ID, err)
			}
		}
		// The refund is available at once (not at its AvailableAt); the
		// reversal took s1's pending points, the redemption the refund.
		if b, a, p := w.Balance(ptDay(3)), w.Available(ptDay(3)), w.Pending(ptDay(3)); b != 70 || a != 10 || p != 60 {
			t.Errorf("Balance, Available, Pending = %d, %d, %d; want 70, 10, 60", b, a, p)
		}
		if len(w.Lots) != 2 {
			t.Errorf("lots %+v, want 2 (zero earn adds none)", w.Lots)
		}
	})
	errs := []struct {
		name string
		e    agent.PointsEntry
		want string
	}{
		{"ErrUnknownKind", agent.PointsEntry{ID: "x", Kind: 9, Points: 1}, "unknown kind 9"},
		{"ErrZeroKind", agent.PointsEntry{ID: "x", Points: 1}, "unknown kind 0"},
		{"ErrNegativeEarn", agent.PointsEntry{ID: "x", Kind: agent.PointsEarn, Points: -1}, "credit"},
		{"ErrNegativeRefund", agent.PointsEntry{ID: "x", Kind: agent.PointsRefundRedeem, Points: -1}, "credit"},
		{"ErrPositiveRedeem", agent.PointsEntry{ID: "x", Kind: agent.PointsRedeem, Points: 1}, "debit"},
		{"ErrPositiveReversal", agent.PointsEntry{ID: "x", Kind: agent.PointsReverseEarn, Points: 1}, "debit"},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			w := &agent.Wallet{Lots: []agent.Lot{{ID: "l", Points: 5}}}
			err := w.Apply(tt.e)
			if agent.ErrorCode(err) != agent.EINVALID || !ptContains(agent.ErrorMessage(err), tt.want) {
				t.Errorf("Apply = %v, want EINVALID with %q", err, tt.want)
			}
			if w.Balance(ptT0()) != 5 || w.Debt != 0 {
				t.Errorf("a refused entry changed the wallet: %+v", w)
			}
		})
	}
}

func ptContains(s, sub string) bool { return strings.Contains(s, sub) }
