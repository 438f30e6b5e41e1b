package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tillsync/tillsync/central"
	"github.com/tillsync/tillsync/syncproto"
)

// classCard is the card of member k of the classification population.
func classCard(k int) string { return fmt.Sprintf("62010000000000%02d", k) }

// classStaffCard is a staff card in the population: excluded by the run.
var classStaffCard = classCard(99)

// classOptions cut the pyramid at 10 / 20 / 30 % so that a population of
// a dozen members fills every layer: with 11 classified members the cuts
// are at 1, 3 and 6 members.
func classOptions(keep int) central.ClassificationOptions {
	o := central.ClassificationOptions{Classify: central.DefaultClassifyOptions(), KeepRuns: keep,
		ExcludedCards: []string{classStaffCard}}
	o.Classify.Pyramid = central.PyramidOptions{VIPShareBP: 1000, BigShareBP: 2000, OrdinaryShareBP: 3000}
	return o
}

// classPopulation ingests, in January 2026: members 1..10 with two sales
// of k×1000 fen each (pyramid key k×1000 fen), member 11 with one sale of
// 1,000,000 fen (the largest spender, but a one-off: key 0), and the
// staff card with two sales of 50,000 fen. It returns the next seq.
func classPopulation(t *testing.T, s central.Store) uint64 {
	t.Helper()
	var evs []*syncproto.Event
	seq := uint64(1)
	add := func(card string, fen int64) {
		evs = append(evs, sale1(seq, card, date(2026, 1, 10, 9).Add(time.Duration(seq)*time.Minute), fen))
		seq++
	}
	for k := 1; k <= 10; k++ {
		add(classCard(k), int64(k)*1000)
		add(classCard(k), int64(k)*1000)
	}
	add(classCard(11), 1_000_000)
	add(classStaffCard, 50_000)
	add(classStaffCard, 50_000)
	ingest(t, s, Batch("s1", "a1", evs...))
	return seq
}

func classStore(t *testing.T, s central.Store) central.ClassificationStore {
	t.Helper()
	cs, ok := s.(central.ClassificationStore)
	if !ok {
		t.Fatalf("%T does not implement central.ClassificationStore", s)
	}
	return cs
}

func classify(t *testing.T, s central.Store, now time.Time, o central.ClassificationOptions) central.ClassificationRun {
	t.Helper()
	run, err := central.RunClassification(context.Background(), statsStore(t, s), classStore(t, s), now, o)
	if err != nil {
		t.Fatalf("RunClassification(%s): %v", now.Format(time.DateOnly), err)
	}
	return run
}

func testClassification(t *testing.T, open Opener) {
	t.Run("PyramidAndReport", func(t *testing.T) { testClassPyramid(t, open) })
	t.Run("SecondRunReplacesAndPrunes", func(t *testing.T) { testClassRuns(t, open) })
	t.Run("ManyMembers", func(t *testing.T) { testClassMany(t, open) })
	t.Run("ErrNotFound", func(t *testing.T) {
		s := open(t)
		cs := classStore(t, s)
		ctx := context.Background()
		if _, err := cs.LatestRun(ctx); central.ErrorCode(err) != central.ENOTFOUND {
			t.Errorf("LatestRun on an empty store: err %v, want %s", err, central.ENOTFOUND)
		}
		if _, err := cs.LatestMemberClass(ctx, classCard(1)); central.ErrorCode(err) != central.ENOTFOUND {
			t.Errorf("LatestMemberClass on an empty store: err %v, want %s", err, central.ENOTFOUND)
		}
		if _, err := cs.ClassSizes(ctx, 1); central.ErrorCode(err) != central.ENOTFOUND {
			t.Errorf("ClassSizes(1) on an empty store: err %v, want %s", err, central.ENOTFOUND)
		}
		if _, err := cs.SaveClassification(ctx, central.ClassificationRun{}, nil, central.MaxKeepRuns+1); central.ErrorCode(err) != central.EINVALID {
			t.Errorf("SaveClassification(keep %d): err %v, want %s", central.MaxKeepRuns+1, err, central.EINVALID)
		}
	})
}

// testClassPyramid checks the hand-computed pyramid of classPopulation
// and the class size report of the run.
func testClassPyramid(t *testing.T, open Opener) {
	s := open(t)
	classPopulation(t, s)
	now := date(2026, 2, 1, 0)
	run := classify(t, s, now, classOptions(0))
	if run.ID == 0 || run.Members != 12 || run.Excluded != 1 || run.Months != central.DefaultStatsMonths || !run.AsOf.Equal(now) {
		t.Fatalf("run = %+v, want an id, 12 members, 1 excluded, 12 months, as of %s", run, now)
	}
	latest, err := classStore(t, s).LatestRun(context.Background())
	if err != nil || latest.ID != run.ID || latest.Options != classOptions(0).Classify || !latest.AsOf.Equal(now) {
		t.Fatalf("LatestRun = %+v, %v; want %+v", latest, err, run)
	}
	// Keys: member k has k×1000, member 11 has 0. Cuts at 1, 3, 6.
	want := map[int]central.PyramidClass{10: central.PyramidVIP, 9: central.PyramidBig, 8: central.PyramidBig,
		7: central.PyramidOrdinary, 6: central.PyramidOrdinary, 5: central.PyramidOrdinary, 4: central.PyramidSmall,
		3: central.PyramidSmall, 2: central.PyramidSmall, 1: central.PyramidSmall, 11: central.PyramidSmall,
		99: central.PyramidExcluded}
	for k, class := range want {
		if got := memberClass(t, s, classCard(k)); got.Pyramid != class || got.RunID != run.ID {
			t.Errorf("member %d: pyramid %s in run %d, want %s in run %d", k, got.Pyramid, got.RunID, class, run.ID)
		}
	}
	staff := memberClass(t, s, classStaffCard)
	if staff.Classification != (central.Classification{}) || staff.SpendFen != 100_000 {
		t.Errorf("staff card: %+v, want every class excluded and spend 100000", staff)
	}
	if got := memberClass(t, s, classCard(3)); got.SpendFen != 6000 || got.Quadrant != central.QuadrantUnknownIncome ||
		got.RFM.R == 0 || got.RFM.Segment == central.RFMExcluded || got.ABC == central.ABCExcluded {
		t.Errorf("member 3: %+v, want spend 6000, unknown income, RFM and ABC classes", got)
	}
	sizes := classSizes(t, s, run.ID, 12)
	// Spends: vip 20,000; big 34,000; ordinary 36,000; small 1,020,000;
	// excluded 100,000 of 1,210,000. Floors 165, 280, 297, 8429, 826
	// leave 3 bp for the largest remainders: big, small, ordinary.
	wantPyramid := []central.ClassSize{
		{Classifier: "pyramid", Class: "excluded", Members: 1, SpendFen: 100_000, SpendShareBP: 826},
		{Classifier: "pyramid", Class: "vip", Members: 1, SpendFen: 20_000, SpendShareBP: 165},
		{Classifier: "pyramid", Class: "big", Members: 2, SpendFen: 34_000, SpendShareBP: 281},
		{Classifier: "pyramid", Class: "ordinary", Members: 3, SpendFen: 36_000, SpendShareBP: 298},
		{Classifier: "pyramid", Class: "small", Members: 5, SpendFen: 1_020_000, SpendShareBP: 8430},
	}
	for i, w := range wantPyramid {
		if sizes[i] != w {
			t.Errorf("class size %d = %+v, want %+v", i, sizes[i], w)
		}
	}
	for _, c := range sizes {
		if c.Classifier == central.ClassifierQuadrant && c.Class == "unknown_income" && c.Members != 11 {
			t.Errorf("quadrant unknown_income holds %d members, want 11 (central knows no income)", c.Members)
		}
	}
}

// testClassRuns runs twice: the second run is the latest, and with keep 1
// the first is deleted.
func testClassRuns(t *testing.T, open Opener) {
	s := open(t)
	seq := classPopulation(t, s)
	first := classify(t, s, date(2026, 2, 1, 0), classOptions(0))
	// Member 1 buys twice more, 20,000 fen each: spend 42,000, largest
	// 20,000, key 22,000 — the new VIP; everyone above them moves down.
	ingest(t, s, Batch("s1", "a1", sale1(seq, classCard(1), date(2026, 1, 20, 9), 20_000),
		sale1(seq+1, classCard(1), date(2026, 1, 21, 9), 20_000)))
	second := classify(t, s, date(2026, 2, 2, 0), classOptions(1))
	if second.ID <= first.ID {
		t.Fatalf("second run id %d, want above the first's %d", second.ID, first.ID)
	}
	if latest, err := classStore(t, s).LatestRun(context.Background()); err != nil || latest.ID != second.ID {
		t.Fatalf("LatestRun = %+v, %v; want run %d", latest, err, second.ID)
	}
	for k, class := range map[int]central.PyramidClass{1: central.PyramidVIP, 10: central.PyramidBig,
		9: central.PyramidBig, 8: central.PyramidOrdinary, 5: central.PyramidSmall} {
		if got := memberClass(t, s, classCard(k)); got.Pyramid != class || got.RunID != second.ID {
			t.Errorf("member %d after the second run: pyramid %s in run %d, want %s in run %d", k, got.Pyramid, got.RunID, class, second.ID)
		}
	}
	if _, err := classStore(t, s).ClassSizes(context.Background(), first.ID); central.ErrorCode(err) != central.ENOTFOUND {
		t.Errorf("ClassSizes(first run) after keep 1: err %v, want %s (pruned)", err, central.ENOTFOUND)
	}
	classSizes(t, s, second.ID, 12)
	// A third run with the default keep (3) keeps the second.
	third := classify(t, s, date(2026, 2, 3, 0), classOptions(0))
	classSizes(t, s, second.ID, 12)
	classSizes(t, s, third.ID, 12)
}

// testClassMany classifies 999 members (more than one insert batch) from
// MemberSaleBatch's sales.
func testClassMany(t *testing.T, open Opener) {
	s := open(t)
	ingest(t, s, MemberSaleBatch("s1", "a1", 1, 999, true))
	o := central.ClassificationOptions{Classify: central.DefaultClassifyOptions()}
	run := classify(t, s, date(2026, 2, 1, 0), o)
	if run.Members != 999 || run.Excluded != 0 {
		t.Fatalf("run = %+v, want 999 members, none excluded", run)
	}
	classSizes(t, s, run.ID, 999)
	empty := open(t)
	run = classify(t, empty, date(2026, 2, 1, 0), o)
	for _, c := range classSizes(t, empty, run.ID, 0) {
		if c.SpendShareBP != 0 {
			t.Errorf("empty run: %+v, want no share", c)
		}
	}
}

func memberClass(t *testing.T, s central.Store, card string) central.MemberClass {
	t.Helper()
	c, err := classStore(t, s).LatestMemberClass(context.Background(), card)
	if err != nil {
		t.Fatalf("LatestMemberClass(%s): %v", central.MaskCard(card), err)
	}
	if c.Card != card {
		t.Fatalf("LatestMemberClass(%s) returned card %s", central.MaskCard(card), central.MaskCard(c.Card))
	}
	return c
}

// classSizes returns run's class sizes after checking, per classifier,
// that every class is listed, that the sizes sum to members and that the
// spend shares sum to 10000 basis points whenever anyone spent.
func classSizes(t *testing.T, s central.Store, runID int64, members int64) []central.ClassSize {
	t.Helper()
	sizes, err := classStore(t, s).ClassSizes(context.Background(), runID)
	if err != nil {
		t.Fatalf("ClassSizes(%d): %v", runID, err)
	}
	i := 0
	for _, classifier := range central.Classifiers() {
		var n, bp, spend int64
		for _, name := range central.ClassNames(classifier) {
			if i >= len(sizes) || sizes[i].Classifier != classifier || sizes[i].Class != name {
				t.Fatalf("ClassSizes(%d) row %d: %+v, want %s %s", runID, i, sizes[min(i, len(sizes)-1)], classifier, name)
			}
			n, bp, spend = n+sizes[i].Members, bp+sizes[i].SpendShareBP, spend+sizes[i].SpendFen
			i++
		}
		if n != members {
			t.Errorf("run %d %s: sizes sum to %d, want %d members", runID, classifier, n, members)
		}
		if wantBP := int64(10_000); spend > 0 && bp != wantBP || spend == 0 && bp != 0 {
			t.Errorf("run %d %s: spend shares sum to %d bp (spend %d)", runID, classifier, bp, spend)
		}
	}
	if i != len(sizes) {
		t.Errorf("ClassSizes(%d): %d rows, want %d", runID, len(sizes), i)
	}
	return sizes
}
