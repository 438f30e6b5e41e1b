package central

import (
	"context"
	"fmt"
	"math/bits"
	"slices"
	"time"
)

// A classification run (tillsync issue 6) reads every card's statistics
// over a trailing window (MemberStatsStore.AllMemberStats), ranks them with
// Classify and stores the classes of every member as one run. Reports and
// the member view read the latest run; a run is never updated, and only
// the last few are kept, so a report never mixes two runs.

// DefaultKeepRuns is how many classification runs are kept when none is
// configured; MaxKeepRuns bounds it.
const (
	DefaultKeepRuns = 3
	MaxKeepRuns     = 100
)

// Classifier names, as report rows and CSV exports carry them.
const (
	ClassifierPyramid  = "pyramid"
	ClassifierSegment  = "segment"
	ClassifierQuadrant = "quadrant"
	ClassifierABC      = "abc"
)

// ClassificationRun describes one stored run.
type ClassificationRun struct {
	ID      int64     // assigned by the store, rising: the highest is the latest
	AsOf    time.Time // the end of the window (recency is measured to it)
	Months  int       // the statistics window, in calendar months
	Options ClassifyOptions
	// Members is the number of cards in the run, Excluded counts those
	// of them excluded as staff or test cards.
	Members  int64
	Excluded int64
}

// MemberClass is one card's classes in a run.
type MemberClass struct {
	RunID    int64
	Card     string // mask it before logging (MaskCard)
	MemberID string // "" when the ledger links no member to the card
	Classification
	// SpendFen is the card's net spend in the run's window, the spend the
	// report's shares are taken of.
	SpendFen int64
}

// ClassSize is one class of one classifier in a run: how many members it
// holds and their share of the run's window spend.
type ClassSize struct {
	Classifier string // one of the Classifier... names
	Class      string // the class's String(), "excluded" for staff and test cards
	Members    int64
	SpendFen   int64 // the members' window spend, negative spends counted as 0
	// SpendShareBP is SpendFen's share of the classifier's total in basis
	// points; the shares of one classifier sum to exactly 10000 (largest
	// remainder rounding), or are all 0 when no one spent anything.
	SpendShareBP int64
}

// ClassificationStore stores classification runs. Implementations are safe
// for concurrent use, also by several central instances sharing the
// database: saves are serialised, and a report reads one run.
type ClassificationStore interface {
	// SaveClassification stores run (its ID is ignored) and members, in
	// one transaction, as the new latest run, and in the same transaction
	// deletes every run but the keep latest (keep 0 means DefaultKeepRuns;
	// outside 0..MaxKeepRuns is EINVALID). It returns run with its ID.
	SaveClassification(ctx context.Context, run ClassificationRun, members []MemberClass, keep int) (ClassificationRun, error)
	// LatestRun returns the latest run, or an ENOTFOUND *Error when no
	// run is stored.
	LatestRun(ctx context.Context) (ClassificationRun, error)
	// ClassSizes returns the size and spend share of every class of every
	// classifier in run runID, as ClassSizesOf orders them, or an
	// ENOTFOUND *Error when no such run is stored.
	ClassSizes(ctx context.Context, runID int64) ([]ClassSize, error)
	// LatestMemberClass returns card's classes in the latest run, or an
	// ENOTFOUND *Error when no run is stored or card is not in it.
	LatestMemberClass(ctx context.Context, card string) (MemberClass, error)
}

// ClassificationOptions configure RunClassification.
type ClassificationOptions struct {
	Months   int // statistics window; 0 means DefaultStatsMonths
	Classify ClassifyOptions
	KeepRuns int // 0 means DefaultKeepRuns
	// ExcludedCards are staff and test cards besides those the member
	// master marks (Traits); they are stored in the run with the excluded
	// class of every classifier and take no place in any ranking or share
	// cut.
	ExcludedCards []string
	// Traits, when set, reads the member master's staff and test members
	// and declared incomes (MemberStore.MemberTraits). Keys opens the
	// incomes; without it every income counts as unknown.
	Traits func(ctx context.Context, fn func(MemberTrait) error) error
	Keys   *Keyring
}

// cardTrait is what the member master says of one card.
type cardTrait struct {
	excluded bool
	income   IncomeBracket
}

// memberTraits reads o.Traits into a map by card: only the members the
// master marks or knows an income of are in it.
func (o ClassificationOptions) memberTraits(ctx context.Context) (map[string]cardTrait, error) {
	out := map[string]cardTrait{}
	if o.Traits == nil {
		return out, nil
	}
	err := o.Traits(ctx, func(t MemberTrait) error {
		ct := cardTrait{excluded: t.Kind == MemberStaff || t.Kind == MemberTest}
		if t.Income != nil && o.Keys.Active() != "" {
			b, err := o.Keys.Open(t.MemberID, FieldIncome, t.Income)
			if err != nil {
				return fmt.Errorf("income of member %s: %w", t.MemberID, err)
			}
			ct.income = ParseIncomeBracket(string(b))
		}
		out[t.Card] = ct
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read member master: %w", err)
	}
	return out, nil
}

// Validate returns an EINVALID *Error naming the first bad setting, or nil.
func (o ClassificationOptions) Validate() error {
	if o.Months < 0 || o.Months > MaxStatsMonths {
		return Errorf(EINVALID, "classification months must be 1 to %d (0 for %d), not %d", MaxStatsMonths, DefaultStatsMonths, o.Months)
	}
	if err := CheckKeepRuns(o.KeepRuns); err != nil {
		return err
	}
	return o.Classify.Validate()
}

// CheckKeepRuns returns keep, with 0 meaning DefaultKeepRuns, or an
// EINVALID *Error when it is outside 0..MaxKeepRuns.
func CheckKeepRuns(keep int) error {
	if keep < 0 || keep > MaxKeepRuns {
		return Errorf(EINVALID, "classification keep_runs must be 1 to %d (0 for %d), not %d", MaxKeepRuns, DefaultKeepRuns, keep)
	}
	return nil
}

// RunClassification classifies every card with statistics as of now and
// stores the result as the new latest run, returning it. The statistics
// are streamed, but every member is held while ranking (about 150 bytes a
// member). It fails with EINVALID for bad options and with the stores'
// errors otherwise; nothing is stored then.
//
// Incomes come from the member master (o.Traits, opened with o.Keys): a
// member without one is in QuadrantUnknownIncome.
func RunClassification(ctx context.Context, stats MemberStatsStore, store ClassificationStore, now time.Time, o ClassificationOptions) (ClassificationRun, error) {
	if err := o.Validate(); err != nil {
		return ClassificationRun{}, err
	}
	w, err := NewStatsWindow(now, o.Months)
	if err != nil {
		return ClassificationRun{}, err
	}
	excluded := make(map[string]struct{}, len(o.ExcludedCards))
	for _, c := range o.ExcludedCards {
		excluded[c] = struct{}{}
	}
	traits, err := o.memberTraits(ctx)
	if err != nil {
		return ClassificationRun{}, fmt.Errorf("classify: %w", err)
	}
	run := ClassificationRun{AsOf: now, Months: w.Months, Options: o.Classify}
	var members []MemberStats
	err = stats.AllMemberStats(ctx, now, w.Months, func(a MemberActivity) error {
		m := a.ClassifierStats()
		tr := traits[m.Card]
		m.IncomeBracket = tr.income
		if _, ok := excluded[m.Card]; ok || tr.excluded {
			m.Test = true // Staff and Test are alike to every classifier
			run.Excluded++
		}
		members = append(members, m)
		return nil
	})
	if err != nil {
		return ClassificationRun{}, fmt.Errorf("classify: %w", err)
	}
	classes, err := Classify(members, now, o.Classify)
	if err != nil {
		return ClassificationRun{}, err
	}
	rows := make([]MemberClass, len(members))
	for i := range members {
		rows[i] = MemberClass{Card: members[i].Card, MemberID: members[i].MemberID, Classification: classes[i], SpendFen: members[i].SpendFen}
	}
	run.Members = int64(len(rows))
	saved, err := store.SaveClassification(ctx, run, rows, o.KeepRuns)
	if err != nil {
		return ClassificationRun{}, fmt.Errorf("save classification as of %s: %w", now.UTC().Format(time.RFC3339), err)
	}
	return saved, nil
}

// ClassNames returns the class names of classifier in report order (the
// excluded class first), or nil for an unknown classifier.
func ClassNames(classifier string) []string {
	switch classifier {
	case ClassifierPyramid:
		return pyramidText[:]
	case ClassifierSegment:
		return rfmText[:]
	case ClassifierQuadrant:
		return quadrantText[:]
	case ClassifierABC:
		return abcText[:]
	}
	return nil
}

// Classifiers returns the classifier names in report order.
func Classifiers() []string {
	return []string{ClassifierPyramid, ClassifierSegment, ClassifierQuadrant, ClassifierABC}
}

// ParseClassification returns the classification whose class names (as
// String returns them) are given, or an EINVALID *Error naming the first
// unknown one (a row written by a newer build).
func ParseClassification(pyramid, segment, quadrant, abc string, r, f, m uint8) (Classification, error) {
	var c Classification
	for _, p := range []struct {
		classifier, name string
		set              func(uint8)
	}{
		{ClassifierPyramid, pyramid, func(v uint8) { c.Pyramid = PyramidClass(v) }},
		{ClassifierSegment, segment, func(v uint8) { c.RFM.Segment = RFMSegment(v) }},
		{ClassifierQuadrant, quadrant, func(v uint8) { c.Quadrant = Quadrant(v) }},
		{ClassifierABC, abc, func(v uint8) { c.ABC = ABCClass(v) }},
	} {
		i := slices.Index(ClassNames(p.classifier), p.name)
		if i < 0 {
			return Classification{}, Errorf(EINVALID, "unknown %s class %q", p.classifier, p.name)
		}
		p.set(uint8(i))
	}
	c.RFM.R, c.RFM.F, c.RFM.M = r, f, m
	return c, nil
}

// ClassSizesOf returns every class of every classifier, in Classifiers and
// ClassNames order (classes with no member included, so exports keep their
// rows), from counted: the classes that hold members, with Members and
// SpendFen set, in any order. It fills in the spend shares and fails with
// EINVALID for a classifier or class it does not know.
func ClassSizesOf(counted []ClassSize) ([]ClassSize, error) {
	var out []ClassSize
	for _, classifier := range Classifiers() {
		first := len(out)
		for _, name := range ClassNames(classifier) {
			out = append(out, ClassSize{Classifier: classifier, Class: name})
		}
		for _, c := range counted {
			if c.Classifier != classifier {
				continue
			}
			i := slices.Index(ClassNames(classifier), c.Class)
			if i < 0 {
				return nil, Errorf(EINVALID, "unknown %s class %q", classifier, c.Class)
			}
			out[first+i].Members += c.Members
			out[first+i].SpendFen += max(c.SpendFen, 0)
		}
		spendShares(out[first:])
	}
	for _, c := range counted {
		if ClassNames(c.Classifier) == nil {
			return nil, Errorf(EINVALID, "unknown classifier %q", c.Classifier)
		}
	}
	return out, nil
}

// spendShares sets SpendShareBP of every size to its share of their total
// spend (each SpendFen ≥ 0) by the largest remainder method: the floors of
// the exact shares, plus one basis point to each of the largest
// remainders (earlier classes first on a tie) until they sum to 10000.
func spendShares(sizes []ClassSize) {
	var total uint64
	for _, s := range sizes {
		total += uint64(s.SpendFen)
	}
	if total == 0 {
		return
	}
	rems := make([]uint64, len(sizes))
	left := int64(fullShareBP)
	for i := range sizes {
		// spend ≤ total, so hi < total and Div64 cannot overflow; 128 bits
		// because spend × 10000 overflows int64 past 9×10^14 fen.
		hi, lo := bits.Mul64(uint64(sizes[i].SpendFen), fullShareBP)
		q, r := bits.Div64(hi, lo, total)
		sizes[i].SpendShareBP = int64(q)
		rems[i] = r
		left -= int64(q)
	}
	order := make([]int, len(sizes))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case rems[a] > rems[b]:
			return -1
		case rems[a] < rems[b]:
			return 1
		}
		return 0
	})
	for _, i := range order[:left] {
		sizes[i].SpendShareBP++
	}
}
