package central

import (
	"cmp"
	"math"
	"slices"
	"time"
)

// Customer classification (DESIGN §6 CRM): the customer pyramid, RFM
// scores and segments, the income × spend value quadrant and ABC. Every
// classifier here is a pure function of a slice of MemberStats: the
// database computes the statistics, these functions only rank them, in
// O(n log n) with a handful of allocations per call (none per member), so
// a full reclassification of a million members is a matter of a second.
// Money is fen and shares are basis points (1 bp = 0.01 %); no floats.

// MemberStats is what the classifiers know of one member over the
// classification window. Every classifier returns a slice parallel to its
// input: result i is the class of member i.
type MemberStats struct {
	Card     string // mask it before logging (MaskCard)
	MemberID string
	// Staff and Test cards are excluded from every classification (their
	// class is the Excluded value of each classifier) and from the member
	// counts the shares are taken of (domain notes, segmentation practice).
	Staff, Test bool
	// Visits is the number of sales (receipts) in the window.
	Visits int64
	// SpendFen is the member's net spend in the window.
	SpendFen int64
	// LargestSaleFen is the member's largest single sale in the window.
	LargestSaleFen int64
	// LastPurchase is the time of the member's latest sale; the zero time
	// means never (the member ranks as the least recent).
	LastPurchase time.Time
	// IncomeBracket is the monthly income bracket the member declared at
	// enrollment; IncomeUnknown when they declared none.
	IncomeBracket IncomeBracket
	// AnnualSpendFen is the member's spend over the last year, the value
	// axis of the value quadrant.
	AnnualSpendFen int64
}

// Classified reports whether m takes part in classification: staff and
// test cards do not.
func (m *MemberStats) Classified() bool { return !m.Staff && !m.Test }

// IncomeBracket is a declared monthly income bracket, in rising order.
// The zero value, and any value outside IncomeUnder3000..IncomeOver20000,
// is unknown.
type IncomeBracket int8

// Income brackets; their text is the agent's enrollment form values.
const (
	IncomeUnknown     IncomeBracket = 0
	IncomeUnder3000   IncomeBracket = 1 // "<3000" yuan a month
	Income3000To8000  IncomeBracket = 2 // "3000-8000"
	Income8000To20000 IncomeBracket = 3 // "8000-20000"
	IncomeOver20000   IncomeBracket = 4 // ">20000"
)

var incomeText = [...]string{"", "<3000", "3000-8000", "8000-20000", ">20000"}

// Known reports whether b is one of the declared brackets.
func (b IncomeBracket) Known() bool { return b >= IncomeUnder3000 && b <= IncomeOver20000 }

// String returns the enrollment-form text of b, "" when b is unknown.
func (b IncomeBracket) String() string {
	if !b.Known() {
		return ""
	}
	return incomeText[b]
}

// ParseIncomeBracket returns the bracket whose enrollment-form text is s
// (as the agent's enrollment accepts it), or IncomeUnknown for "" and for
// any other text: an undeclared income is not an error.
func ParseIncomeBracket(s string) IncomeBracket {
	for b := IncomeUnder3000; b <= IncomeOver20000; b++ {
		if incomeText[b] == s {
			return b
		}
	}
	return IncomeUnknown
}

// ClassifyOptions are the settings of every classifier.
type ClassifyOptions struct {
	Pyramid  PyramidOptions
	Quadrant QuadrantOptions
	ABC      ABCOptions
}

// DefaultClassifyOptions returns the defaults of every classifier.
func DefaultClassifyOptions() ClassifyOptions {
	return ClassifyOptions{
		Pyramid:  DefaultPyramidOptions(),
		Quadrant: DefaultQuadrantOptions(),
		ABC:      DefaultABCOptions(),
	}
}

// Validate returns an EINVALID *Error naming the first bad setting, or nil.
func (o ClassifyOptions) Validate() error {
	if err := o.Pyramid.Validate(); err != nil {
		return err
	}
	if err := o.Quadrant.Validate(); err != nil {
		return err
	}
	return o.ABC.Validate()
}

// Classification is every class of one member.
type Classification struct {
	Pyramid  PyramidClass
	RFM      RFMScore
	Quadrant Quadrant
	ABC      ABCClass
}

// Classify runs all four classifiers over members as of asOf (the end of
// the window, for recency) and returns one Classification per member, in
// input order. It returns an EINVALID *Error when o is invalid. It sorts
// one shared scratch slice, so it allocates a fixed few slices whatever
// the number of members.
func Classify(members []MemberStats, asOf time.Time, o ClassifyOptions) ([]Classification, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	buf := make([]ranked, 0, len(members))
	pyramid := make([]PyramidClass, len(members))
	buf = pyramidInto(pyramid, members, o.Pyramid, buf)
	rfm := make([]RFMScore, len(members))
	buf = rfmInto(rfm, members, asOf, buf)
	abc := make([]ABCClass, len(members))
	abcInto(abc, members, o.ABC, buf)
	out := make([]Classification, len(members))
	for i := range members {
		out[i] = Classification{Pyramid: pyramid[i], RFM: rfm[i], Quadrant: QuadrantOf(&members[i], o.Quadrant), ABC: abc[i]}
	}
	return out, nil
}

// ranked is a classified member's sort key and its index in the input.
// Sorting these compact pairs, not the members, keeps the sort in cache.
type ranked struct {
	key int64
	idx int
}

// rankDesc fills buf (reused from its start) with the key of every
// classified member and sorts it by key, highest first. The order within
// equal keys is unspecified: callers treat a run of equal keys as one.
func rankDesc(buf []ranked, members []MemberStats, key func(*MemberStats) int64) []ranked {
	buf = buf[:0]
	for i := range members {
		if m := &members[i]; m.Classified() {
			buf = append(buf, ranked{key: key(m), idx: i})
		}
	}
	slices.SortFunc(buf, func(a, b ranked) int { return cmp.Compare(b.key, a.key) })
	return buf
}

// tieEnd returns the end (exclusive) of the run of keys equal to s[i].key.
func tieEnd(s []ranked, i int) int {
	j := i + 1
	for j < len(s) && s[j].key == s[i].key {
		j++
	}
	return j
}

// subSat returns a−b clamped to the int64 range, so that no member
// statistic, however wrong, can wrap a key around.
func subSat(a, b int64) int64 {
	d := a - b
	if (b > 0 && d > a) || (b < 0 && d < a) {
		if b > 0 {
			return math.MinInt64
		}
		return math.MaxInt64
	}
	return d
}

// checkShareBP returns an EINVALID *Error naming field unless bp is a
// share from 0 to 100 % in basis points.
func checkShareBP(field string, bp int64) error {
	if bp < 0 || bp > fullShareBP {
		return Errorf(EINVALID, "%s %d must be 0 to %d (basis points)", field, bp, fullShareBP)
	}
	return nil
}

// fullShareBP is 100 % in basis points.
const fullShareBP = 10_000
