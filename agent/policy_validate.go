package agent

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// maxMultiplier bounds every multiplier (hundredths): ×100 is far beyond
// any real promotion and keeps the earn arithmetic small.
const maxMultiplier = 10_000

// policyProblems collects validation findings so one error names every bad field
// at once (a config author fixes them in one pass).
type policyProblems []string

func (ps *policyProblems) add(format string, args ...any) {
	*ps = append(*ps, fmt.Sprintf(format, args...))
}

// Validate checks p and returns an EINVALID *Error naming every bad field
// (by its config key and value), or nil. A policy that passes is safe for
// every rule in this package: no division by zero, no unknown mode, every
// time zone, pattern and barcode layout usable.
func (p *Policy) Validate() error {
	var ps policyProblems
	p.validateEarning(&ps)
	p.validatePromotions(&ps)
	p.validatePeriods(&ps)
	p.validateRedeeming(&ps)
	p.validateCardPatterns(&ps)
	p.validateWeighedLayouts(&ps)
	if len(ps) > 0 {
		return Errorf(EINVALID, "policy: %s", strings.Join(ps, "; "))
	}
	return nil
}

func (p *Policy) validateEarning(ps *policyProblems) {
	if p.EarnPerFen <= 0 {
		ps.add("earn_per_fen: %d must be more than 0", p.EarnPerFen)
	}
	if p.EarnPoints < 0 {
		ps.add("earn_points: %d must not be negative", p.EarnPoints)
	}
	switch p.Rounding {
	case "", RoundFloor, RoundHalfUp:
	default:
		ps.add("rounding: %q is not %q or %q", p.Rounding, RoundFloor, RoundHalfUp)
	}
	validateMultipliers(ps, "tier_multipliers", p.TierMultipliers)
	validateMultipliers(ps, "category_multipliers", p.CategoryMultipliers)
	if _, err := time.LoadLocation(p.Location); err != nil {
		ps.add("location: %q is not a known time zone (e.g. Asia/Shanghai)", p.Location)
	}
}

func validateMultipliers(ps *policyProblems, key string, m map[string]int64) {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names) // deterministic message
	for _, k := range names {
		if v := m[k]; v < 0 || v > maxMultiplier {
			ps.add("%s[%s]: %d is out of range (0 to %d hundredths)", key, k, v, maxMultiplier)
		}
	}
}

func (p *Policy) validatePromotions(ps *policyProblems) {
	for i, pr := range p.Promotions {
		key := fmt.Sprintf("promotions[%d]", i)
		if !pr.End.After(pr.Start) {
			ps.add("%s.end: %s must be after start %s", key, pr.End.Format(time.RFC3339), pr.Start.Format(time.RFC3339))
		}
		if pr.Multiplier <= 0 || pr.Multiplier > maxMultiplier {
			ps.add("%s.multiplier: %d is out of range (1 to %d hundredths)", key, pr.Multiplier, maxMultiplier)
		}
	}
}

func (p *Policy) validatePeriods(ps *policyProblems) {
	if p.PendingDays < 0 {
		ps.add("pending_days: %d must not be negative", p.PendingDays)
	}
	if p.ReturnWindowDays < 0 {
		ps.add("return_window_days: %d must not be negative", p.ReturnWindowDays)
	}
	switch p.Expiry.Kind {
	case "", ExpiryNever, ExpiryEndOfMonth, ExpiryEndOfYear, ExpiryEndOfNextYear:
	case ExpiryAfterDays:
		if p.Expiry.Days <= 0 {
			ps.add("expiry.days: %d must be more than 0 for %s", p.Expiry.Days, ExpiryAfterDays)
		}
	default:
		ps.add("expiry.kind: %q is not one of %s, %s, %s, %s, %s", p.Expiry.Kind,
			ExpiryNever, ExpiryAfterDays, ExpiryEndOfMonth, ExpiryEndOfYear, ExpiryEndOfNextYear)
	}
}

func (p *Policy) validateRedeeming(ps *policyProblems) {
	if p.OfflineDailyCap < 0 {
		ps.add("offline_daily_cap: %d must not be negative", p.OfflineDailyCap)
	}
	if p.PointsTenderPoints < 0 || p.PointsTenderFen < 0 || (p.PointsTenderPoints == 0) != (p.PointsTenderFen == 0) {
		ps.add("points_tender_points, points_tender_fen: %d and %d must both be more than 0 (points tender on) or both 0 (off)",
			p.PointsTenderPoints, p.PointsTenderFen)
	}
	seen := make(map[string]bool, len(p.Rewards))
	for i, r := range p.Rewards {
		key := fmt.Sprintf("rewards[%d]", i)
		switch {
		case r.ID == "":
			ps.add("%s.id: is required", key)
		case seen[r.ID]:
			ps.add("%s.id: %q is used by an earlier reward", key, r.ID)
		}
		seen[r.ID] = true
		if r.Points <= 0 {
			ps.add("%s.points: %d must be more than 0", key, r.Points)
		}
	}
}

func (p *Policy) validateCardPatterns(ps *policyProblems) {
	for i, c := range p.CardPatterns {
		key := fmt.Sprintf("card_patterns[%d]", i)
		if c.Length < 0 {
			ps.add("%s.length: %d must not be negative", key, c.Length)
		}
		if c.Regexp == "" {
			continue
		}
		if _, err := regexp.Compile(c.Regexp); err != nil {
			ps.add("%s.regexp: %q does not compile: %v", key, c.Regexp, err)
		}
	}
}

// validateWeighedLayouts checks restricted-circulation EAN-13 layouts
// (GS1 General Specifications §2.1.11.1, prefixes 20–29) with the same
// rule the scanner path decodes them by (barcode.RestrictedLayout): the
// item code starts after the two-digit GS1 prefix even when the layout's
// prefix is just "2" (all of 20–29), and prefix, item, optional price
// check digit (§7.9.3, only for 4- or 5-digit values), value and check
// digit fill the 13 digits exactly.
func (p *Policy) validateWeighedLayouts(ps *policyProblems) {
	for i, l := range p.WeighedLayouts {
		key := fmt.Sprintf("weighed_layouts[%d]", i)
		if len(l.Prefix) > 2 {
			ps.add("%s.prefix: %q must be \"2\" or two digits 20 to 29", key, l.Prefix)
		}
		if err := weighedLayout(l).Validate(); err != nil {
			ps.add("%s: %v", key, err)
		}
		switch l.Value {
		case WeighedPrice, WeighedWeight:
		default:
			ps.add("%s.value: %q is not %q or %q", key, l.Value, WeighedPrice, WeighedWeight)
		}
	}
}

// Loc returns the policy's time zone for day boundaries. An empty or
// unknown Location gives UTC (Validate reports an unknown one), so a bad
// policy never stops the till.
func (p *Policy) Loc() *time.Location {
	loc, err := time.LoadLocation(p.Location)
	if err != nil {
		return time.UTC
	}
	return loc
}
