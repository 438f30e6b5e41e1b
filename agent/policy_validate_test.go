package agent_test

import (
	"testing"
	"time"

	"github.com/tillsync/tillsync/agent"
)

// ptValidPolicy is a complete, valid policy; each error case breaks one field.
func ptValidPolicy() *agent.Policy {
	start := time.Date(2026, 11, 24, 14, 0, 0, 0, time.UTC)
	return &agent.Policy{
		Location: "Asia/Shanghai", EarnPoints: 1, EarnPerFen: 100, Rounding: agent.RoundFloor,
		TierMultipliers:     map[string]int64{"gold": 150, "silver": 0},
		CategoryMultipliers: map[string]int64{"wine": 200},
		Promotions:          []agent.Promotion{{ID: "p", Start: start, End: start.Add(time.Hour), Multiplier: 200}},
		ReturnWindowDays:    7, PendingDays: 7,
		Expiry:             agent.ExpiryRule{Kind: agent.ExpiryAfterDays, Days: 365},
		OfflineDailyCap:    500,
		PointsTenderPoints: 100, PointsTenderFen: 100,
		Rewards:      []agent.Reward{{ID: "mug", Points: 500}, {ID: "bag", Points: 200}},
		CardPatterns: []agent.CardPattern{{Name: "member", Prefix: "88", Length: 13, Regexp: `88\d{11}`, Luhn: true}},
		WeighedLayouts: []agent.WeighedLayout{
			{Prefix: "2", ItemDigits: 5, ValueDigits: 5, Value: agent.WeighedPrice},
			{Prefix: "22", ItemDigits: 4, ValueDigits: 5, Value: agent.WeighedWeight, PriceCheckDigit: true},
		},
	}
}

func TestPolicy_Validate(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		if err := ptValidPolicy().Validate(); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("OKMinimal", func(t *testing.T) {
		// Empty location (UTC), rounding (floor) and expiry (never) are allowed; tender off.
		if err := (&agent.Policy{EarnPerFen: 100}).Validate(); err != nil {
			t.Fatal(err)
		}
	})
	tests := []struct {
		name   string
		mutate func(*agent.Policy)
		want   string
	}{
		{"ErrEarnPerFen", func(p *agent.Policy) { p.EarnPerFen = 0 }, "earn_per_fen: 0"},
		{"ErrEarnPoints", func(p *agent.Policy) { p.EarnPoints = -1 }, "earn_points: -1"},
		{"ErrRounding", func(p *agent.Policy) { p.Rounding = "ceil" }, `rounding: "ceil"`},
		{"ErrTierMultiplier", func(p *agent.Policy) { p.TierMultipliers["vip"] = 10_001 }, "tier_multipliers[vip]: 10001"},
		{"ErrCategoryMultiplier", func(p *agent.Policy) { p.CategoryMultipliers["x"] = -1 }, "category_multipliers[x]: -1"},
		{"ErrLocation", func(p *agent.Policy) { p.Location = "Asia/Shanghi" }, `location: "Asia/Shanghi"`},
		{"ErrPromotionEnd", func(p *agent.Policy) { p.Promotions[0].End = p.Promotions[0].Start }, "promotions[0].end"},
		{"ErrPromotionMultiplier", func(p *agent.Policy) { p.Promotions[0].Multiplier = 0 }, "promotions[0].multiplier: 0"},
		{"ErrPendingDays", func(p *agent.Policy) { p.PendingDays = -1 }, "pending_days: -1"},
		{"ErrReturnWindowDays", func(p *agent.Policy) { p.ReturnWindowDays = -1 }, "return_window_days: -1"},
		{"ErrExpiryKind", func(p *agent.Policy) { p.Expiry.Kind = "end_of_week" }, `expiry.kind: "end_of_week"`},
		{"ErrExpiryDays", func(p *agent.Policy) { p.Expiry.Days = 0 }, "expiry.days: 0"},
		{"ErrOfflineDailyCap", func(p *agent.Policy) { p.OfflineDailyCap = -5 }, "offline_daily_cap: -5"},
		{"ErrPointsTenderHalf", func(p *agent.Policy) { p.PointsTenderFen = 0 }, "points_tender_points, points_tender_fen: 100 and 0"},
		{"ErrPointsTenderNegative", func(p *agent.Policy) { p.PointsTenderPoints, p.PointsTenderFen = -1, -1 }, "points_tender_points, points_tender_fen: -1 and -1"},
		{"ErrRewardID", func(p *agent.Policy) { p.Rewards[0].ID = "" }, "rewards[0].id: is required"},
		{"ErrRewardDuplicate", func(p *agent.Policy) { p.Rewards[1].ID = "mug" }, `rewards[1].id: "mug" is used`},
		{"ErrRewardPoints", func(p *agent.Policy) { p.Rewards[1].Points = 0 }, "rewards[1].points: 0"},
		{"ErrCardRegexp", func(p *agent.Policy) { p.CardPatterns[0].Regexp = `88(\d` }, "card_patterns[0].regexp"},
		{"ErrCardLength", func(p *agent.Policy) { p.CardPatterns[0].Length = -1 }, "card_patterns[0].length: -1"},
		{"ErrWeighedPrefix", func(p *agent.Policy) { p.WeighedLayouts[0].Prefix = "3" }, `weighed_layouts[0]: layout prefix "3"`},
		{"ErrWeighedPrefixThreeDigits", func(p *agent.Policy) { p.WeighedLayouts[0].Prefix, p.WeighedLayouts[0].ItemDigits = "200", 4 }, `weighed_layouts[0].prefix: "200"`},
		{"ErrWeighedPrefixLetters", func(p *agent.Policy) { p.WeighedLayouts[0].Prefix = "2a" }, `weighed_layouts[0]: layout prefix "2a"`},
		{"ErrWeighedLength", func(p *agent.Policy) { p.WeighedLayouts[0].ItemDigits = 4 }, "weighed_layouts[0]: layout \"2\": invalid restricted-circulation layout: prefix, item, value and check digits make 12 digits"},
		{"ErrWeighedCheckDigitLength", func(p *agent.Policy) { p.WeighedLayouts[1].PriceCheckDigit = false }, "weighed_layouts[1]: layout \"22\": invalid restricted-circulation layout: prefix, item, value and check digits make 12 digits"},
		{"ErrWeighedZeroDigits", func(p *agent.Policy) { p.WeighedLayouts[0].ItemDigits, p.WeighedLayouts[0].ValueDigits = 0, 11 }, "item and value need at least one digit each"},
		{"ErrWeighedPriceCheckDigits", func(p *agent.Policy) {
			p.WeighedLayouts[1].ItemDigits, p.WeighedLayouts[1].ValueDigits = 3, 6
		}, "weighed_layouts[1]: layout \"22\": invalid restricted-circulation layout: a price check digit needs a 4- or 5-digit value"},
		{"ErrWeighedValue", func(p *agent.Policy) { p.WeighedLayouts[0].Value = "count" }, `weighed_layouts[0].value: "count"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := ptValidPolicy()
			tt.mutate(p)
			err := p.Validate()
			if agent.ErrorCode(err) != agent.EINVALID || !ptContains(agent.ErrorMessage(err), tt.want) {
				t.Errorf("Validate = %v, want EINVALID naming %q", err, tt.want)
			}
		})
	}
	t.Run("ErrNamesEveryField", func(t *testing.T) {
		p := ptValidPolicy()
		p.EarnPerFen, p.PendingDays, p.Rewards[0].Points = 0, -1, -3
		msg := agent.ErrorMessage(p.Validate())
		for _, want := range []string{"earn_per_fen", "pending_days", "rewards[0].points"} {
			if !ptContains(msg, want) {
				t.Errorf("message %q does not name %s", msg, want)
			}
		}
	})
}
