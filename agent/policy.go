package agent

import (
	"context"
	"time"
)

// Policy is the chain's loyalty and offline policy as the store holds it.
// All rates are integers: multipliers in hundredths (100 = ×1), money in
// fen, points as points.
type Policy struct {
	Version uint64
	// Location names the time zone for day boundaries (daily caps, expiry
	// at the end of a day/month/year), e.g. "Asia/Shanghai".
	Location string

	// Earning: EarnPoints points per EarnPerFen fen of eligible spend,
	// rounded per transaction by Rounding.
	EarnPoints int64
	EarnPerFen int64
	Rounding   Rounding
	// TierMultipliers by tier name; a tier not listed earns ×1.
	TierMultipliers map[string]int64
	// CategoryMultipliers by category; ExcludedCategories earn nothing.
	CategoryMultipliers map[string]int64
	ExcludedCategories  []string
	ExcludedSKUs        []string
	Promotions          []Promotion

	// Returns and pending points: earned points stay pending for
	// PendingDays after the sale (normally the return window).
	ReturnWindowDays int
	PendingDays      int
	Expiry           ExpiryRule

	// Redeeming.
	// OfflineDailyCap is the most points one member may redeem per store
	// per day while the store cannot ask central (DESIGN §3).
	OfflineDailyCap int64
	// PointsTenderFen / PointsTenderPoints: PointsTenderPoints points pay
	// PointsTenderFen fen (e.g. 100 points = 100 fen). Tender in points is
	// always a whole number of such units.
	PointsTenderPoints int64
	PointsTenderFen    int64
	Rewards            []Reward

	// CardPatterns recognise membership cards in scanner data.
	CardPatterns []CardPattern
	// Weighed goods barcodes (GS1 restricted circulation, prefixes 20–29).
	WeighedLayouts []WeighedLayout

	// EnrollQualifyingFen is the smallest purchase that qualifies a
	// shopper to enroll at the till right after it (its points credited).
	EnrollQualifyingFen int64
	// EnrollWithinMinutes is how soon after that purchase enrollment must
	// happen to credit it.
	EnrollWithinMinutes int
	// OfflineWarnAfterHours: the till warns once the oldest unsynced sale
	// is older than this.
	OfflineWarnAfterHours int
}

// Rounding says how a transaction's fractional points are rounded.
type Rounding string

// Rounding modes. DESIGN §3 uses floor: a member never gets a point they
// did not fully earn.
const (
	RoundFloor  Rounding = "floor"
	RoundHalfUp Rounding = "half_up"
)

// Promotion multiplies points on matching lines between Start
// (inclusive) and End (exclusive). Empty SKUs and Categories match every
// line; empty Tiers matches every member.
type Promotion struct {
	ID         string
	Name       string
	Start, End time.Time
	SKUs       []string
	Categories []string
	Tiers      []string
	Multiplier int64 // hundredths
}

// ExpiryRule says when earned points expire.
type ExpiryRule struct {
	Kind ExpiryKind
	// Days for ExpiryAfterDays.
	Days int
}

// ExpiryKind names an expiry scheme in use in the trade.
type ExpiryKind string

// Expiry schemes. Expiry is at the end (23:59:59.999) of the day in
// Policy.Location, so "end of year" means the last instant of 31 Dec.
const (
	ExpiryNever         ExpiryKind = "never"
	ExpiryAfterDays     ExpiryKind = "after_days"       // N days after earning
	ExpiryEndOfMonth    ExpiryKind = "end_of_month"     // end of the month earned
	ExpiryEndOfYear     ExpiryKind = "end_of_year"      // end of the year earned
	ExpiryEndOfNextYear ExpiryKind = "end_of_next_year" // end of the year after earning
)

// Reward is a gift a member can take for points.
type Reward struct {
	ID      string
	GiftSKU string
	Name    string
	Points  int64
}

// CardPattern recognises a membership card number. Every non-empty
// condition must hold.
type CardPattern struct {
	Name   string
	Prefix string
	Length int    // 0: any
	Regexp string // Go RE2 syntax, anchored by the matcher
	Luhn   bool   // last digit is a Luhn check digit
}

// WeighedLayout is one layout of restricted-circulation EAN-13 barcodes:
// the two-digit GS1 prefix (a Prefix of "2" matches all of 20–29), an
// item code, an optional price check digit and an embedded price (fen) or
// weight (grams), then the EAN-13 check digit — e.g. "21" + 5-digit item
// + 5-digit weight + check digit.
type WeighedLayout struct {
	Prefix      string // "2", "20".."29"
	ItemDigits  int    // digits of item code after the prefix
	ValueDigits int    // digits of the embedded value before the check digit
	Value       WeighedValue
	// PriceCheckDigit: one digit between item and value is a price check
	// digit (GS1 General Specifications §7.9.3, 4- or 5-digit price).
	PriceCheckDigit bool
}

// WeighedValue says what a restricted-circulation barcode embeds.
type WeighedValue string

// Embedded values.
const (
	WeighedPrice  WeighedValue = "price_fen"
	WeighedWeight WeighedValue = "weight_g"
)

// Policies is the store's copy of the policy.
type Policies interface {
	// CurrentPolicy returns the policy held, or an EUNAVAILABLE *Error if
	// none was ever loaded.
	CurrentPolicy(ctx context.Context) (*Policy, error)
}
