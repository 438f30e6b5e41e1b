package central

import (
	"context"
	"slices"
	"time"
)

// Member tiers (DESIGN §3, tillsync issue 6 item 5) are computed at
// central from the customer pyramid of a classification run, that is from
// spend and never from the current balance. A configured mapping names
// each pyramid class's tier; an upgrade applies at once, a downgrade per
// the downgrade policy, and a tier set by hand is a floor the card never
// falls below. Tiers reach the stores in the member records (Tier), where
// the till applies the policy's tier multiplier.

// Downgrade policies: when a card whose class falls keeps its tier.
const (
	// DowngradeNever keeps a tier once earned.
	DowngradeNever = "never"
	// DowngradeAtRecalculation lowers the tier at the run that finds the
	// lower class.
	DowngradeAtRecalculation = "at_recalculation"
	// DowngradeAfterGrace lowers the tier at the first run at least
	// GraceDays after the run that first found a lower class, if every
	// run in between found one too.
	DowngradeAfterGrace = "after_grace"
)

// MaxTierGraceDays bounds TierPolicy.GraceDays.
const MaxTierGraceDays = 3660

// TierPolicy says how pyramid classes become tiers.
type TierPolicy struct {
	// Mapping names the tier of each pyramid class by the class's name
	// ("vip", "big", "ordinary", "small"). Staff and test cards
	// ("excluded") and cards a run does not hold get the lowest tier.
	Mapping map[string]string
	// Ordering lists every tier, lowest first.
	Ordering []string
	// Downgrade is one of the Downgrade... policies.
	Downgrade string
	// GraceDays is the grace of DowngradeAfterGrace, in days of 24 hours.
	GraceDays int
}

// DefaultTierPolicy returns vip→vip, big→gold, ordinary→silver,
// small→regular, downgrades after a 30-day grace.
func DefaultTierPolicy() TierPolicy {
	return TierPolicy{
		Mapping: map[string]string{
			PyramidVIP.String(): "vip", PyramidBig.String(): "gold",
			PyramidOrdinary.String(): "silver", PyramidSmall.String(): "regular",
		},
		Ordering:  []string{"regular", "silver", "gold", "vip"},
		Downgrade: DowngradeAfterGrace,
		GraceDays: 30,
	}
}

// Validate returns an EINVALID *Error naming the first bad setting, or
// nil: every pyramid class maps to a tier of Ordering, Ordering lists
// distinct non-empty names, Downgrade is known and GraceDays is 1 to
// MaxTierGraceDays with after_grace (0 otherwise).
func (p TierPolicy) Validate() error {
	if len(p.Ordering) == 0 {
		return Errorf(EINVALID, "tiers.ordering is empty: list the tiers, lowest first")
	}
	for i, t := range p.Ordering {
		if t == "" || !validTierName(t) {
			return Errorf(EINVALID, "tiers.ordering %q: a tier name is letters, digits, '.', '_' or '-'", t)
		}
		if slices.Index(p.Ordering, t) != i {
			return Errorf(EINVALID, "tiers.ordering lists %q twice", t)
		}
	}
	for _, c := range []PyramidClass{PyramidVIP, PyramidBig, PyramidOrdinary, PyramidSmall} {
		t, ok := p.Mapping[c.String()]
		if !ok {
			return Errorf(EINVALID, "tiers.mapping has no tier for pyramid class %q", c.String())
		}
		if !slices.Contains(p.Ordering, t) {
			return Errorf(EINVALID, "tiers.mapping.%s %q is not in tiers.ordering", c.String(), t)
		}
	}
	for class := range p.Mapping {
		if c := slices.Index(pyramidText[:], class); c <= int(PyramidExcluded) {
			return Errorf(EINVALID, "tiers.mapping: unknown pyramid class %q (vip, big, ordinary, small)", class)
		}
	}
	switch p.Downgrade {
	case DowngradeNever, DowngradeAtRecalculation:
		if p.GraceDays != 0 {
			return Errorf(EINVALID, "tiers.grace_days %d is only used with tiers.downgrade %s", p.GraceDays, DowngradeAfterGrace)
		}
	case DowngradeAfterGrace:
		if p.GraceDays < 1 || p.GraceDays > MaxTierGraceDays {
			return Errorf(EINVALID, "tiers.grace_days must be 1 to %d with tiers.downgrade %s, not %d",
				MaxTierGraceDays, DowngradeAfterGrace, p.GraceDays)
		}
	default:
		return Errorf(EINVALID, "tiers.downgrade %q: use %s, %s or %s", p.Downgrade,
			DowngradeNever, DowngradeAtRecalculation, DowngradeAfterGrace)
	}
	return nil
}

// validTierName matches the agent's member import rule for tier names.
func validTierName(s string) bool {
	for _, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-'
		if !ok {
			return false
		}
	}
	return true
}

// ClassTier returns the tier a run gives pyramid class name ("" for a
// card the run does not hold): the mapped tier, or the lowest.
func (p TierPolicy) ClassTier(class string) string {
	if t, ok := p.Mapping[class]; ok {
		return t
	}
	return p.Ordering[0]
}

// rank is t's place in Ordering; -1 for "" or a tier no longer listed, so
// that any listed tier replaces it.
func (p TierPolicy) rank(t string) int { return slices.Index(p.Ordering, t) }

// TierState is one card's tier.
type TierState struct {
	Card string // mask it before logging (MaskCard)
	// Tier is the card's tier now, Since when it took it.
	Tier  string
	Since time.Time
	// Floor is the tier set by hand, "" for none.
	Floor string
	// DowngradePendingSince is the run that first found a lower tier
	// while DowngradeAfterGrace holds it; zero when none is pending.
	DowngradePendingSince time.Time
}

// NextTier returns the state after a run at now that gives the card
// tier computed (ClassTier): an equal or higher tier at once, a lower one
// per p.Downgrade, and never one below the floor. p must be valid.
func NextTier(p TierPolicy, prev TierState, computed string, now time.Time) TierState {
	next := prev
	next.DowngradePendingSince = time.Time{}
	target := computed
	if p.rank(computed) < p.rank(prev.Tier) {
		switch p.Downgrade {
		case DowngradeNever:
			target = prev.Tier
		case DowngradeAfterGrace:
			pending := prev.DowngradePendingSince
			if pending.IsZero() {
				pending = now
			}
			if now.Sub(pending) < time.Duration(p.GraceDays)*24*time.Hour {
				target, next.DowngradePendingSince = prev.Tier, pending
			}
		}
	}
	if p.rank(target) < p.rank(prev.Floor) {
		target = prev.Floor
		next.DowngradePendingSince = time.Time{} // the floor holds it, not the grace
	}
	if target != prev.Tier {
		next.Tier, next.Since = target, now
	}
	return next
}

// WithFloor returns prev with floor as its manual floor ("" removes it),
// raised at once to the floor when below it. It fails with EINVALID when
// floor is not a tier of p.Ordering.
func WithFloor(p TierPolicy, prev TierState, floor string, now time.Time) (TierState, error) {
	if floor != "" && p.rank(floor) < 0 {
		return TierState{}, Errorf(EINVALID, "tier %q is not one of %v", floor, p.Ordering)
	}
	next := prev
	next.Floor = floor
	if floor != "" && p.rank(prev.Tier) < p.rank(floor) {
		next.Tier, next.Since, next.DowngradePendingSince = floor, now, time.Time{}
	}
	return next, nil
}

// TierStore keeps every card's tier. Implementations are safe for
// concurrent use, also by several central instances sharing the database.
type TierStore interface {
	// ApplyTiers computes, in one transaction, the next state (NextTier)
	// of every card of run runID and of every card with a tier the run
	// does not hold (which gets the lowest tier computed), and writes the
	// changed ones. It returns how many cards changed tier. It fails with
	// EINVALID for an invalid p and ENOTFOUND when no run runID exists.
	ApplyTiers(ctx context.Context, runID int64, p TierPolicy, now time.Time) (TierChanges, error)
	// SetTierFloor sets card's manual floor (WithFloor; "" removes it),
	// creating the card's state when it has none, and returns the state.
	SetTierFloor(ctx context.Context, card, floor string, p TierPolicy, now time.Time) (TierState, error)
	// Tier returns card's state, or an ENOTFOUND *Error when it has none.
	Tier(ctx context.Context, card string) (TierState, error)
}

// TierChanges counts what ApplyTiers did.
type TierChanges struct {
	Cards    int64 // states computed
	Upgrades int64 // cards whose tier rose
	Lowered  int64 // cards whose tier fell
	Pending  int64 // cards with a downgrade pending after the run
}

// Count adds the change from prev to next to c.
func (c *TierChanges) Count(p TierPolicy, prev, next TierState) {
	c.Cards++
	switch r0, r1 := p.rank(prev.Tier), p.rank(next.Tier); {
	case r1 > r0:
		c.Upgrades++
	case r1 < r0:
		c.Lowered++
	}
	if !next.DowngradePendingSince.IsZero() {
		c.Pending++
	}
}
