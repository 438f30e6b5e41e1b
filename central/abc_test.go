package central_test

import (
	"math"
	"slices"
	"testing"

	"github.com/tillsync/tillsync/central"
)

// clsSpends returns a member per spend, each with a different card.
func clsSpends(spends ...int64) []central.MemberStats {
	members := make([]central.MemberStats, len(spends))
	for i, s := range spends {
		members[i] = clsRegular(clsCard(i+1), 2, s, max(s, 0), 1)
	}
	return members
}

func TestClassifyABC(t *testing.T) {
	o := central.DefaultABCOptions()
	A, B, C, X := central.ABCA, central.ABCB, central.ABCC, central.ABCExcluded
	tests := []struct {
		name    string
		members []central.MemberStats
		o       central.ABCOptions
		want    []central.ABCClass
	}{
		// Total 100. Spend above each: 0, 50, 70, 70 (the tied 10s cross
		// 80 together), 90, 95, 98 → A A A A B C C.
		{"OK", clsSpends(50, 20, 10, 10, 5, 3, 2), o, []central.ABCClass{A, A, A, A, B, C, C}},
		// Input order does not matter.
		{"Shuffled", clsSpends(3, 10, 50, 2, 10, 20, 5), o, []central.ABCClass{C, A, A, C, A, A, B}},
		// Total 100: above the 5s is 80, not below 80 % → both B, though
		// the first of them alone would reach only 85.
		{"TieAtA", clsSpends(40, 40, 5, 5, 5, 5), o, []central.ABCClass{A, A, B, B, B, B}},
		// Total 100: above the tied 3s is 94 < 95 → all three B.
		{"TieAcrossB", clsSpends(80, 14, 3, 3), o, []central.ABCClass{A, B, B, B}},
		// One member with 99 %: still A (A is what reaches 80 %).
		{"Whale", clsSpends(990, 5, 5), o, []central.ABCClass{A, C, C}},
		// No spend and net returns are C.
		{"NoSpend", clsSpends(100, 0, -50), o, []central.ABCClass{A, C, C}},
		{"NobodySpent", clsSpends(0, 0, -1), o, []central.ABCClass{C, C, C}},
		// Spends near the int64 limit: the total needs 65 bits. Above
		// the second is 50 % → A; above the third is ~100 % → C.
		{"HugeSpends", clsSpends(math.MaxInt64, math.MaxInt64-1, 1), o, []central.ABCClass{A, A, C}},
		{"Custom5050", clsSpends(40, 30, 20, 10), central.ABCOptions{AUpToBP: 5000, BUpToBP: 5000}, []central.ABCClass{A, A, C, C}},
		{"NoA", clsSpends(40, 30), central.ABCOptions{AUpToBP: 0, BUpToBP: 10_000}, []central.ABCClass{B, B}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := central.ClassifyABC(tt.members, tt.o)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("ClassifyABC = %v, want %v", got, tt.want)
			}
		})
	}
	t.Run("Excluded", func(t *testing.T) {
		// A staff card with most of the spend would make everyone else C
		// if it counted.
		members := clsSpends(50, 20, 10, 10, 5, 3, 2)
		staff := clsRegular("STAFF", 9, 10_000, 10, 0)
		staff.Staff = true
		test := clsRegular("TEST", 9, 10_000, 10, 0)
		test.Test = true
		got, err := central.ClassifyABC(append(members, staff, test), o)
		if err != nil {
			t.Fatal(err)
		}
		if want := []central.ABCClass{A, A, A, A, B, C, C, X, X}; !slices.Equal(got, want) {
			t.Errorf("ClassifyABC = %v, want %v", got, want)
		}
	})
	t.Run("ErrOptions", func(t *testing.T) {
		if _, err := central.ClassifyABC(nil, central.ABCOptions{AUpToBP: 9000, BUpToBP: 8000}); central.ErrorCode(err) != central.EINVALID {
			t.Errorf("err = %v, want %s", err, central.EINVALID)
		}
	})
}
