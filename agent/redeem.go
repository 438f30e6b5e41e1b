package agent

import (
	"math"
	"math/big"
	"time"
)

// Reward returns the reward with id, and false when the policy has none.
func (p *Policy) Reward(id string) (Reward, bool) {
	for _, r := range p.Rewards {
		if r.ID == id {
			return r, true
		}
	}
	return Reward{}, false
}

// PointsToFen returns the fen that points pay as tender. Tender in points
// is a whole number of units (PointsTenderPoints points pay
// PointsTenderFen fen), so points that are negative or not a multiple of
// the unit give an EINVALID error saying the unit; a policy without points
// tender gives EUNAVAILABLE.
func (p *Policy) PointsToFen(points int64) (int64, error) {
	if p.PointsTenderPoints <= 0 || p.PointsTenderFen <= 0 {
		return 0, Errorf(EUNAVAILABLE, "this store does not take points as payment; choose another tender")
	}
	if points < 0 || points%p.PointsTenderPoints != 0 {
		return 0, Errorf(EINVALID, "%d points cannot pay: points pay in whole units of %d points (= %d fen)",
			points, p.PointsTenderPoints, p.PointsTenderFen)
	}
	units := points / p.PointsTenderPoints
	if units > math.MaxInt64/p.PointsTenderFen {
		return 0, Errorf(EINVALID, "%d points is more than any sale can take", points)
	}
	return units * p.PointsTenderFen, nil
}

// FenToPoints returns the most points that pay at most fen: whole units
// only, floor(fen / PointsTenderFen) × PointsTenderPoints, so the till can
// say "use at most N points". It returns 0 for fen ≤ 0 or a policy without
// points tender, and saturates at math.MaxInt64.
func (p *Policy) FenToPoints(fen int64) int64 {
	if fen <= 0 || p.PointsTenderPoints <= 0 || p.PointsTenderFen <= 0 {
		return 0
	}
	pts := new(big.Int).Mul(big.NewInt(fen/p.PointsTenderFen), big.NewInt(p.PointsTenderPoints))
	if !pts.IsInt64() {
		return math.MaxInt64
	}
	return pts.Int64()
}

// OfflineRedeemable returns the most points member m may redeem at this
// store while it cannot ask central (DESIGN §3, redeeming):
//
//	min(last known balance − local pending redemptions, OfflineDailyCap − redeemedToday)
//
// and never less than 0. The last known balance is central's m.Balance,
// less the points of m.Lots that have expired by now and central's m.Debt
// (Member: the lots sum to Balance and debt shows apart, so it is netted
// here); m nil (a card the store does not know) has none. Local pending
// redemptions are the debits of available points in local — Σ|Redeem| −
// Σ RefundRedeem (those unexpired at now) + Σ(|ReverseEarn| − its
// PendingPoints) — since a reversal taken from pending points did not
// reduce what could be spent.
// redeemedToday is what the card already redeemed at this store today (in
// p.Loc()). A nil policy or a cap of 0 allows nothing offline.
//
// Points earned locally do NOT count: they are pending (inside the return
// window) and central has not confirmed them, so spending them offline
// would let an unsynced sale fund a redemption it might never back.
func OfflineRedeemable(p *Policy, m *Member, local []PointsEntry, redeemedToday int64, now time.Time) int64 {
	if p == nil || m == nil {
		return 0
	}
	known := m.Balance - m.Debt
	for _, l := range m.Lots {
		if !lotLive(l, now) {
			known -= l.Points // central counted it; it has expired since
		}
	}
	for _, e := range local {
		switch e.Kind {
		case PointsRedeem:
			known -= absPoints(e.Points)
		case PointsRefundRedeem:
			if e.ExpiresAt.IsZero() || now.Before(e.ExpiresAt) {
				known += e.Points // a refund that has expired since gives nothing
			}
		case PointsReverseEarn:
			known -= absPoints(e.Points) - e.PendingPoints
		}
	}
	capLeft := p.OfflineDailyCap - redeemedToday
	return max(0, min(known, capLeft))
}

func absPoints(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}
