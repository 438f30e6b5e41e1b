package central_test

import (
	"testing"
	"time"

	"github.com/tillsync/tillsync/central"
)

func tierPolicy(downgrade string, grace int) central.TierPolicy {
	p := central.DefaultTierPolicy()
	p.Downgrade, p.GraceDays = downgrade, grace
	return p
}

func TestTierPolicy_Validate(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		if err := central.DefaultTierPolicy().Validate(); err != nil {
			t.Fatalf("default: %v", err)
		}
		if err := tierPolicy(central.DowngradeNever, 0).Validate(); err != nil {
			t.Fatalf("never: %v", err)
		}
	})
	bad := map[string]func(p *central.TierPolicy){
		"EmptyOrdering":      func(p *central.TierPolicy) { p.Ordering = nil },
		"DuplicateTier":      func(p *central.TierPolicy) { p.Ordering = append(p.Ordering, "gold") },
		"BadTierName":        func(p *central.TierPolicy) { p.Ordering[0] = "reg ular" },
		"UnmappedClass":      func(p *central.TierPolicy) { delete(p.Mapping, "small") },
		"MappedToUnlisted":   func(p *central.TierPolicy) { p.Mapping["big"] = "platinum" },
		"UnknownClass":       func(p *central.TierPolicy) { p.Mapping["huge"] = "vip" },
		"ExcludedClass":      func(p *central.TierPolicy) { p.Mapping["excluded"] = "vip" },
		"UnknownDowngrade":   func(p *central.TierPolicy) { p.Downgrade = "sometimes" },
		"NoGrace":            func(p *central.TierPolicy) { p.GraceDays = 0 },
		"GraceTooLong":       func(p *central.TierPolicy) { p.GraceDays = central.MaxTierGraceDays + 1 },
		"GraceWithoutPolicy": func(p *central.TierPolicy) { p.Downgrade = central.DowngradeNever },
	}
	for name, mutate := range bad {
		t.Run("Err"+name, func(t *testing.T) {
			p := central.DefaultTierPolicy()
			mutate(&p)
			if err := p.Validate(); central.ErrorCode(err) != central.EINVALID {
				t.Fatalf("Validate = %v, want %s", err, central.EINVALID)
			}
		})
	}
}

func TestNextTier(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	gold := central.TierState{Card: "c", Tier: "gold", Since: t0}
	tests := []struct {
		name     string
		p        central.TierPolicy
		prev     central.TierState
		computed string
		now      time.Time
		want     central.TierState
	}{
		{"NewCard", tierPolicy(central.DowngradeNever, 0), central.TierState{Card: "c"}, "silver", t0,
			central.TierState{Card: "c", Tier: "silver", Since: t0}},
		{"UpgradeAtOnce", tierPolicy(central.DowngradeNever, 0), gold, "vip", t0.Add(day),
			central.TierState{Card: "c", Tier: "vip", Since: t0.Add(day)}},
		{"SameKeepsSince", tierPolicy(central.DowngradeAtRecalculation, 0), gold, "gold", t0.Add(day), gold},
		{"NeverDowngrades", tierPolicy(central.DowngradeNever, 0), gold, "regular", t0.Add(day), gold},
		{"AtRecalculation", tierPolicy(central.DowngradeAtRecalculation, 0), gold, "silver", t0.Add(day),
			central.TierState{Card: "c", Tier: "silver", Since: t0.Add(day)}},
		{"GraceStarts", tierPolicy(central.DowngradeAfterGrace, 30), gold, "silver", t0.Add(day),
			central.TierState{Card: "c", Tier: "gold", Since: t0, DowngradePendingSince: t0.Add(day)}},
		{"GraceRuns", tierPolicy(central.DowngradeAfterGrace, 30),
			central.TierState{Card: "c", Tier: "gold", Since: t0, DowngradePendingSince: t0.Add(day)}, "silver", t0.Add(30 * day),
			central.TierState{Card: "c", Tier: "gold", Since: t0, DowngradePendingSince: t0.Add(day)}},
		{"GraceOver", tierPolicy(central.DowngradeAfterGrace, 30),
			central.TierState{Card: "c", Tier: "gold", Since: t0, DowngradePendingSince: t0.Add(day)}, "silver", t0.Add(31 * day),
			central.TierState{Card: "c", Tier: "silver", Since: t0.Add(31 * day)}},
		{"GraceCancelledByRecovery", tierPolicy(central.DowngradeAfterGrace, 30),
			central.TierState{Card: "c", Tier: "gold", Since: t0, DowngradePendingSince: t0.Add(day)}, "gold", t0.Add(40 * day), gold},
		{"FloorHolds", tierPolicy(central.DowngradeAtRecalculation, 0),
			central.TierState{Card: "c", Tier: "gold", Since: t0, Floor: "gold"}, "regular", t0.Add(day),
			central.TierState{Card: "c", Tier: "gold", Since: t0, Floor: "gold"}},
		{"FallsToFloor", tierPolicy(central.DowngradeAtRecalculation, 0),
			central.TierState{Card: "c", Tier: "vip", Since: t0, Floor: "silver"}, "regular", t0.Add(day),
			central.TierState{Card: "c", Tier: "silver", Since: t0.Add(day), Floor: "silver"}},
		{"UnlistedTierReplaced", tierPolicy(central.DowngradeNever, 0),
			central.TierState{Card: "c", Tier: "platinum", Since: t0}, "regular", t0.Add(day),
			central.TierState{Card: "c", Tier: "regular", Since: t0.Add(day)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := central.NextTier(tt.p, tt.prev, tt.computed, tt.now); got != tt.want {
				t.Errorf("NextTier = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestWithFloor(t *testing.T) {
	p := central.DefaultTierPolicy()
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	t.Run("OK", func(t *testing.T) {
		got, err := central.WithFloor(p, central.TierState{Card: "c", Tier: "silver", Since: t0}, "gold", t0.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if want := (central.TierState{Card: "c", Tier: "gold", Since: t0.Add(time.Hour), Floor: "gold"}); got != want {
			t.Errorf("WithFloor = %+v, want %+v", got, want)
		}
		got, err = central.WithFloor(p, got, "", t0.Add(2*time.Hour))
		if err != nil || got.Floor != "" || got.Tier != "gold" {
			t.Errorf("remove floor = %+v, %v; want gold kept, no floor", got, err)
		}
	})
	t.Run("ErrUnknownTier", func(t *testing.T) {
		if _, err := central.WithFloor(p, central.TierState{}, "platinum", t0); central.ErrorCode(err) != central.EINVALID {
			t.Fatalf("WithFloor = %v, want %s", err, central.EINVALID)
		}
	})
}

func TestTierPolicy_ClassTier(t *testing.T) {
	p := central.DefaultTierPolicy()
	for class, want := range map[string]string{"vip": "vip", "big": "gold", "ordinary": "silver", "small": "regular",
		"excluded": "regular", "": "regular"} {
		if got := p.ClassTier(class); got != want {
			t.Errorf("ClassTier(%q) = %q, want %q", class, got, want)
		}
	}
}
