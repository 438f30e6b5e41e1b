package agent_test

import (
	"math"
	"testing"

	"github.com/tillsync/tillsync/agent"
)

func TestPolicy_Reward(t *testing.T) {
	p := &agent.Policy{Rewards: []agent.Reward{{ID: "mug", Points: 500}, {ID: "bag", Points: 200}}}
	t.Run("OK", func(t *testing.T) {
		if r, ok := p.Reward("bag"); !ok || r.Points != 200 {
			t.Errorf("Reward(bag) = %+v, %v", r, ok)
		}
	})
	t.Run("NotFound", func(t *testing.T) {
		if r, ok := p.Reward("car"); ok || r != (agent.Reward{}) {
			t.Errorf("Reward(car) = %+v, %v", r, ok)
		}
	})
}

func TestPolicy_PointsToFen(t *testing.T) {
	on := &agent.Policy{PointsTenderPoints: 100, PointsTenderFen: 50} // 100 points pay 0.50 yuan
	tests := []struct {
		name     string
		p        *agent.Policy
		points   int64
		want     int64
		wantCode string
		wantMsg  string
	}{
		{"OK", on, 300, 150, "", ""},
		{"Zero", on, 0, 0, "", ""},
		{"ErrNotWholeUnit", on, 250, 0, agent.EINVALID, "whole units of 100 points (= 50 fen)"},
		{"ErrNegative", on, -100, 0, agent.EINVALID, "whole units of 100 points"},
		{"ErrOverflow", &agent.Policy{PointsTenderPoints: 1, PointsTenderFen: 2}, math.MaxInt64, 0, agent.EINVALID, "more than any sale"},
		{"ErrTenderOff", &agent.Policy{}, 100, 0, agent.EUNAVAILABLE, "does not take points"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.p.PointsToFen(tt.points)
			if got != tt.want || agent.ErrorCode(err) != tt.wantCode || !ptContains(agent.ErrorMessage(err), tt.wantMsg) {
				t.Errorf("PointsToFen(%d) = %d, %v; want %d, %s %q", tt.points, got, err, tt.want, tt.wantCode, tt.wantMsg)
			}
		})
	}
}

func TestPolicy_FenToPoints(t *testing.T) {
	on := &agent.Policy{PointsTenderPoints: 100, PointsTenderFen: 50}
	tests := []struct {
		name string
		p    *agent.Policy
		fen  int64
		want int64
	}{
		{"OK", on, 150, 300},
		{"RoundsDownToWholeUnits", on, 149, 200},
		{"LessThanAUnit", on, 49, 0},
		{"Negative", on, -50, 0},
		{"TenderOff", &agent.Policy{}, 1000, 0},
		{"Saturates", &agent.Policy{PointsTenderPoints: 1000, PointsTenderFen: 1}, math.MaxInt64, math.MaxInt64},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.FenToPoints(tt.fen); got != tt.want {
				t.Errorf("FenToPoints(%d) = %d, want %d", tt.fen, got, tt.want)
			}
		})
	}
}

func TestOfflineRedeemable(t *testing.T) {
	p := &agent.Policy{OfflineDailyCap: 500}
	now := ptDay(0)
	redeem := func(n int64) agent.PointsEntry { return agent.PointsEntry{Kind: agent.PointsRedeem, Points: -n} }
	tests := []struct {
		name  string
		p     *agent.Policy
		m     *agent.Member
		local []agent.PointsEntry
		today int64
		want  int64
	}{
		{"CapBinds", p, &agent.Member{Balance: 10_000}, nil, 0, 500},
		{"CapAlmostReached", p, &agent.Member{Balance: 10_000}, nil, 499, 1},
		{"CapReachedExactly", p, &agent.Member{Balance: 10_000}, nil, 500, 0},
		{"CapExceededStaysZero", p, &agent.Member{Balance: 10_000}, nil, 700, 0},
		{"BalanceBinds", p, &agent.Member{Balance: 300}, nil, 0, 300},
		{"LocalRedemptionsCount", p, &agent.Member{Balance: 300}, []agent.PointsEntry{redeem(120), redeem(80)}, 0, 100},
		{"BalanceUsedUpExactly", p, &agent.Member{Balance: 300}, []agent.PointsEntry{redeem(300)}, 0, 0},
		{"RefundGivesBack", p, &agent.Member{Balance: 300}, []agent.PointsEntry{redeem(300),
			{Kind: agent.PointsRefundRedeem, Points: 50, ExpiresAt: ptDay(1)}}, 0, 50},
		{"ExpiredRefundGivesNothing", p, &agent.Member{Balance: 300}, []agent.PointsEntry{redeem(300),
			{Kind: agent.PointsRefundRedeem, Points: 50, ExpiresAt: now}}, 0, 0},
		{"ReversalFromPendingDoesNotCount", p, &agent.Member{Balance: 300}, []agent.PointsEntry{
			{Kind: agent.PointsReverseEarn, Points: -100, PendingPoints: 70}}, 0, 270},
		// Points earned locally are pending and unconfirmed by central.
		{"LocalEarnDoesNotCount", p, &agent.Member{Balance: 100}, []agent.PointsEntry{
			{Kind: agent.PointsEarn, Points: 1000, AvailableAt: now}}, 0, 100},
		{"ExpiredLotsDoNotCount", p, &agent.Member{Balance: 300, Lots: []agent.Lot{
			{Points: 200, ExpiresAt: now}, {Points: 100, ExpiresAt: ptDay(1)}}}, nil, 0, 100},
		{"DebtCounts", p, &agent.Member{Balance: 300, Debt: 120}, nil, 0, 180},
		{"NegativeNeverReturned", p, &agent.Member{Balance: 10}, []agent.PointsEntry{redeem(40)}, 0, 0},
		{"BothSides", p, &agent.Member{Balance: 450}, []agent.PointsEntry{redeem(100)}, 100, 350},
		{"UnknownCard", p, nil, nil, 0, 0},
		{"NoPolicy", nil, &agent.Member{Balance: 300}, nil, 0, 0},
		{"CapZeroMeansNoneOffline", &agent.Policy{}, &agent.Member{Balance: 300}, nil, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := agent.OfflineRedeemable(tt.p, tt.m, tt.local, tt.today, now); got != tt.want {
				t.Errorf("OfflineRedeemable = %d, want %d", got, tt.want)
			}
		})
	}
}
