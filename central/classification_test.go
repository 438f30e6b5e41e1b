package central

import (
	"math"
	"testing"
)

func TestClassSizesOf(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		got, err := ClassSizesOf([]ClassSize{
			{Classifier: ClassifierABC, Class: "a", Members: 1, SpendFen: 1},
			{Classifier: ClassifierABC, Class: "b", Members: 1, SpendFen: 1},
			{Classifier: ClassifierABC, Class: "c", Members: 2, SpendFen: 1},
			{Classifier: ClassifierPyramid, Class: "vip", Members: 1, SpendFen: -50}, // counted as 0
		})
		if err != nil {
			t.Fatal(err)
		}
		want := len(pyramidText) + len(rfmText) + len(quadrantText) + len(abcText)
		if len(got) != want {
			t.Fatalf("%d rows, want %d", len(got), want)
		}
		abc := got[want-len(abcText):]
		// Thirds: 3333 each, one bp left for the first on a tie.
		for i, bp := range []int64{0, 3334, 3333, 3333} {
			if abc[i].Class != abcText[i] || abc[i].SpendShareBP != bp {
				t.Errorf("abc row %d = %+v, want %s with %d bp", i, abc[i], abcText[i], bp)
			}
		}
		if got[1].Class != "vip" || got[1].Members != 1 || got[1].SpendFen != 0 || got[1].SpendShareBP != 0 {
			t.Errorf("pyramid vip = %+v, want 1 member, no spend, no share", got[1])
		}
	})
	t.Run("LargeSpendsNoOverflow", func(t *testing.T) {
		got, err := ClassSizesOf([]ClassSize{
			{Classifier: ClassifierSegment, Class: "champions", Members: 1, SpendFen: math.MaxInt64 / 2},
			{Classifier: ClassifierSegment, Class: "lost", Members: 1, SpendFen: math.MaxInt64 / 2},
		})
		if err != nil {
			t.Fatal(err)
		}
		var sum int64
		for _, c := range got {
			if c.Classifier == ClassifierSegment {
				sum += c.SpendShareBP
				if (c.Class == "champions" || c.Class == "lost") && c.SpendShareBP != 5000 {
					t.Errorf("%s share %d, want 5000", c.Class, c.SpendShareBP)
				}
			}
		}
		if sum != fullShareBP {
			t.Errorf("segment shares sum to %d", sum)
		}
	})
	t.Run("ErrUnknownClass", func(t *testing.T) {
		for _, c := range []ClassSize{{Classifier: ClassifierPyramid, Class: "diamond"}, {Classifier: "tier", Class: "gold"}} {
			if _, err := ClassSizesOf([]ClassSize{c}); ErrorCode(err) != EINVALID {
				t.Errorf("%+v: err %v, want %s", c, err, EINVALID)
			}
		}
	})
}

func TestParseClassification(t *testing.T) {
	want := Classification{Pyramid: PyramidBig, RFM: RFMScore{R: 5, F: 4, M: 3, Segment: RFMLoyal}, Quadrant: QuadrantAbandon, ABC: ABCB}
	got, err := ParseClassification(want.Pyramid.String(), want.RFM.Segment.String(), want.Quadrant.String(), want.ABC.String(), 5, 4, 3)
	if err != nil || got != want {
		t.Fatalf("ParseClassification = %+v, %v; want %+v", got, err, want)
	}
	if _, err := ParseClassification("vip", "sleepy", "core", "a", 1, 1, 1); ErrorCode(err) != EINVALID {
		t.Fatalf("unknown segment: err %v, want %s", err, EINVALID)
	}
}

func TestClassificationOptions_Validate(t *testing.T) {
	ok := ClassificationOptions{Classify: DefaultClassifyOptions()}
	if err := ok.Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	bad := []ClassificationOptions{ok, ok, ok, ok, ok}
	bad[0].Months = -1
	bad[1].Months = MaxStatsMonths + 1
	bad[2].KeepRuns = -1
	bad[3].KeepRuns = MaxKeepRuns + 1
	bad[4].Classify.ABC.AUpToBP = 10_001
	for i, o := range bad {
		if err := o.Validate(); ErrorCode(err) != EINVALID {
			t.Errorf("case %d: err %v, want %s", i, err, EINVALID)
		}
	}
}
