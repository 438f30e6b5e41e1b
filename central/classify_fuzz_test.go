package central_test

import (
	"math"
	"math/big"
	"slices"
	"testing"
	"time"

	"github.com/tillsync/tillsync/central"
)

// clsFuzzMembers decodes data into pyramid shares and up to 256 members,
// six bytes each, with values drawn from small ranges so that ties are
// common, and a few extremes. Byte 0 of a member holds flags: 1 staff,
// 2 test, 4–16 the income bracket (5–7 unknown), 32 a spend near 2^60,
// 64 a negative spend, 128 never bought.
func clsFuzzMembers(data []byte) (central.PyramidOptions, []central.MemberStats) {
	var o central.PyramidOptions
	if len(data) >= 3 {
		o = central.PyramidOptions{VIPShareBP: int64(data[0]) * 10, BigShareBP: int64(data[1]) * 10, OrdinaryShareBP: int64(data[2]) * 10}
		data = data[3:]
	}
	var members []central.MemberStats
	for ; len(data) >= 6 && len(members) < 256; data = data[6:] {
		flags := data[0]
		m := central.MemberStats{
			Staff: flags&1 != 0, Test: flags&2 != 0, IncomeBracket: central.IncomeBracket(flags >> 2 & 7),
			Visits: int64(data[1] % 8), SpendFen: int64(data[2]%16) * 100, LargestSaleFen: int64(data[3]%16) * 100,
			LastPurchase: clsAsOf.AddDate(0, 0, -int(data[4]%32)), AnnualSpendFen: int64(data[5]) * 10_000,
		}
		if flags&32 != 0 {
			m.SpendFen <<= 50
		}
		if flags&64 != 0 {
			m.SpendFen = -m.SpendFen
		}
		if flags&128 != 0 {
			m.LastPurchase = time.Time{}
		}
		if data[3] == 255 {
			m.LargestSaleFen = math.MaxInt64
		}
		members = append(members, m)
	}
	return o, members
}

// FuzzClassify checks, for any members: every member gets exactly one
// class of each classifier (excluded exactly for staff and test cards);
// the pyramid and RFM match their definitions computed the slow way (so
// equal inputs get equal classes); the top pyramid layers never hold
// more than their rounded-down share; ABC matches its definition in
// arbitrary precision; and Classify agrees with the classifiers.
func FuzzClassify(f *testing.F) {
	f.Add([]byte{10, 40, 150})
	f.Add([]byte{0, 0, 0, 0, 1, 2, 3, 4, 5})
	f.Add([]byte{100, 100, 100, 0, 3, 5, 5, 1, 9, 0, 3, 5, 5, 1, 9, 1, 3, 5, 5, 1, 9, 2, 3, 5, 5, 1, 9, 4, 1, 15, 15, 0, 255})
	f.Add([]byte{255, 255, 255, 32, 7, 15, 255, 31, 8, 96, 7, 15, 0, 31, 8, 128, 0, 0, 0, 0, 0, 16, 1, 1, 1, 1, 1})
	seed := []byte{10, 40, 150}
	for i := range 120 {
		seed = append(seed, byte(i%3*4), byte(i%5), byte(i*7%13), byte(i%4), byte(i%9), byte(i))
	}
	f.Add(seed)
	f.Fuzz(func(t *testing.T, data []byte) {
		po, members := clsFuzzMembers(data)
		o := central.DefaultClassifyOptions()
		o.Pyramid = po
		if po.Validate() != nil {
			o.Pyramid = central.DefaultPyramidOptions()
		}
		got, err := central.Classify(members, clsAsOf, o)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(members) {
			t.Fatalf("%d classifications for %d members", len(got), len(members))
		}
		pyramid, err := central.ClassifyPyramid(members, o.Pyramid)
		if err != nil {
			t.Fatal(err)
		}
		abc, err := central.ClassifyABC(members, o.ABC)
		if err != nil {
			t.Fatal(err)
		}
		rfm := central.ScoreRFM(members, clsAsOf)
		for i, c := range got {
			if c.Pyramid != pyramid[i] || c.RFM != rfm[i] || c.ABC != abc[i] || c.Quadrant != central.QuadrantOf(&members[i], o.Quadrant) {
				t.Fatalf("member %d: Classify %+v differs from the classifiers", i, c)
			}
			excluded := members[i].Staff || members[i].Test
			if (c.Pyramid == central.PyramidExcluded) != excluded || (c.RFM.Segment == central.RFMExcluded) != excluded ||
				(c.Quadrant == central.QuadrantExcluded) != excluded || (c.ABC == central.ABCExcluded) != excluded {
				t.Fatalf("member %d (staff %v, test %v): %+v", i, members[i].Staff, members[i].Test, c)
			}
		}
		clsCheckPyramid(t, members, o.Pyramid, pyramid)
		clsCheckRFM(t, members, rfm)
		clsCheckABC(t, members, o.ABC, abc)
	})
}

// clsKeys returns the key of every classified member, and their indexes.
func clsKeys(members []central.MemberStats, key func(*central.MemberStats) int64) (keys []int64, idx []int) {
	for i := range members {
		if members[i].Classified() {
			keys = append(keys, key(&members[i]))
			idx = append(idx, i)
		}
	}
	return keys, idx
}

func clsCheckPyramid(t *testing.T, members []central.MemberStats, o central.PyramidOptions, got []central.PyramidClass) {
	t.Helper()
	keys, idx := clsKeys(members, central.PyramidKey)
	cuts := o.Cuts(len(keys))
	var atOrAbove [5]int // classified members per layer
	for n, k := range keys {
		ge := 0
		for _, other := range keys {
			if other >= k {
				ge++
			}
		}
		want := central.PyramidSmall
		for layer, c := range cuts {
			if ge <= c {
				want = central.PyramidVIP + central.PyramidClass(layer)
				break
			}
		}
		if got[idx[n]] != want {
			t.Fatalf("member %d (key %d, %d at or above, cuts %v): %s, want %s", idx[n], k, ge, cuts, got[idx[n]], want)
		}
		atOrAbove[want]++
	}
	sum := 0
	for layer, c := range cuts {
		sum += atOrAbove[central.PyramidVIP+central.PyramidClass(layer)]
		if sum > c {
			t.Fatalf("layers down to %s hold %d members, over their cut %d", central.PyramidVIP+central.PyramidClass(layer), sum, c)
		}
	}
}

func clsCheckRFM(t *testing.T, members []central.MemberStats, got []central.RFMScore) {
	t.Helper()
	dims := []struct {
		name  string
		key   func(*central.MemberStats) int64
		score func(central.RFMScore) uint8
	}{
		{"R", func(m *central.MemberStats) int64 { return -central.RecencyDays(m, clsAsOf) }, func(s central.RFMScore) uint8 { return s.R }},
		{"F", func(m *central.MemberStats) int64 { return m.Visits }, func(s central.RFMScore) uint8 { return s.F }},
		{"M", func(m *central.MemberStats) int64 { return m.SpendFen }, func(s central.RFMScore) uint8 { return s.M }},
	}
	for _, d := range dims {
		keys, idx := clsKeys(members, d.key)
		distinct := slices.Compact(slices.Sorted(slices.Values(keys)))
		for n, k := range keys {
			rank, _ := slices.BinarySearch(distinct, k)
			want := uint8(1 + rank*central.RFMBands/len(distinct))
			if s := d.score(got[idx[n]]); s != want {
				t.Fatalf("member %d %s: value %d of %d distinct (rank %d) scored %d, want %d", idx[n], d.name, k, len(distinct), rank, s, want)
			}
		}
	}
	for i, s := range got {
		if s.Segment != central.RFMSegmentOf(s.R, s.F, s.M) {
			t.Fatalf("member %d: segment %s, want %s", i, s.Segment, central.RFMSegmentOf(s.R, s.F, s.M))
		}
	}
}

func clsCheckABC(t *testing.T, members []central.MemberStats, o central.ABCOptions, got []central.ABCClass) {
	t.Helper()
	keys, idx := clsKeys(members, func(m *central.MemberStats) int64 { return max(m.SpendFen, 0) })
	total := new(big.Int)
	for _, k := range keys {
		total.Add(total, big.NewInt(k))
	}
	aLimit := new(big.Int).Mul(total, big.NewInt(o.AUpToBP))
	bLimit := new(big.Int).Mul(total, big.NewInt(o.BUpToBP))
	for n, k := range keys {
		before := new(big.Int)
		for _, other := range keys {
			if other > k {
				before.Add(before, big.NewInt(other))
			}
		}
		before.Mul(before, big.NewInt(10_000))
		want := central.ABCC
		switch {
		case before.Cmp(aLimit) < 0:
			want = central.ABCA
		case before.Cmp(bLimit) < 0:
			want = central.ABCB
		}
		if got[idx[n]] != want {
			t.Fatalf("member %d (spend %d): %s, want %s", idx[n], k, got[idx[n]], want)
		}
	}
}
