package agent

import (
	"math"
	"math/big"
	"slices"
	"time"
)

// EarnLine is one sale line as the earn rule sees it.
type EarnLine struct {
	SKU, Category string
	// AmountFen is the line total after the member price.
	AmountFen int64
	// Eligible is false for lines that earn nothing (Product.PointsEligible).
	Eligible bool
	// Multiplier is the SKU's multiplier in hundredths; 0 means 100 (×1).
	Multiplier int64
}

// EarnInput is a transaction to earn points on.
type EarnInput struct {
	Lines []EarnLine
	Tier  string
	// Staff cards earn nothing (DESIGN §6, staff and test cards).
	Staff bool
	// PointsTenderFen is the part of the sale paid with points, which
	// earns nothing.
	PointsTenderFen int64
	// At is the sale's time; it picks the active promotions.
	At time.Time
}

// EarnResult is the points a transaction earns.
type EarnResult struct {
	Points int64
	// PerLine has one entry per input line and sums exactly to Points.
	PerLine []int64
}

// multiplierScale is the denominator of the four hundredths multipliers
// multiplied together (SKU × category × tier × promotion).
const multiplierScale = 100 * 100 * 100 * 100

// Earn returns the points in earns (DESIGN §3, earning). A line earns
// nothing when it is not eligible or its SKU or category is excluded;
// staff cards earn nothing at all. Each line's multipliers multiply: SKU ×
// category × tier × promotion. The part of the sale paid with points
// earns nothing: every line's amount is reduced pro rata by
// PointsTenderFen / total. The points are
//
//	Rounding(Σ amount × (total − pointsTender)/total × multipliers × EarnPoints/EarnPerFen)
//
// computed exactly in rationals and rounded ONCE per transaction (floor
// unless the policy says half_up), so splitting a basket never earns more
// than the sum of its parts rounded. PerLine shares Points out in
// proportion to each line's contribution by largest remainder (ties to
// the lower line index), so the shares sum to Points exactly.
// Negative amounts earn nothing (returns have their own rule) and a
// policy without a positive earn rate earns nothing.
func (p *Policy) Earn(in EarnInput) EarnResult {
	res := EarnResult{PerLine: make([]int64, len(in.Lines))}
	if in.Staff || p.EarnPerFen <= 0 || p.EarnPoints <= 0 {
		return res
	}
	// The total is a big.Int so no input, however wild, can wrap it.
	total := new(big.Int)
	for _, l := range in.Lines {
		total.Add(total, big.NewInt(max(l.AmountFen, 0)))
	}
	unpaid := new(big.Int).Sub(total, big.NewInt(max(in.PointsTenderFen, 0)))
	if unpaid.Sign() <= 0 {
		return res // an empty sale, or one paid wholly in points, earns nothing
	}
	// contrib[i] is line i's numerator over the common denominator
	// den = total × 10^8 × EarnPerFen; the factor (total − paid) × EarnPoints
	// is common to every line.
	common := new(big.Int).Mul(unpaid, big.NewInt(p.EarnPoints))
	contrib := make([]*big.Int, len(in.Lines))
	sum := new(big.Int)
	for i, l := range in.Lines {
		contrib[i] = new(big.Int)
		if !p.lineEarns(l) {
			continue
		}
		contrib[i].Mul(big.NewInt(l.AmountFen), p.lineMultiplier(l, in.Tier, in.At))
		contrib[i].Mul(contrib[i], common)
		sum.Add(sum, contrib[i])
	}
	den := new(big.Int).Mul(total, big.NewInt(multiplierScale))
	den.Mul(den, big.NewInt(p.EarnPerFen))
	pts := roundQuo(sum, den, p.Rounding)
	if !pts.IsInt64() {
		// Unreachable within Validate's limits and the sale limits; saturate
		// rather than wrap.
		pts.SetInt64(math.MaxInt64)
	}
	res.Points = pts.Int64()
	res.PerLine = allocateLargestRemainder(res.Points, contrib, sum)
	return res
}

// lineEarns reports whether a line earns at all: eligible, positive and
// not excluded by SKU or category.
func (p *Policy) lineEarns(l EarnLine) bool {
	return l.Eligible && l.AmountFen > 0 &&
		!slices.Contains(p.ExcludedSKUs, l.SKU) &&
		!slices.Contains(p.ExcludedCategories, l.Category)
}

// lineMultiplier returns SKU × category × tier × promotion, each in
// hundredths (so the product is in 10^-8). A multiplier of 0 or one not
// listed means ×1, like Product.PointsMultiplier.
func (p *Policy) lineMultiplier(l EarnLine, tier string, at time.Time) *big.Int {
	m := big.NewInt(hundredths(l.Multiplier))
	m.Mul(m, big.NewInt(hundredths(p.CategoryMultipliers[l.Category])))
	m.Mul(m, big.NewInt(hundredths(p.TierMultipliers[tier])))
	m.Mul(m, big.NewInt(p.promotionMultiplier(l, tier, at)))
	return m
}

func hundredths(m int64) int64 {
	if m <= 0 {
		return 100
	}
	return m
}

// promotionMultiplier returns the highest multiplier among the promotions
// active at `at` (Start ≤ at < End) that match the line and tier, or 100.
// Best promotion wins, promotions do not stack: two overlapping campaigns
// must not compound into a multiplier marketing never approved.
func (p *Policy) promotionMultiplier(l EarnLine, tier string, at time.Time) int64 {
	best := int64(0)
	for _, pr := range p.Promotions {
		if at.Before(pr.Start) || !at.Before(pr.End) || pr.Multiplier <= 0 {
			continue
		}
		if !matchAll(pr.SKUs, l.SKU) || !matchAll(pr.Categories, l.Category) || !matchAll(pr.Tiers, tier) {
			continue
		}
		best = max(best, pr.Multiplier)
	}
	if best == 0 {
		return 100
	}
	return best
}

// matchAll reports whether v is in list; an empty list matches everything.
func matchAll(list []string, v string) bool {
	return len(list) == 0 || slices.Contains(list, v)
}

// roundQuo returns num/den (both ≥ 0, den > 0) rounded by r: floor by
// default (DESIGN §3: a member never gets a point not fully earned),
// half up on request.
func roundQuo(num, den *big.Int, r Rounding) *big.Int {
	if r == RoundHalfUp {
		// floor((2·num + den) / (2·den))
		n := new(big.Int).Lsh(num, 1)
		n.Add(n, den)
		return n.Quo(n, new(big.Int).Lsh(den, 1))
	}
	return new(big.Int).Quo(num, den)
}

// allocateLargestRemainder splits total over weights (≥ 0, summing to
// sum) in proportion, by the largest remainder method: each share is
// floor(total × w / sum), and the points left over go one each to the
// largest remainders, ties to the lower index, so the result is
// deterministic and sums to total exactly.
func allocateLargestRemainder(total int64, weights []*big.Int, sum *big.Int) []int64 {
	out := make([]int64, len(weights))
	if total == 0 || sum.Sign() == 0 {
		return out
	}
	t := big.NewInt(total)
	rems := make([]*big.Int, len(weights))
	left := total
	for i, w := range weights {
		q, r := new(big.Int).QuoRem(new(big.Int).Mul(t, w), sum, new(big.Int))
		out[i] = q.Int64() // ≤ total, fits
		rems[i] = r
		left -= out[i]
	}
	order := make([]int, len(weights))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return rems[b].Cmp(rems[a]) })
	// left < len(weights): each floor loses less than one point.
	for _, i := range order[:left] {
		out[i]++
	}
	return out
}
