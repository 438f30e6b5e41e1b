package central

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/bits"
	"strconv"
	"time"
)

// The year-end rebate (DESIGN §3, tillsync issue 6 item 6) gives each card
// a configured share of its spend over a calendar year, by the tier the
// card holds when the job runs, as one ledger entry per card and year.
//
// Spend is read from the monthly statistics buckets (memberstats.go),
// which are calendar months of the store's StatsZone (central runs them in
// reports.time_zone): the rebate year Y is the sum of a card's buckets
// 01..12 of Y, its spend between 1 January Y and 1 January Y+1 in that
// zone, so a sale at 00:30 on 1 January in Shanghai counts for the new
// year. YearEnd waits for the later of the local and the UTC new year, so
// that a store kept in UTC (the default of the store packages) also has
// its last bucket complete.
//
// The entry is of kind PointsAdjust with reason "year-end rebate <year>"
// rather than a kind of its own: a new kind would have to be taught to the
// lot replay (credit), the statistics, the HTTP API and every client, and
// an adjustment already is "points central grants with a reason".

// Rebate expiry rules: when the points a rebate posts expire.
const (
	// RebateExpiryNever: rebate points never expire.
	RebateExpiryNever = "never"
	// RebateExpiryEndOfNextYear: rebate points of year Y expire at the
	// end of year Y+1 (1 January Y+2 00:00 in the policy's Location), the
	// "end of the year after earning" of DESIGN §3.
	RebateExpiryEndOfNextYear = "end_of_next_year"
)

// Rebate bounds.
const (
	// DefaultFenPerPoint is one point per yuan.
	DefaultFenPerPoint = 100
	// MaxRebateRateBP bounds a rate: at most 100 % of spend.
	MaxRebateRateBP = 10_000
	// MaxFenPerPoint bounds RebatePolicy.FenPerPoint (one point per
	// million yuan).
	MaxFenPerPoint = 100_000_000
	// DefaultUntieredTier is the tier whose rate a card with no tier gets.
	DefaultUntieredTier = "regular"
)

// RebatePolicy says how much year-end rebate each card gets.
type RebatePolicy struct {
	// Year is the calendar year whose spend is rebated (1000..9999).
	Year int
	// RatesBP is each tier's rate in basis points of the year's spend
	// (100 = 1 %). A tier not listed gets no rebate.
	RatesBP map[string]int64
	// FenPerPoint is the spend, in fen, one point of rebate is worth:
	// points = floor(spend_fen × rate_bp / 10000 / fen_per_point).
	FenPerPoint int64
	// UntieredTier is the tier whose rate a card with no tier state
	// gets; "" gives such cards nothing.
	UntieredTier string
	// Location is the calendar the year ends in (YearEnd); nil is invalid.
	Location *time.Location
	// Expiry is one of the RebateExpiry... rules. Rebate points are
	// available at once.
	Expiry string
}

// DefaultRebatePolicy returns the policy for year: vip 2 %, gold 1.5 %,
// silver 1 %, regular 0.5 %, one point per yuan, cards with no tier rated
// as regular, Asia/Shanghai, expiring at the end of the next year.
func DefaultRebatePolicy(year int) (RebatePolicy, error) {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return RebatePolicy{}, fmt.Errorf("load time zone Asia/Shanghai: %w", err)
	}
	return RebatePolicy{
		Year:         year,
		RatesBP:      DefaultRebateRatesBP(),
		FenPerPoint:  DefaultFenPerPoint,
		UntieredTier: DefaultUntieredTier,
		Location:     loc,
		Expiry:       RebateExpiryEndOfNextYear,
	}, nil
}

// DefaultRebateRatesBP returns the default tiers' rates (DefaultTierPolicy):
// vip 2 %, gold 1.5 %, silver 1 %, regular 0.5 %, in basis points.
func DefaultRebateRatesBP() map[string]int64 {
	return map[string]int64{"vip": 200, "gold": 150, "silver": 100, "regular": 50}
}

// Validate returns an EINVALID *Error naming the first bad setting, or nil.
func (p RebatePolicy) Validate() error {
	switch {
	case p.Year < 1000 || p.Year > 9999:
		return Errorf(EINVALID, "rebate year %d: use a four-digit year", p.Year)
	case p.FenPerPoint < 1 || p.FenPerPoint > MaxFenPerPoint:
		return Errorf(EINVALID, "rebate.fen_per_point must be 1 to %d, not %d", MaxFenPerPoint, p.FenPerPoint)
	case p.Location == nil:
		return Errorf(EINVALID, "rebate location is not set (e.g. Asia/Shanghai)")
	case p.Expiry != RebateExpiryNever && p.Expiry != RebateExpiryEndOfNextYear:
		return Errorf(EINVALID, "rebate.expiry %q: use %s or %s", p.Expiry, RebateExpiryNever, RebateExpiryEndOfNextYear)
	case p.UntieredTier != "" && !validTierName(p.UntieredTier):
		return Errorf(EINVALID, "rebate.untiered_tier %q: a tier name is letters, digits, '.', '_' or '-'", p.UntieredTier)
	}
	if len(p.RatesBP) == 0 {
		return Errorf(EINVALID, "rebate.rates is empty: give each tier a rate in basis points")
	}
	for tier, bp := range p.RatesBP {
		if tier == "" || !validTierName(tier) {
			return Errorf(EINVALID, "rebate.rates %q: a tier name is letters, digits, '.', '_' or '-'", tier)
		}
		if bp < 0 || bp > MaxRebateRateBP {
			return Errorf(EINVALID, "rebate.rates.%s must be 0 to %d basis points, not %d", tier, MaxRebateRateBP, bp)
		}
	}
	return nil
}

// YearEnd is the first instant the policy's year counts as ended: the
// later of 1 January Year+1 00:00 in Location and in UTC: the buckets are
// months of the store's zone, which is Location when central runs it and
// UTC by default. p must be valid.
func (p RebatePolicy) YearEnd() time.Time {
	local := time.Date(p.Year+1, time.January, 1, 0, 0, 0, 0, p.Location)
	utc := time.Date(p.Year+1, time.January, 1, 0, 0, 0, 0, time.UTC)
	if local.After(utc) {
		return local.UTC()
	}
	return utc
}

// Months returns the first and last statistics bucket (yyyymm) of the year.
func (p RebatePolicy) Months() (first, last int) { return p.Year*100 + 1, p.Year*100 + 12 }

// CheckRun returns nil when the rebate of p may be posted at now: p is
// valid and its year has ended (YearEnd). Otherwise an EINVALID *Error.
func (p RebatePolicy) CheckRun(now time.Time) error {
	if err := p.Validate(); err != nil {
		return err
	}
	if end := p.YearEnd(); now.Before(end) {
		return Errorf(EINVALID, "year %d has not ended yet: the rebate can be posted from %s",
			p.Year, end.In(p.Location).Format(time.RFC3339))
	}
	return nil
}

// RatePoints returns the points spendFen earns at rateBP: floor(spend ×
// rate / 10000 / FenPerPoint), capped at MaxEntryPoints; 0 for spend or
// rate ≤ 0. The product is taken in 128 bits so no spend overflows.
func (p RebatePolicy) RatePoints(spendFen, rateBP int64) int64 {
	if spendFen <= 0 || rateBP <= 0 || p.FenPerPoint <= 0 {
		return 0
	}
	hi, lo := bits.Mul64(uint64(spendFen), uint64(rateBP))
	// hi < divisor always: spend < 2^63 and rate ≤ divisor, so Div64 cannot panic.
	q, _ := bits.Div64(hi, lo, uint64(MaxRebateRateBP)*uint64(p.FenPerPoint))
	return int64(min(q, uint64(MaxEntryPoints)))
}

// TierRate returns the rate of tier ("" for a card with no tier state,
// which gets UntieredTier's rate); 0 for a tier with no rate.
func (p RebatePolicy) TierRate(tier string) int64 {
	if tier == "" {
		tier = p.UntieredTier
	}
	return p.RatesBP[tier]
}

// RebateEntryID is the id of card's rebate entry for year: derived, so
// posting a year twice posts one entry per card. An id that would pass
// the 64-byte id limit uses a SHA-256 of the card instead, after a '~'
// where the short form has ':', so the two forms never meet.
func RebateEntryID(year int, card string) string {
	prefix := centralIDPrefix + "rebate:" + strconv.Itoa(year)
	if id := prefix + ":" + card; len(id) <= maxIDLen {
		return id
	}
	sum := sha256.Sum256([]byte(card))
	return prefix + "~" + hex.EncodeToString(sum[:20])
}

// RebateReason is the reason of the year's rebate entries.
func RebateReason(year int) string { return "year-end rebate " + strconv.Itoa(year) }

// RebateEntry returns card's rebate entry for spendFen at tier ("" for no
// tier), posted at now, and false when it would be of 0 points (nothing
// to post). p must be valid.
func (p RebatePolicy) RebateEntry(card, tier string, spendFen int64, now time.Time) (PointsEntry, bool) {
	pts := p.RatePoints(spendFen, p.TierRate(tier))
	if pts == 0 {
		return PointsEntry{}, false
	}
	e := PointsEntry{ID: RebateEntryID(p.Year, card), Kind: PointsAdjust, Points: pts, Card: card,
		At: now.UTC(), Reason: RebateReason(p.Year)}
	if p.Expiry == RebateExpiryEndOfNextYear {
		e.ExpiresAt = time.Date(p.Year+2, time.January, 1, 0, 0, 0, 0, p.Location).UTC()
	}
	return e, true
}

// RebateResult is what one PostYearEndRebate run did.
type RebateResult struct {
	Cards         int   // cards whose rebate entry this run posted
	Points        int64 // points those entries hold
	AlreadyPosted int   // cards whose rebate entry an earlier run posted
}

// RebateStore posts year-end rebates. Implementations are safe for
// concurrent use, also by several central instances sharing a database.
type RebateStore interface {
	// PostYearEndRebate posts, for every card with positive spend in
	// p.Year's statistics buckets, the entry p.RebateEntry gives it at
	// the tier it holds now, through the ledger's insert path (cached
	// balance and debt move with it), in batches of cards. An entry
	// already stored is left as it is and counted in AlreadyPosted, so a
	// second run posts nothing. It fails with EINVALID for an invalid p or
	// a year not ended at now (CheckRun), EUNAVAILABLE on a read-only
	// store; after a failure, running again completes the job.
	PostYearEndRebate(ctx context.Context, p RebatePolicy, now time.Time) (RebateResult, error)
}

// RebateBatchCards is how many cards a store posts per transaction.
const RebateBatchCards = 500
