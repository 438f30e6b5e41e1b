package central

import (
	"cmp"
	"context"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"
)

// Periods of Reports.SalesByPeriod.
const (
	PeriodDay  = "day"
	PeriodHour = "hour"
)

// DefaultReportTimeZone is the chain's time zone when the config names
// none: the periods of the sales and member reports are its days, hours
// and months.
const DefaultReportTimeZone = "Asia/Shanghai"

// DefaultPointValueFenPer100 is what 100 points are worth in fen when the
// config names no value: 1 fen per point.
const DefaultPointValueFenPer100 = 100

// MaxPointValueFenPer100 bounds the point value (10 yuan per point), far
// above any programme and far from overflowing the liability arithmetic.
const MaxPointValueFenPer100 = 100_000

// BreakageMonths is the window over which PointsLiability observes the
// expiry (breakage) rate: the 12 months before the report.
const BreakageMonths = 12

// MaxReportRange bounds to − from of a report: the stores aggregate per
// hour and store, so a range bounds the rows a report reads.
const MaxReportRange = 3 * 366 * 24 * time.Hour

// bpScale is 100 % in basis points.
const bpScale = 10_000

// Reports are HQ's aggregate reports over central's database (issue 6).
// Ranges are half-open, [from, to); a sale's time is its agent wall time,
// a points entry's time its At. Implementations are safe for concurrent
// use. Each method fails with EINVALID for bad arguments (CheckReportRange,
// CheckPeriod, a nil location, a point value outside 0..
// MaxPointValueFenPer100).
type Reports interface {
	// SalesByPeriod returns the sales and their total per store and local
	// day or hour (by is PeriodDay or PeriodHour) of loc, ordered by store
	// id then period start; periods without sales are left out. Sales are
	// gross: returns are not subtracted. See RollupSales for zones whose
	// offset is not a whole hour.
	SalesByPeriod(ctx context.Context, from, to time.Time, by string, loc *time.Location) ([]PeriodSales, error)
	// MemberContribution returns, per store and local month of loc, the
	// sales of member cards against all sales (gross), ordered by store
	// id then month; months without sales are left out.
	MemberContribution(ctx context.Context, from, to time.Time, loc *time.Location) ([]MemberContribution, error)
	// PointsLiability values the points outstanding now at
	// pointValueFenPer100 fen per 100 points, less the breakage observed
	// over the BreakageMonths before now (see NewPointsLiability).
	PointsLiability(ctx context.Context, now time.Time, pointValueFenPer100 int64) (PointsLiability, error)
	// RedemptionRate returns the points redeemed against the points
	// earned by entries in [from, to) (see NewRedemptionRate).
	RedemptionRate(ctx context.Context, from, to time.Time) (RedemptionRate, error)
}

// HourSales is one store's sales in one UTC hour, as the stores aggregate
// them in SQL before RollupSales and RollupMemberContribution turn them
// into local periods.
type HourSales struct {
	StoreID string
	// Hour is the start of the UTC hour.
	Hour        time.Time
	Sales       int64
	TotalFen    int64
	MemberSales int64 // sales that carried a member card
	MemberFen   int64
}

// PeriodSales is one store's sales in one local day or hour.
type PeriodSales struct {
	StoreID string
	// Start is the period's start in the report's location.
	Start    time.Time
	Sales    int64
	TotalFen int64
}

// MemberContribution is one store's member sales in one local month.
type MemberContribution struct {
	StoreID string
	// Month is the first instant of the month in the report's location.
	Month       time.Time
	Sales       int64
	TotalFen    int64
	MemberSales int64
	MemberFen   int64
	// RateBP is MemberFen ÷ TotalFen in basis points (RateBP); 0 when
	// TotalFen is not positive.
	RateBP int64
}

// PointsLiability is what the points members hold are worth to the chain
// (IFRS 15: a material right, less expected breakage).
type PointsLiability struct {
	AsOf time.Time
	// OutstandingPoints is the sum of the balances (all entries, pending
	// points included) of the cards whose balance is positive; Cards
	// counts them. Cards in debt do not offset it: their debt is not a
	// claim the chain holds against other members.
	OutstandingPoints int64
	Cards             int64
	// PointValueFenPer100 is the value of 100 points in fen.
	PointValueFenPer100 int64
	// BreakageFrom..AsOf is the window the breakage rate is observed over.
	BreakageFrom time.Time
	// ExpiredPoints and RedeemedPoints are the points that expired and
	// that were redeemed in the window (as positive numbers).
	ExpiredPoints  int64
	RedeemedPoints int64
	// BreakageBP is ExpiredPoints ÷ (ExpiredPoints + RedeemedPoints) in
	// basis points; 0 when neither happened.
	BreakageBP int64
	// GrossFen is OutstandingPoints at full value; LiabilityFen is it
	// less breakage. Both are rounded to the nearest fen, halves up.
	GrossFen     int64
	LiabilityFen int64
}

// RedemptionRate is how much of what members earned they spent.
type RedemptionRate struct {
	From, To time.Time
	// EarnedPoints is the sum of earn entries; RedeemedPoints of redeem
	// entries, as a positive number. Both are gross: returns' reversals
	// (reverse_earn, refund_redeem) are not netted, so a period's rate does
	// not change when a return arrives later.
	EarnedPoints   int64
	RedeemedPoints int64
	// RateBP is RedeemedPoints ÷ EarnedPoints in basis points; 0 when
	// nothing was earned. It may exceed 10000 (points earned earlier).
	RateBP int64
}

// CheckReportRange returns an EINVALID error unless from is before to, to
// − from is at most MaxReportRange and from is not before the Unix epoch
// (the stores bucket milliseconds since it by integer division).
func CheckReportRange(from, to time.Time) error {
	switch {
	case from.UnixMilli() < 0:
		return Errorf(EINVALID, "from %s is before 1970", from.Format(time.RFC3339))
	case !from.Before(to):
		return Errorf(EINVALID, "from %s is not before to %s", from.Format(time.RFC3339), to.Format(time.RFC3339))
	case to.Sub(from) > MaxReportRange:
		return Errorf(EINVALID, "from %s to %s is longer than %d days", from.Format(time.RFC3339),
			to.Format(time.RFC3339), MaxReportRange/(24*time.Hour))
	}
	return nil
}

// CheckPeriod returns an EINVALID error unless by is PeriodDay or
// PeriodHour.
func CheckPeriod(by string) error {
	if by != PeriodDay && by != PeriodHour {
		return Errorf(EINVALID, "by %q: use %s or %s", by, PeriodDay, PeriodHour)
	}
	return nil
}

// CheckLocalReport checks the arguments of SalesByPeriod (by "" skips the
// period) and MemberContribution.
func CheckLocalReport(from, to time.Time, by string, loc *time.Location) error {
	if loc == nil {
		return Errorf(EINVALID, "no report time zone")
	}
	if by != "" {
		if err := CheckPeriod(by); err != nil {
			return err
		}
	}
	return CheckReportRange(from, to)
}

// RollupSales sums UTC hours into loc's days or hours (by), ordered by
// store id then period start. An hour is put in the local period its start
// falls in. For zones whose offset is a whole number of hours (the chain
// default, +08:00) UTC hours are exactly local hours; in a zone with a
// half-hour offset each bucket is a UTC hour, labelled with its local start
// (e.g. 23:30), and a day holds the UTC hours that start in it.
func RollupSales(hours []HourSales, by string, loc *time.Location) []PeriodSales {
	type key struct {
		store string
		start int64
	}
	sums := map[key]*PeriodSales{}
	for _, h := range hours {
		start := h.Hour.In(loc)
		if by == PeriodDay {
			start = startOfDay(start)
		}
		k := key{h.StoreID, start.UnixMilli()}
		p := sums[k]
		if p == nil {
			p = &PeriodSales{StoreID: h.StoreID, Start: start}
			sums[k] = p
		}
		p.Sales += h.Sales
		p.TotalFen += h.TotalFen
	}
	out := make([]PeriodSales, 0, len(sums))
	for _, p := range sums {
		out = append(out, *p)
	}
	slices.SortFunc(out, func(a, b PeriodSales) int {
		return cmp.Or(strings.Compare(a.StoreID, b.StoreID), a.Start.Compare(b.Start))
	})
	return out
}

// RollupMemberContribution sums UTC hours into loc's months, ordered by
// store id then month, with each month's rate (bucketing as RollupSales).
func RollupMemberContribution(hours []HourSales, loc *time.Location) []MemberContribution {
	type key struct {
		store string
		month int64
	}
	sums := map[key]*MemberContribution{}
	for _, h := range hours {
		t := h.Hour.In(loc)
		month := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, loc)
		k := key{h.StoreID, month.UnixMilli()}
		m := sums[k]
		if m == nil {
			m = &MemberContribution{StoreID: h.StoreID, Month: month}
			sums[k] = m
		}
		m.Sales += h.Sales
		m.TotalFen += h.TotalFen
		m.MemberSales += h.MemberSales
		m.MemberFen += h.MemberFen
	}
	out := make([]MemberContribution, 0, len(sums))
	for _, m := range sums {
		m.RateBP = RateBP(m.MemberFen, m.TotalFen)
		out = append(out, *m)
	}
	slices.SortFunc(out, func(a, b MemberContribution) int {
		return cmp.Or(strings.Compare(a.StoreID, b.StoreID), a.Month.Compare(b.Month))
	})
	return out
}

// startOfDay is local midnight of t's day in t's location.
func startOfDay(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location())
}

// BreakageFrom is the start of the breakage window ending at now.
func BreakageFrom(now time.Time) time.Time { return now.AddDate(0, -BreakageMonths, 0) }

// NewPointsLiability computes the liability from the stores' sums, with
// integer arithmetic only:
//
//	BreakageBP   = round(expired × 10000 ÷ (expired + redeemed))
//	GrossFen     = round(outstanding × value ÷ 100)
//	LiabilityFen = round(outstanding × value × (10000 − BreakageBP) ÷ 1,000,000)
//
// where value is fen per 100 points and round is to the nearest integer,
// halves up. LiabilityFen is computed from the points, not from GrossFen,
// so it is rounded once. It fails with EINVALID for a value outside 0..
// MaxPointValueFenPer100 or negative sums.
func NewPointsLiability(asOf time.Time, outstanding, cards, expired, redeemed, valueFenPer100 int64) (PointsLiability, error) {
	if valueFenPer100 < 0 || valueFenPer100 > MaxPointValueFenPer100 {
		return PointsLiability{}, Errorf(EINVALID, "point value %d fen per 100 points: want 0 to %d",
			valueFenPer100, MaxPointValueFenPer100)
	}
	if outstanding < 0 || cards < 0 || expired < 0 || redeemed < 0 {
		return PointsLiability{}, Errorf(EINVALID, "negative points sums (outstanding %d, expired %d, redeemed %d)",
			outstanding, expired, redeemed)
	}
	l := PointsLiability{AsOf: asOf, OutstandingPoints: outstanding, Cards: cards,
		PointValueFenPer100: valueFenPer100, BreakageFrom: BreakageFrom(asOf),
		ExpiredPoints: expired, RedeemedPoints: redeemed}
	l.BreakageBP = RateBP(expired, expired+redeemed)
	l.GrossFen = mulDivRound(outstanding, valueFenPer100, 100)
	l.LiabilityFen = mulDivRound(outstanding, valueFenPer100*(bpScale-l.BreakageBP), 100*bpScale)
	return l, nil
}

// NewRedemptionRate is the rate of redeemed to earned points.
func NewRedemptionRate(from, to time.Time, earned, redeemed int64) RedemptionRate {
	return RedemptionRate{From: from, To: to, EarnedPoints: earned, RedeemedPoints: redeemed,
		RateBP: RateBP(redeemed, earned)}
}

// RateBP is num ÷ den in basis points, rounded to the nearest, halves away
// from zero; 0 when den is not positive (no denominator, no rate).
func RateBP(num, den int64) int64 {
	if den <= 0 {
		return 0
	}
	return mulDivRound(num, bpScale, den)
}

// mulDivRound is a × b ÷ c rounded to the nearest integer, halves away from
// zero, for c > 0. It computes in big integers, since a × b of two int64
// sums may overflow; a result beyond int64 saturates (no report comes
// near it).
func mulDivRound(a, b, c int64) int64 {
	p := new(big.Int).Mul(big.NewInt(a), big.NewInt(b))
	neg := p.Sign() < 0
	p.Abs(p)
	div := big.NewInt(c)
	q, r := new(big.Int).QuoRem(p, div, new(big.Int))
	if r.Lsh(r, 1).Cmp(div) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	if !q.IsInt64() {
		q.SetInt64(1<<63 - 1)
	}
	if neg {
		return -q.Int64()
	}
	return q.Int64()
}

// FormatBP renders basis points as a percentage with two decimals
// ("12.34 %", "-0.05 %"), using integer arithmetic only.
func FormatBP(bp int64) string {
	sign := ""
	u := uint64(bp)
	if bp < 0 {
		sign, u = "-", uint64(-(bp+1))+1 // no overflow at math.MinInt64
	}
	return fmt.Sprintf("%s%d.%02d %%", sign, u/100, u%100)
}

// HourSource reads sales aggregated per store and UTC hour in [from, to):
// the one query each database implements for the sales reports.
type HourSource func(ctx context.Context, from, to time.Time) ([]HourSales, error)

// SalesByPeriodFrom is Reports.SalesByPeriod over a database's HourSource.
func SalesByPeriodFrom(ctx context.Context, hours HourSource, from, to time.Time, by string, loc *time.Location) ([]PeriodSales, error) {
	if err := CheckLocalReport(from, to, by, loc); err != nil {
		return nil, err
	}
	hs, err := hours(ctx, from, to)
	if err != nil {
		return nil, err
	}
	return RollupSales(hs, by, loc), nil
}

// MemberContributionFrom is Reports.MemberContribution over a database's
// HourSource.
func MemberContributionFrom(ctx context.Context, hours HourSource, from, to time.Time, loc *time.Location) ([]MemberContribution, error) {
	if err := CheckLocalReport(from, to, "", loc); err != nil {
		return nil, err
	}
	hs, err := hours(ctx, from, to)
	if err != nil {
		return nil, err
	}
	return RollupMemberContribution(hs, loc), nil
}
