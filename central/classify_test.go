package central_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tillsync/tillsync/central"
)

// clsAsOf is the end of the classification window in these tests.
var clsAsOf = time.Date(2026, 6, 30, 23, 0, 0, 0, time.UTC)

// clsRegular returns a classified member who bought visits times, spending
// spend in all with no sale above largest, last on the day daysAgo.
func clsRegular(card string, visits, spend, largest int64, daysAgo int) central.MemberStats {
	return central.MemberStats{Card: card, MemberID: "m-" + card, Visits: visits, SpendFen: spend,
		LargestSaleFen: largest, LastPurchase: clsAsOf.AddDate(0, 0, -daysAgo), AnnualSpendFen: spend,
		IncomeBracket: central.Income3000To8000}
}

func TestClassifyOptions_Validate(t *testing.T) {
	if err := central.DefaultClassifyOptions().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	tests := []struct {
		name  string
		edit  func(*central.ClassifyOptions)
		field string
	}{
		{"ErrVIPNegative", func(o *central.ClassifyOptions) { o.Pyramid.VIPShareBP = -1 }, "pyramid.vip_share_bp"},
		{"ErrBigOver", func(o *central.ClassifyOptions) { o.Pyramid.BigShareBP = 10_001 }, "pyramid.big_share_bp"},
		{"ErrOrdinaryNegative", func(o *central.ClassifyOptions) { o.Pyramid.OrdinaryShareBP = -5 }, "pyramid.ordinary_share_bp"},
		{"ErrPyramidSum", func(o *central.ClassifyOptions) { o.Pyramid.OrdinaryShareBP = 9_600 }, "pyramid shares"},
		{"ErrIncomeUnknown", func(o *central.ClassifyOptions) { o.Quadrant.HighIncomeFrom = central.IncomeUnknown }, "quadrant.high_income_from"},
		{"ErrIncomeLowest", func(o *central.ClassifyOptions) { o.Quadrant.HighIncomeFrom = central.IncomeUnder3000 }, "quadrant.high_income_from"},
		{"ErrIncomeAbove", func(o *central.ClassifyOptions) { o.Quadrant.HighIncomeFrom = 5 }, "quadrant.high_income_from"},
		{"ErrSpendZero", func(o *central.ClassifyOptions) { o.Quadrant.HighSpendFromFen = 0 }, "quadrant.high_spend_from_fen"},
		{"ErrAOver", func(o *central.ClassifyOptions) { o.ABC.AUpToBP = 10_001 }, "abc.a_up_to_bp"},
		{"ErrBNegative", func(o *central.ClassifyOptions) { o.ABC.BUpToBP = -1 }, "abc.b_up_to_bp"},
		{"ErrBBelowA", func(o *central.ClassifyOptions) { o.ABC.BUpToBP = 7_000 }, "abc.b_up_to_bp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := central.DefaultClassifyOptions()
			tt.edit(&o)
			err := o.Validate()
			if central.ErrorCode(err) != central.EINVALID {
				t.Fatalf("Validate() = %v, want an %s error", err, central.EINVALID)
			}
			if !strings.Contains(err.Error(), tt.field) {
				t.Errorf("Validate() = %q, want it to name %q", err, tt.field)
			}
			if _, err := central.Classify(nil, clsAsOf, o); central.ErrorCode(err) != central.EINVALID {
				t.Errorf("Classify with bad options = %v, want an %s error", err, central.EINVALID)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		members := clsThousand()
		o := central.DefaultClassifyOptions()
		got, err := central.Classify(members, clsAsOf, o)
		if err != nil {
			t.Fatal(err)
		}
		pyramid, err := central.ClassifyPyramid(members, o.Pyramid)
		if err != nil {
			t.Fatal(err)
		}
		quadrant, err := central.ClassifyQuadrant(members, o.Quadrant)
		if err != nil {
			t.Fatal(err)
		}
		abc, err := central.ClassifyABC(members, o.ABC)
		if err != nil {
			t.Fatal(err)
		}
		rfm := central.ScoreRFM(members, clsAsOf)
		if len(got) != len(members) {
			t.Fatalf("len = %d, want %d", len(got), len(members))
		}
		for i, c := range got {
			want := central.Classification{Pyramid: pyramid[i], RFM: rfm[i], Quadrant: quadrant[i], ABC: abc[i]}
			if c != want {
				t.Fatalf("member %d: Classify %+v, classifiers one by one %+v", i, c, want)
			}
		}
		// Spot checks that the pieces are the real ones, not all zero.
		if got[0].Pyramid != central.PyramidVIP || got[0].ABC != central.ABCA || got[0].RFM.M != 5 {
			t.Errorf("top spender = %+v, want VIP, A, M5", got[0])
		}
		if last := got[len(got)-1]; last.Pyramid != central.PyramidExcluded || last.RFM.Segment != central.RFMExcluded ||
			last.Quadrant != central.QuadrantExcluded || last.ABC != central.ABCExcluded {
			t.Errorf("test card = %+v, want excluded everywhere", last)
		}
	})
	t.Run("Empty", func(t *testing.T) {
		got, err := central.Classify(nil, clsAsOf, central.DefaultClassifyOptions())
		if err != nil || len(got) != 0 {
			t.Fatalf("Classify(nil) = %v, %v; want empty, nil", got, err)
		}
	})
}

func TestParseIncomeBracket(t *testing.T) {
	for _, tt := range []struct {
		text string
		want central.IncomeBracket
	}{
		{"<3000", central.IncomeUnder3000},
		{"3000-8000", central.Income3000To8000},
		{"8000-20000", central.Income8000To20000},
		{">20000", central.IncomeOver20000},
		{"", central.IncomeUnknown},
		{"rich", central.IncomeUnknown},
	} {
		got := central.ParseIncomeBracket(tt.text)
		if got != tt.want {
			t.Errorf("ParseIncomeBracket(%q) = %d, want %d", tt.text, got, tt.want)
		}
		if got.Known() && got.String() != tt.text {
			t.Errorf("%d.String() = %q, want %q", got, got.String(), tt.text)
		}
	}
	for _, b := range []central.IncomeBracket{central.IncomeUnknown, -1, 5} {
		if b.Known() || b.String() != "" {
			t.Errorf("bracket %d: Known %v, String %q; want unknown, \"\"", b, b.Known(), b.String())
		}
	}
}

// TestClassNames pins the names dashboards and CSV exports show.
func TestClassNames(t *testing.T) {
	var got []string
	for c := central.PyramidExcluded; c <= central.PyramidSmall+1; c++ {
		got = append(got, c.String())
	}
	for s := central.RFMExcluded; s <= central.RFMLost+1; s++ {
		got = append(got, s.String())
	}
	for q := central.QuadrantExcluded; q <= central.QuadrantUnknownIncome+1; q++ {
		got = append(got, q.String())
	}
	for c := central.ABCExcluded; c <= central.ABCC+1; c++ {
		got = append(got, c.String())
	}
	want := []string{"excluded", "vip", "big", "ordinary", "small", "unknown",
		"excluded", "champions", "loyal", "new", "potential", "cant_lose", "at_risk", "hibernating", "lost", "unknown",
		"excluded", "core", "key_development", "developable", "abandon", "unknown_income", "unknown",
		"excluded", "a", "b", "c", "unknown"}
	if !slices.Equal(got, want) {
		t.Errorf("names = %q\nwant    %q", got, want)
	}
}

// clsCount counts each value of classes.
func clsCount[C comparable](classes []C) map[C]int {
	n := map[C]int{}
	for _, c := range classes {
		n[c]++
	}
	return n
}

// clsCard is the card of the regular member of rank r (1 = top spender).
func clsCard(r int) string { return fmt.Sprintf("R%04d", r) }
