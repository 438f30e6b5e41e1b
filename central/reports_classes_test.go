package central

import (
	"math"
	"reflect"
	"testing"
	"time"
)

func TestTopProductsQuery_Normalize(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		for _, tc := range []struct {
			in          TopProductsQuery
			want        TopProductsQuery
			wantClasses []string
		}{
			{TopProductsQuery{}, TopProductsQuery{Classifier: ClassifierPyramid, Limit: DefaultTopProducts},
				[]string{"vip", "big", "ordinary", "small"}},
			{TopProductsQuery{RunID: 7, Classifier: ClassifierSegment, Class: "at_risk", Limit: MaxTopProducts},
				TopProductsQuery{RunID: 7, Classifier: ClassifierSegment, Class: "at_risk", Limit: MaxTopProducts},
				[]string{"at_risk"}},
			{TopProductsQuery{Class: ExcludedClass, Limit: 1}, TopProductsQuery{Classifier: ClassifierPyramid, Class: ExcludedClass, Limit: 1},
				[]string{ExcludedClass}},
		} {
			got, err := tc.in.Normalize()
			if err != nil || got != tc.want || !reflect.DeepEqual(got.Classes(), tc.wantClasses) {
				t.Errorf("%+v.Normalize() = %+v (classes %v), %v; want %+v (classes %v)", tc.in, got, got.Classes(), err, tc.want, tc.wantClasses)
			}
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		for _, q := range []TopProductsQuery{
			{RunID: -1}, {Classifier: "tier"}, {Class: "gold"}, {Classifier: ClassifierABC, Class: "vip"},
			{Limit: -1}, {Limit: MaxTopProducts + 1},
		} {
			if _, err := q.Normalize(); ErrorCode(err) != EINVALID {
				t.Errorf("%+v.Normalize(): err %v, want %s", q, err, EINVALID)
			}
		}
	})
}

func TestTopProductsOf(t *testing.T) {
	q, err := TopProductsQuery{Limit: 2}.Normalize()
	if err != nil {
		t.Fatalf("Normalize: %v", err)
	}
	w := StatsWindow{Months: 1, FirstMonth: 202603, LastMonth: 202603}
	asOf := time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC)
	// Rows arrive in any order, and a database may send one more than
	// the limit; ties go to more members, then to the lower SKU.
	rows := []ClassProductRow{
		{Class: "small", ClassSpendFen: 3000, SKU: "B", QuantityMilli: 1000, SpendFen: 1000, Members: 1},
		{Class: "small", ClassSpendFen: 3000, SKU: "A", QuantityMilli: 1000, SpendFen: 1000, Members: 1},
		{Class: "small", ClassSpendFen: 3000, SKU: "C", QuantityMilli: 500, SpendFen: 1000, Members: 2},
		{Class: "vip", ClassSpendFen: 7, SKU: "Z", QuantityMilli: 1, SpendFen: 7, Members: 1},
	}
	tp, err := TopProductsOf(q, 3, asOf, w, rows)
	if err != nil {
		t.Fatalf("TopProductsOf: %v", err)
	}
	want := TopProducts{RunID: 3, AsOf: asOf, Window: w, Classifier: ClassifierPyramid, Classes: []ClassProducts{
		{Class: "vip", SpendFen: 7, Products: []ClassProduct{{Rank: 1, SKU: "Z", QuantityMilli: 1, SpendFen: 7, Members: 1, SpendShareBP: 10_000}}},
		{Class: "big", Products: []ClassProduct{}},
		{Class: "ordinary", Products: []ClassProduct{}},
		{Class: "small", SpendFen: 3000, Products: []ClassProduct{
			{Rank: 1, SKU: "C", QuantityMilli: 500, SpendFen: 1000, Members: 2, SpendShareBP: 3333},
			{Rank: 2, SKU: "A", QuantityMilli: 1000, SpendFen: 1000, Members: 1, SpendShareBP: 3333},
		}},
	}}
	if !reflect.DeepEqual(tp, want) {
		t.Fatalf("TopProductsOf =\n%+v\nwant\n%+v", tp, want)
	}
	records := TopProductsRecords(tp)
	if len(records) != 4 || !reflect.DeepEqual(records[3], []string{"3", "2026-03-15T00:00:00Z", "2026-03", "2026-03",
		"pyramid", "small", "3000", "2", "A", "", "1000", "1000", "10.00", "1", "3333", "33.33 %"}) {
		t.Fatalf("TopProductsRecords = %q", records)
	}
	if _, err := TopProductsOf(q, 3, asOf, w, []ClassProductRow{{Class: ExcludedClass, SKU: "A"}}); ErrorCode(err) != EINVALID {
		t.Fatalf("a row of a class not asked for: err %v, want %s", err, EINVALID)
	}
}

func TestFormatMilli(t *testing.T) {
	for in, want := range map[int64]string{0: "0.000", 1250: "1.250", -250: "-0.250", 1_000_000: "1000.000",
		math.MinInt64: "-9223372036854775.808"} {
		if got := FormatMilli(in); got != want {
			t.Errorf("FormatMilli(%d) = %q, want %q", in, got, want)
		}
	}
	if got := FormatMonth(202602); got != "2026-02" {
		t.Errorf("FormatMonth(202602) = %q", got)
	}
}
