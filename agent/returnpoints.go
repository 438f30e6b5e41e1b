package agent

import (
	"math/big"
	"time"
)

// InReturnWindow reports whether goods sold at saleAt may still be
// returned at now: now < saleAt + ReturnWindowDays calendar days (in Loc).
// The window's end itself is outside it, and a window of 0 days allows no
// return.
func (p *Policy) InReturnWindow(saleAt, now time.Time) bool {
	return now.Before(saleAt.In(p.Loc()).AddDate(0, 0, p.ReturnWindowDays))
}

// ReversePoints returns the earned points a return takes back (DESIGN §3:
// earned points are reversed pro rata). It works on cumulative figures so
// several partial returns add up exactly:
//
//	ceil(earned × returnedEligibleFenSoFar / saleEligibleFen) − reversedSoFar
//
// clamped to [0, earned − reversedSoFar], where returnedEligibleFenSoFar
// includes this return. Rounding up means returned goods never keep a
// point; the clamp means returns never create points; returning
// everything (or more, or any goods of a sale whose eligible amount is 0)
// reverses exactly what is left of earned.
func ReversePoints(earned, saleEligibleFen, returnedEligibleFenSoFar, reversedSoFar int64) int64 {
	var target int64
	switch {
	case earned <= 0 || returnedEligibleFenSoFar <= 0:
		target = 0
	case returnedEligibleFenSoFar >= saleEligibleFen:
		target = earned
	default:
		target = mulDiv(earned, returnedEligibleFenSoFar, saleEligibleFen, true)
	}
	return clampPoints(target-reversedSoFar, earned-reversedSoFar)
}

// RefundRedeemedPoints returns the redeemed points a return gives back:
// the points that paid for part of the sale are credited back pro rata,
// on cumulative figures so partial returns add up exactly:
//
//	floor(redeemed × returnedFenSoFar / saleTotalFen) − refundedSoFar
//
// clamped to [0, redeemed − refundedSoFar], where returnedFenSoFar includes
// this return. Rounding down never gives back a point more than was paid
// for the goods; returning everything refunds exactly what is left of
// redeemed.
func RefundRedeemedPoints(redeemed, saleTotalFen, returnedFenSoFar, refundedSoFar int64) int64 {
	var target int64
	switch {
	case redeemed <= 0 || returnedFenSoFar <= 0:
		target = 0
	case returnedFenSoFar >= saleTotalFen:
		target = redeemed
	default:
		target = mulDiv(redeemed, returnedFenSoFar, saleTotalFen, false)
	}
	return clampPoints(target-refundedSoFar, redeemed-refundedSoFar)
}

// mulDiv returns a × b / c for 0 < b < c and a > 0, rounded up or down,
// through big.Int so the product cannot overflow; the result is < a so it
// fits an int64.
func mulDiv(a, b, c int64, up bool) int64 {
	n := new(big.Int).Mul(big.NewInt(a), big.NewInt(b))
	if up {
		n.Add(n, big.NewInt(c-1))
	}
	return n.Quo(n, big.NewInt(c)).Int64()
}

// clampPoints returns v limited to [0, hi] (0 when hi < 0).
func clampPoints(v, hi int64) int64 {
	return max(0, min(v, hi))
}
