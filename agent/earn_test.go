package agent_test

import (
	"slices"
	"testing"
	"time"

	"github.com/tillsync/tillsync/agent"
)

// shanghai loads Asia/Shanghai or fails the test: day boundaries in these
// tests are the chain's, not UTC's.
func ptShanghai(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatalf("load Asia/Shanghai: %v", err)
	}
	return loc
}

// earnPolicy earns 1 point per yuan (100 fen), floor-rounded.
func ptEarnPolicy() *agent.Policy {
	return &agent.Policy{Location: "Asia/Shanghai", EarnPoints: 1, EarnPerFen: 100, Rounding: agent.RoundFloor}
}

func ptLine(sku, cat string, fen int64) agent.EarnLine {
	return agent.EarnLine{SKU: sku, Category: cat, AmountFen: fen, Eligible: true}
}

func TestPolicy_Earn(t *testing.T) {
	loc := ptShanghai(t)
	// A promotion starting and ending mid-day in Shanghai.
	start := time.Date(2026, 11, 24, 14, 0, 0, 0, loc)
	end := time.Date(2026, 11, 25, 10, 30, 0, 0, loc)
	promo := func(mult int64) agent.Promotion {
		return agent.Promotion{ID: "p", Start: start, End: end, Multiplier: mult}
	}
	inPromo := start.Add(time.Hour)
	tests := []struct {
		name        string
		policy      func(*agent.Policy)
		in          agent.EarnInput
		want        int64
		wantPerLine []int64
	}{
		{"OK", nil, agent.EarnInput{Lines: []agent.EarnLine{ptLine("A", "dairy", 1000)}}, 10, []int64{10}},
		{"TinySaleEarnsZero", nil, agent.EarnInput{Lines: []agent.EarnLine{ptLine("A", "dairy", 99)}}, 0, []int64{0}},
		{"NoLines", nil, agent.EarnInput{}, 0, []int64{}},
		{"NotEligible", nil, agent.EarnInput{Lines: []agent.EarnLine{{SKU: "T", AmountFen: 5000}, ptLine("A", "x", 500)}}, 5, []int64{0, 5}},
		{"ExcludedSKU", func(p *agent.Policy) { p.ExcludedSKUs = []string{"GIFTCARD"} },
			agent.EarnInput{Lines: []agent.EarnLine{ptLine("GIFTCARD", "x", 10000), ptLine("A", "x", 500)}}, 5, []int64{0, 5}},
		{"ExcludedCategory", func(p *agent.Policy) { p.ExcludedCategories = []string{"tobacco"} },
			agent.EarnInput{Lines: []agent.EarnLine{ptLine("CIG", "tobacco", 3000), ptLine("A", "x", 500)}}, 5, []int64{0, 5}},
		{"Staff", nil, agent.EarnInput{Staff: true, Lines: []agent.EarnLine{ptLine("A", "x", 10000)}}, 0, []int64{0}},
		{"SKUMultiplier", nil, agent.EarnInput{Lines: []agent.EarnLine{{SKU: "A", AmountFen: 1000, Eligible: true, Multiplier: 200}}}, 20, []int64{20}},
		{"ZeroMultiplierIsOne", func(p *agent.Policy) { p.CategoryMultipliers = map[string]int64{"x": 0} },
			agent.EarnInput{Lines: []agent.EarnLine{ptLine("A", "x", 1000)}}, 10, []int64{10}},
		{"MultipliersMultiply", func(p *agent.Policy) {
			p.CategoryMultipliers = map[string]int64{"wine": 150}
			p.TierMultipliers = map[string]int64{"gold": 120}
			p.Promotions = []agent.Promotion{promo(300)}
		}, agent.EarnInput{Tier: "gold", At: inPromo, Lines: []agent.EarnLine{{SKU: "W", Category: "wine", AmountFen: 1000, Eligible: true, Multiplier: 200}}},
			108, []int64{108}}, // 10 × 2 × 1.5 × 1.2 × 3
		{"TierNotListed", func(p *agent.Policy) { p.TierMultipliers = map[string]int64{"gold": 200} },
			agent.EarnInput{Tier: "silver", Lines: []agent.EarnLine{ptLine("A", "x", 1000)}}, 10, []int64{10}},
		{"BestPromotionWins", func(p *agent.Policy) { p.Promotions = []agent.Promotion{promo(200), promo(300), promo(150)} },
			agent.EarnInput{At: inPromo, Lines: []agent.EarnLine{ptLine("A", "x", 1000)}}, 30, []int64{30}}, // not ×9
		{"PromotionAtStartCounts", func(p *agent.Policy) { p.Promotions = []agent.Promotion{promo(200)} },
			agent.EarnInput{At: start, Lines: []agent.EarnLine{ptLine("A", "x", 1000)}}, 20, []int64{20}},
		{"PromotionBeforeStart", func(p *agent.Policy) { p.Promotions = []agent.Promotion{promo(200)} },
			agent.EarnInput{At: start.Add(-time.Nanosecond), Lines: []agent.EarnLine{ptLine("A", "x", 1000)}}, 10, []int64{10}},
		{"PromotionLastInstant", func(p *agent.Policy) { p.Promotions = []agent.Promotion{promo(200)} },
			agent.EarnInput{At: end.Add(-time.Nanosecond), Lines: []agent.EarnLine{ptLine("A", "x", 1000)}}, 20, []int64{20}},
		{"PromotionAtEndDoesNot", func(p *agent.Policy) { p.Promotions = []agent.Promotion{promo(200)} },
			agent.EarnInput{At: end, Lines: []agent.EarnLine{ptLine("A", "x", 1000)}}, 10, []int64{10}},
		{"PromotionStartInUTC", func(p *agent.Policy) { p.Promotions = []agent.Promotion{promo(200)} },
			// 06:00 UTC is 14:00 in Shanghai: instants, not wall clocks, decide.
			agent.EarnInput{At: time.Date(2026, 11, 24, 6, 0, 0, 0, time.UTC), Lines: []agent.EarnLine{ptLine("A", "x", 1000)}}, 20, []int64{20}},
		{"PromotionMatchesSKUCategoryTier", func(p *agent.Policy) {
			pr := promo(300)
			pr.SKUs, pr.Categories, pr.Tiers = []string{"A", "B"}, []string{"fruit"}, []string{"gold"}
			p.Promotions = []agent.Promotion{pr}
		}, agent.EarnInput{Tier: "gold", At: inPromo, Lines: []agent.EarnLine{
			ptLine("A", "fruit", 1000), ptLine("B", "dairy", 1000), ptLine("C", "fruit", 1000)}},
			50, []int64{30, 10, 10}},
		{"PromotionOtherTier", func(p *agent.Policy) {
			pr := promo(300)
			pr.Tiers = []string{"gold"}
			p.Promotions = []agent.Promotion{pr}
		}, agent.EarnInput{Tier: "silver", At: inPromo, Lines: []agent.EarnLine{ptLine("A", "x", 1000)}}, 10, []int64{10}},
		{"WeighedLinesRoundOncePerTransaction", nil, agent.EarnInput{Lines: []agent.EarnLine{
			ptLine("APPLE", "fruit", agent.LineTotal(333, 1099)), // 0.333 kg × 10.99/kg = 366 fen
			ptLine("PEAR", "fruit", agent.LineTotal(250, 1000)),  // 250 fen
		}}, 6, []int64{4, 2}}, // 6.16 points, not 3 + 2 rounded per line
		{"Floor", nil, agent.EarnInput{Lines: []agent.EarnLine{ptLine("A", "x", 150)}}, 1, []int64{1}},
		{"HalfUp", func(p *agent.Policy) { p.Rounding = agent.RoundHalfUp },
			agent.EarnInput{Lines: []agent.EarnLine{ptLine("A", "x", 150)}}, 2, []int64{2}},
		{"HalfUpBelowHalf", func(p *agent.Policy) { p.Rounding = agent.RoundHalfUp },
			agent.EarnInput{Lines: []agent.EarnLine{ptLine("A", "x", 149)}}, 1, []int64{1}},
		{"PointsTenderEarnsNothing", nil, agent.EarnInput{PointsTenderFen: 400, Lines: []agent.EarnLine{ptLine("A", "x", 500), ptLine("B", "x", 500)}},
			6, []int64{3, 3}},
		{"PointsTenderSharedWithIneligible", nil, agent.EarnInput{PointsTenderFen: 500, Lines: []agent.EarnLine{ptLine("A", "x", 1000), {SKU: "T", AmountFen: 1000}}},
			7, []int64{7, 0}}, // 1000 × 1500/2000 = 750 fen earn
		{"PointsTenderExact", func(p *agent.Policy) { p.EarnPerFen = 1 },
			// 300 × 200/300 = 200 exactly: no float drift to 199.
			agent.EarnInput{PointsTenderFen: 100, Lines: []agent.EarnLine{ptLine("A", "x", 100), ptLine("B", "x", 100), ptLine("C", "x", 100)}},
			200, []int64{67, 67, 66}},
		{"PaidWhollyInPoints", nil, agent.EarnInput{PointsTenderFen: 1000, Lines: []agent.EarnLine{ptLine("A", "x", 1000)}}, 0, []int64{0}},
		{"PointsTenderAboveTotal", nil, agent.EarnInput{PointsTenderFen: 5000, Lines: []agent.EarnLine{ptLine("A", "x", 1000)}}, 0, []int64{0}},
		{"PerLineLargestRemainder", nil, agent.EarnInput{Lines: []agent.EarnLine{ptLine("A", "x", 333), ptLine("B", "x", 333), ptLine("C", "x", 334)}},
			10, []int64{3, 3, 4}},
		{"PerLineTieToLowerIndex", func(p *agent.Policy) { p.EarnPerFen = 150 },
			agent.EarnInput{Lines: []agent.EarnLine{ptLine("A", "x", 100), ptLine("B", "x", 100), ptLine("C", "x", 100)}},
			2, []int64{1, 1, 0}},
		{"NegativeAmountEarnsNothing", nil, agent.EarnInput{Lines: []agent.EarnLine{ptLine("A", "x", -1000), ptLine("B", "x", 1000)}}, 10, []int64{0, 10}},
		{"NoEarnRate", func(p *agent.Policy) { p.EarnPerFen = 0 }, agent.EarnInput{Lines: []agent.EarnLine{ptLine("A", "x", 1000)}}, 0, []int64{0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := ptEarnPolicy()
			if tt.policy != nil {
				tt.policy(p)
			}
			got := p.Earn(tt.in)
			if got.Points != tt.want || !slices.Equal(got.PerLine, tt.wantPerLine) {
				t.Errorf("Earn = %d %v, want %d %v", got.Points, got.PerLine, tt.want, tt.wantPerLine)
			}
		})
	}
}

// FuzzEarn checks that no input panics Earn, points are never negative and
// the per-line shares always sum to the points.
func FuzzEarn(f *testing.F) {
	f.Add(int64(1000), int64(500), int64(0), int64(200), int64(300), int64(0), uint8(3), true, false)
	f.Add(int64(1), int64(1), int64(1), int64(10000), int64(10000), int64(2), uint8(1), false, true)
	f.Add(int64(agent.MaxUnitPriceFen), int64(7), int64(99), int64(0), int64(1), int64(-5), uint8(200), true, true)
	f.Fuzz(func(t *testing.T, amount, step, tender, skuMult, promoMult, perFen int64, n uint8, halfUp, eligible bool) {
		p := ptEarnPolicy()
		p.EarnPerFen = max(1, perFen%10_000)
		if halfUp {
			p.Rounding = agent.RoundHalfUp
		}
		at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		p.CategoryMultipliers = map[string]int64{"c1": skuMult % 10_001}
		p.TierMultipliers = map[string]int64{"gold": promoMult % 10_001}
		p.Promotions = []agent.Promotion{{Start: at, End: at.Add(time.Hour), Multiplier: max(1, promoMult%10_001), Categories: []string{"c1"}}}
		lines := make([]agent.EarnLine, int(n)%agent.MaxLines)
		for i := range lines {
			lines[i] = agent.EarnLine{SKU: "S", Category: []string{"c0", "c1"}[i%2],
				AmountFen: (amount + int64(i)*step) % (agent.MaxUnitPriceFen * 100), Eligible: eligible || i%3 == 0,
				Multiplier: (skuMult + int64(i)) % 10_001}
		}
		res := p.Earn(agent.EarnInput{Lines: lines, Tier: "gold", PointsTenderFen: tender, At: at})
		if res.Points < 0 || len(res.PerLine) != len(lines) {
			t.Fatalf("Earn = %d, %d shares for %d lines", res.Points, len(res.PerLine), len(lines))
		}
		var sum int64
		for i, v := range res.PerLine {
			if v < 0 {
				t.Fatalf("PerLine[%d] = %d", i, v)
			}
			sum += v
		}
		if sum != res.Points {
			t.Fatalf("PerLine sums to %d, Points %d", sum, res.Points)
		}
	})
}
