package central_test

import (
	"math"
	"testing"

	"github.com/tillsync/tillsync/central"
)

// clsOneOff is the index in clsThousand of the member whose whole spend is
// one huge sale.
const clsOneOff = 1000

// clsThousand returns 1,000 regular members with distinct pyramid keys —
// member i (0-based) has rank i+1 and key (1000−i)×100 fen — then a
// one-off big spender (one visit, one 100,000-yuan sale, more than any
// regular's whole spend), two staff cards and a test card with the
// largest spends of all. 1,001 members are classified, so the cuts are
// floor(1001 × 1 %, 5 %, 20 %) = 10, 50, 200, as for 1,000.
func clsThousand() []central.MemberStats {
	members := make([]central.MemberStats, 0, 1004)
	for i := range 1000 {
		key := int64(1000-i) * 100
		members = append(members, clsRegular(clsCard(i+1), 5, key+500, 500, i%365))
	}
	oneOff := clsRegular("ONEOFF", 1, 10_000_000, 10_000_000, 3)
	staff1 := clsRegular("STAFF1", 100, 50_000_000, 100_000, 1)
	staff1.Staff = true
	staff2 := staff1
	staff2.Card = "STAFF2"
	test := clsRegular("TEST01", 200, 90_000_000, 1_000_000, 0)
	test.Test = true
	return append(members, oneOff, staff1, staff2, test)
}

// clsSetKey gives the regular member of rank r the pyramid key of rank
// like, to make ties.
func clsSetKey(members []central.MemberStats, r, like int) {
	members[r-1].SpendFen = members[like-1].SpendFen
	members[r-1].LargestSaleFen = members[like-1].LargestSaleFen
}

// clsWantRanks checks the classes of the regular members of the given
// ranks.
func clsWantRanks(t *testing.T, got []central.PyramidClass, want central.PyramidClass, ranks ...int) {
	t.Helper()
	for _, r := range ranks {
		if got[r-1] != want {
			t.Errorf("rank %d: %s, want %s", r, got[r-1], want)
		}
	}
}

func TestClassifyPyramid(t *testing.T) {
	o := central.DefaultPyramidOptions()
	t.Run("OK", func(t *testing.T) {
		members := clsThousand()
		got, err := central.ClassifyPyramid(members, o)
		if err != nil {
			t.Fatal(err)
		}
		n := clsCount(got)
		if n[central.PyramidVIP] != 10 || n[central.PyramidBig] != 40 || n[central.PyramidOrdinary] != 150 ||
			n[central.PyramidSmall] != 801 || n[central.PyramidExcluded] != 3 {
			t.Errorf("counts %v, want 10 VIP, 40 big, 150 ordinary, 800 small + the one-off, 3 excluded", n)
		}
		clsWantRanks(t, got, central.PyramidVIP, 1, 10)
		clsWantRanks(t, got, central.PyramidBig, 11, 50)
		clsWantRanks(t, got, central.PyramidOrdinary, 51, 200)
		clsWantRanks(t, got, central.PyramidSmall, 201, 1000)
		if got[clsOneOff] != central.PyramidSmall {
			t.Errorf("one-off big spender: %s, want small", got[clsOneOff])
		}
		for _, i := range []int{1001, 1002, 1003} {
			if got[i] != central.PyramidExcluded {
				t.Errorf("%s: %s, want excluded", members[i].Card, got[i])
			}
		}
	})
	t.Run("TiesAtEveryBoundary", func(t *testing.T) {
		// Ranks 10–11, 50–51 and 200–201 tie: each pair straddles a cut
		// and goes whole to the layer below it.
		members := clsThousand()
		clsSetKey(members, 11, 10)
		clsSetKey(members, 51, 50)
		clsSetKey(members, 201, 200)
		got, err := central.ClassifyPyramid(members, o)
		if err != nil {
			t.Fatal(err)
		}
		n := clsCount(got)
		// VIP 1–9; big 10–49; ordinary 50–199; small 200–1000 + one-off.
		if n[central.PyramidVIP] != 9 || n[central.PyramidBig] != 40 || n[central.PyramidOrdinary] != 150 ||
			n[central.PyramidSmall] != 802 {
			t.Errorf("counts %v, want 9 VIP, 40 big, 150 ordinary, 802 small", n)
		}
		clsWantRanks(t, got, central.PyramidVIP, 1, 9)
		clsWantRanks(t, got, central.PyramidBig, 10, 11, 49)
		clsWantRanks(t, got, central.PyramidOrdinary, 50, 51, 199)
		clsWantRanks(t, got, central.PyramidSmall, 200, 201, 1000)
	})
	t.Run("TieEndingOnCut", func(t *testing.T) {
		// Ranks 9–10 tie and end exactly on the VIP cut: both VIP.
		members := clsThousand()
		clsSetKey(members, 10, 9)
		got, err := central.ClassifyPyramid(members, o)
		if err != nil {
			t.Fatal(err)
		}
		clsWantRanks(t, got, central.PyramidVIP, 9, 10)
		clsWantRanks(t, got, central.PyramidBig, 11)
	})
	t.Run("TieAcrossTwoCuts", func(t *testing.T) {
		// Ranks 5–60 tie: they reach past the big cut (50), so all 56
		// are ordinary and big is empty.
		members := clsThousand()
		for r := 6; r <= 60; r++ {
			clsSetKey(members, r, 5)
		}
		got, err := central.ClassifyPyramid(members, o)
		if err != nil {
			t.Fatal(err)
		}
		n := clsCount(got)
		if n[central.PyramidVIP] != 4 || n[central.PyramidBig] != 0 || n[central.PyramidOrdinary] != 196 ||
			n[central.PyramidSmall] != 801 {
			t.Errorf("counts %v, want 4 VIP, 0 big, 196 ordinary, 801 small", n)
		}
		clsWantRanks(t, got, central.PyramidOrdinary, 5, 60, 61, 200)
	})
	t.Run("OneOffRule", func(t *testing.T) {
		// Two 50,000-yuan sales are a habit, not a one-off: that member
		// ranks on the second sale and is VIP; the single 100,000-yuan
		// sale is not.
		members := append(clsThousand(), clsRegular("TWICE", 2, 10_000_000, 5_000_000, 1))
		got, err := central.ClassifyPyramid(members, o)
		if err != nil {
			t.Fatal(err)
		}
		if got[len(got)-1] != central.PyramidVIP {
			t.Errorf("two big sales: %s, want vip", got[len(got)-1])
		}
		if got[clsOneOff] != central.PyramidSmall {
			t.Errorf("one big sale: %s, want small", got[clsOneOff])
		}
		if k := central.PyramidKey(&members[clsOneOff]); k != 0 {
			t.Errorf("PyramidKey(one-off) = %d, want 0", k)
		}
	})
	t.Run("AllEqual", func(t *testing.T) {
		members := make([]central.MemberStats, 500)
		got, err := central.ClassifyPyramid(members, o)
		if err != nil {
			t.Fatal(err)
		}
		if n := clsCount(got); n[central.PyramidSmall] != 500 {
			t.Errorf("500 equal members: %v, want all small", n)
		}
	})
	t.Run("FewMembers", func(t *testing.T) {
		// 99 members: 1 % is 0.99, rounded down to no VIP; 5 % is 4.95,
		// so 4 big; 20 % is 19.8, so 15 ordinary.
		members := clsThousand()[:99]
		got, err := central.ClassifyPyramid(members, o)
		if err != nil {
			t.Fatal(err)
		}
		n := clsCount(got)
		if n[central.PyramidVIP] != 0 || n[central.PyramidBig] != 4 || n[central.PyramidOrdinary] != 15 || n[central.PyramidSmall] != 80 {
			t.Errorf("counts %v, want 0 VIP, 4 big, 15 ordinary, 80 small", n)
		}
	})
	t.Run("CustomShares", func(t *testing.T) {
		members := clsThousand()[:1000]
		got, err := central.ClassifyPyramid(members, central.PyramidOptions{VIPShareBP: 0, BigShareBP: 1000, OrdinaryShareBP: 9000})
		if err != nil {
			t.Fatal(err)
		}
		if n := clsCount(got); n[central.PyramidVIP] != 0 || n[central.PyramidBig] != 100 || n[central.PyramidOrdinary] != 900 || n[central.PyramidSmall] != 0 {
			t.Errorf("counts %v, want 0 VIP, 100 big, 900 ordinary, 0 small", n)
		}
	})
	t.Run("ExtremeValues", func(t *testing.T) {
		// Nonsense statistics saturate instead of wrapping around.
		members := clsThousand()[:100]
		members[99].SpendFen, members[99].LargestSaleFen = math.MinInt64, math.MaxInt64
		members[98].SpendFen, members[98].LargestSaleFen = math.MaxInt64, math.MinInt64
		got, err := central.ClassifyPyramid(members, o)
		if err != nil {
			t.Fatal(err)
		}
		if got[99] != central.PyramidSmall || got[98] != central.PyramidVIP {
			t.Errorf("lowest possible: %s, want small; highest possible: %s, want vip", got[99], got[98])
		}
	})
	t.Run("ErrOptions", func(t *testing.T) {
		if _, err := central.ClassifyPyramid(nil, central.PyramidOptions{VIPShareBP: -1}); central.ErrorCode(err) != central.EINVALID {
			t.Errorf("err = %v, want %s", err, central.EINVALID)
		}
	})
}

func TestPyramidOptions_Cuts(t *testing.T) {
	o := central.DefaultPyramidOptions()
	for _, tt := range []struct {
		n    int
		want [3]int
	}{
		{0, [3]int{0, 0, 0}},
		{1000, [3]int{10, 50, 200}},
		{1001, [3]int{10, 50, 200}},
		{1099, [3]int{10, 54, 219}},
		{150, [3]int{1, 7, 30}},
		{1_000_000, [3]int{10_000, 50_000, 200_000}},
		{math.MaxInt64, [3]int{92233720368547758, 461168601842738790, 1844674407370955161}},
	} {
		if got := o.Cuts(tt.n); got != tt.want {
			t.Errorf("Cuts(%d) = %v, want %v", tt.n, got, tt.want)
		}
	}
}
