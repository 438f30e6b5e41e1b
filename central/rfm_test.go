package central_test

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/tillsync/tillsync/central"
)

// clsScores returns the chosen score of each member.
func clsScores(s []central.RFMScore, dim func(central.RFMScore) uint8) []uint8 {
	out := make([]uint8, len(s))
	for i := range s {
		out[i] = dim(s[i])
	}
	return out
}

func TestScoreRFM(t *testing.T) {
	t.Run("Frequency", func(t *testing.T) {
		// Distinct visit counts 1, 2, 3, 5, 8, 13 (d = 6) have ranks 0–5
		// and score 1 + rank×5/6: 1, 1, 2, 3, 4, 5. The four one-visit
		// members share a score, as do the two two-visit ones.
		var members []central.MemberStats
		for _, v := range []int64{1, 1, 1, 1, 2, 2, 3, 5, 8, 13} {
			members = append(members, clsRegular("C", v, 1000, 100, 1))
		}
		got := clsScores(central.ScoreRFM(members, clsAsOf), func(s central.RFMScore) uint8 { return s.F })
		if want := []uint8{1, 1, 1, 1, 1, 1, 2, 3, 4, 5}; !slices.Equal(got, want) {
			t.Errorf("F = %v, want %v", got, want)
		}
	})
	t.Run("Recency", func(t *testing.T) {
		// Days 0, 0, 3, 10, 30, 90, never, and a purchase after asOf
		// (day 0): distinct 0, 3, 10, 30, 90, never; worst first they
		// score 1, 1, 2, 3, 4, 5.
		var members []central.MemberStats
		for _, d := range []int{0, 0, 3, 10, 30, 90} {
			members = append(members, clsRegular("C", 1, 1000, 1000, d))
		}
		members[1].LastPurchase = clsAsOf.Add(-23 * time.Hour) // still day 0
		never := clsRegular("NEVER", 0, 0, 0, 0)
		never.LastPurchase = time.Time{}
		future := clsRegular("FUTURE", 1, 1000, 1000, -2)
		members = append(members, never, future)
		got := clsScores(central.ScoreRFM(members, clsAsOf), func(s central.RFMScore) uint8 { return s.R })
		if want := []uint8{5, 5, 4, 3, 2, 1, 1, 5}; !slices.Equal(got, want) {
			t.Errorf("R = %v, want %v", got, want)
		}
	})
	t.Run("MonetaryTiesAndExcluded", func(t *testing.T) {
		// Ten spends in five distinct pairs score 1,1,2,2,...,5,5. A
		// staff card and a test card with far bigger spends change
		// nothing and score 0.
		var members []central.MemberStats
		for _, s := range []int64{900, 900, 700, 700, 500, 500, 300, 300, 100, 100} {
			members = append(members, clsRegular("C", 2, s, s/2, 5))
		}
		staff := clsRegular("STAFF", 50, 1_000_000, 1000, 0)
		staff.Staff = true
		test := clsRegular("TEST", 50, 2_000_000, 1000, 0)
		test.Test = true
		got := central.ScoreRFM(append(members, staff, test), clsAsOf)
		m := clsScores(got, func(s central.RFMScore) uint8 { return s.M })
		if want := []uint8{5, 5, 4, 4, 3, 3, 2, 2, 1, 1, 0, 0}; !slices.Equal(m, want) {
			t.Errorf("M = %v, want %v", m, want)
		}
		for _, s := range got[10:] {
			if s != (central.RFMScore{}) {
				t.Errorf("excluded card scored %+v, want zero", s)
			}
		}
	})
	t.Run("OneValue", func(t *testing.T) {
		members := []central.MemberStats{clsRegular("A", 3, 500, 100, 2), clsRegular("B", 3, 500, 100, 2)}
		for _, s := range central.ScoreRFM(members, clsAsOf) {
			if s.R != 1 || s.F != 1 || s.M != 1 || s.Segment != central.RFMLost {
				t.Errorf("identical members scored %+v, want 1,1,1 lost", s)
			}
		}
	})
	t.Run("Segments", func(t *testing.T) {
		// Five members, each best or worst in chosen dimensions, so
		// every score is 1 or 5 (five distinct values per dimension).
		members := []central.MemberStats{
			clsRegular("CHAMP", 50, 90_000, 900, 0),
			clsRegular("GONEBEST", 49, 95_000, 900, 300),
			clsRegular("NEWBIE", 1, 50_000, 900, 1),
			clsRegular("MID", 10, 40_000, 900, 100),
			clsRegular("LOST", 2, 100, 100, 301),
		}
		got := central.ScoreRFM(members, clsAsOf)
		want := []central.RFMScore{
			{R: 5, F: 5, M: 4, Segment: central.RFMChampions},
			{R: 2, F: 4, M: 5, Segment: central.RFMCantLose},
			{R: 4, F: 1, M: 3, Segment: central.RFMNew},
			{R: 3, F: 3, M: 2, Segment: central.RFMPotential},
			{R: 1, F: 2, M: 1, Segment: central.RFMLost},
		}
		if !slices.Equal(got, want) {
			t.Errorf("scores %+v\nwant   %+v", got, want)
		}
	})
}

func TestRFMSegmentOf(t *testing.T) {
	for _, tt := range []struct {
		r, f, m uint8
		want    central.RFMSegment
	}{
		{5, 5, 5, central.RFMChampions},
		{4, 4, 4, central.RFMChampions},
		{4, 3, 4, central.RFMLoyal},
		{3, 5, 5, central.RFMLoyal},
		{3, 3, 3, central.RFMLoyal},
		{5, 1, 4, central.RFMNew},
		{4, 1, 1, central.RFMNew},
		{5, 2, 3, central.RFMPotential},
		{3, 1, 1, central.RFMPotential},
		{2, 5, 4, central.RFMCantLose},
		{1, 4, 5, central.RFMCantLose},
		{2, 4, 4, central.RFMAtRisk},
		{1, 3, 3, central.RFMAtRisk},
		{2, 2, 3, central.RFMHibernating},
		{1, 2, 3, central.RFMLost},
		{1, 1, 1, central.RFMLost},
		{0, 5, 5, central.RFMExcluded},
		{5, 0, 5, central.RFMExcluded},
		{5, 5, 0, central.RFMExcluded},
	} {
		if got := central.RFMSegmentOf(tt.r, tt.f, tt.m); got != tt.want {
			t.Errorf("RFMSegmentOf(%d, %d, %d) = %s, want %s", tt.r, tt.f, tt.m, got, tt.want)
		}
	}
	// Every scored member has a real segment, and every segment is used.
	used := map[central.RFMSegment]int{}
	for r := uint8(1); r <= central.RFMBands; r++ {
		for f := uint8(1); f <= central.RFMBands; f++ {
			for m := uint8(1); m <= central.RFMBands; m++ {
				s := central.RFMSegmentOf(r, f, m)
				if s < central.RFMChampions || s > central.RFMLost {
					t.Errorf("RFMSegmentOf(%d, %d, %d) = %d, not a segment", r, f, m, s)
				}
				used[s]++
			}
		}
	}
	if len(used) != 8 {
		t.Errorf("segments used %v, want all 8", used)
	}
}

func TestRecencyDays(t *testing.T) {
	m := clsRegular("C", 1, 1, 1, 0)
	for _, tt := range []struct {
		last time.Time
		want int64
	}{
		{clsAsOf, 0},
		{clsAsOf.Add(-24*time.Hour + time.Second), 0},
		{clsAsOf.Add(-24 * time.Hour), 1},
		{clsAsOf.AddDate(0, 0, -365), 365},
		{clsAsOf.Add(time.Hour), 0},
		{time.Time{}, math.MaxInt64},
		{time.Unix(0, 0), 20634},
	} {
		m.LastPurchase = tt.last
		if got := central.RecencyDays(&m, clsAsOf); got != tt.want {
			t.Errorf("RecencyDays(%s) = %d, want %d", tt.last, got, tt.want)
		}
	}
}
