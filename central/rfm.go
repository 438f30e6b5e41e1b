package central

import (
	"math"
	"time"
)

// RFMBands is the number of scores per RFM dimension: 1 (worst) to 5.
const RFMBands = 5

// RFMScore is a member's recency, frequency and monetary scores, each 1 to
// RFMBands (5 best), and the segment they name. Staff and test cards
// score 0 in every dimension, segment RFMExcluded.
type RFMScore struct {
	R, F, M uint8
	Segment RFMSegment
}

// RFMSegment is a named group of RFM scores (see RFMSegmentOf).
type RFMSegment uint8

// RFM segments. RFMExcluded is the segment of staff and test cards.
const (
	RFMExcluded RFMSegment = iota
	RFMChampions
	RFMLoyal
	RFMNew
	RFMPotential
	RFMCantLose
	RFMAtRisk
	RFMHibernating
	RFMLost
)

var rfmText = [...]string{"excluded", "champions", "loyal", "new", "potential", "cant_lose", "at_risk", "hibernating", "lost"}

// String returns the segment's snake_case name ("champions", "at_risk",
// ...), or "unknown" for a value that is not a segment.
func (s RFMSegment) String() string {
	if int(s) >= len(rfmText) {
		return "unknown"
	}
	return rfmText[s]
}

// RFMSegmentOf names the segment of scores r, f, m (each 1–5). The first
// matching row wins; fm = f + m (2–10) stands for how much the member is
// worth, so frequency and money weigh alike:
//
//	champions    r ≥ 4, fm ≥ 8   recent, frequent, big spenders
//	loyal        r ≥ 3, fm ≥ 6   regulars worth keeping close
//	new          r ≥ 4, f = 1    just came, not yet back
//	potential    r ≥ 3           recent, not yet worth much
//	cant_lose    r ≤ 2, fm ≥ 9   were among the best, now away
//	at_risk      r ≤ 2, fm ≥ 6   were good, now away
//	hibernating  r = 2           away, worth little
//	lost         r = 1           long gone, worth little
//
// Every (r, f, m) with scores 1–5 has exactly one segment; a score of 0
// in any dimension (an excluded member) gives RFMExcluded.
func RFMSegmentOf(r, f, m uint8) RFMSegment {
	if r == 0 || f == 0 || m == 0 {
		return RFMExcluded
	}
	fm := f + m
	switch {
	case r >= 4 && fm >= 8:
		return RFMChampions
	case r >= 3 && fm >= 6:
		return RFMLoyal
	case r >= 4 && f == 1:
		return RFMNew
	case r >= 3:
		return RFMPotential
	case fm >= 9:
		return RFMCantLose
	case fm >= 6:
		return RFMAtRisk
	case r == 2:
		return RFMHibernating
	default:
		return RFMLost
	}
}

// RecencyDays is the number of whole days (24 h) from m's last purchase to
// asOf: 0 for a purchase in the last day or after asOf (a till's clock
// ahead of central's), math.MaxInt64 for a member who never bought.
func RecencyDays(m *MemberStats, asOf time.Time) int64 {
	if m.LastPurchase.IsZero() {
		return math.MaxInt64
	}
	return max(int64(asOf.Sub(m.LastPurchase)/(24*time.Hour)), 0)
}

// ScoreRFM returns the RFM score of each member, in input order, as of
// asOf (the end of the window). Recency is RecencyDays (fewer is better),
// frequency is Visits, monetary is SpendFen.
//
// Bands are cut on the distinct values of each dimension, not on members:
// with d distinct values among the classified members, the value of
// rank k (0 = worst) scores 1 + k×5/d (integer division). Equal values
// therefore always score alike — plain quantile cuts or NTILE split a
// bunch of equal customers (frequency bunches at one visit) arbitrarily
// between two scores (domain notes, segmentation practice) — and an
// outlier counts as one value however far out it lies, so no capping is
// needed. With fewer than 5 distinct values
// not every score is used (one value: all score 1).
func ScoreRFM(members []MemberStats, asOf time.Time) []RFMScore {
	out := make([]RFMScore, len(members))
	rfmInto(out, members, asOf, make([]ranked, 0, len(members)))
	return out
}

// rfmInto writes the score of every member into dst (len(members)) using
// buf as scratch, and returns buf for reuse.
func rfmInto(dst []RFMScore, members []MemberStats, asOf time.Time, buf []ranked) []ranked {
	clear(dst)
	buf = rankDesc(buf, members, func(m *MemberStats) int64 { return -RecencyDays(m, asOf) })
	bandInto(buf, func(i int, s uint8) { dst[i].R = s })
	buf = rankDesc(buf, members, func(m *MemberStats) int64 { return m.Visits })
	bandInto(buf, func(i int, s uint8) { dst[i].F = s })
	buf = rankDesc(buf, members, func(m *MemberStats) int64 { return m.SpendFen })
	bandInto(buf, func(i int, s uint8) { dst[i].M = s })
	for i := range dst {
		dst[i].Segment = RFMSegmentOf(dst[i].R, dst[i].F, dst[i].M)
	}
	return buf
}

// bandInto calls set(idx, score) for every entry of sorted (best first),
// scoring on distinct keys as ScoreRFM describes.
func bandInto(sorted []ranked, set func(idx int, score uint8)) {
	distinct := 0
	for i := 0; i < len(sorted); i = tieEnd(sorted, i) {
		distinct++
	}
	// Walking best first, the k-th distinct value from the top has rank
	// distinct-1-k from the bottom.
	rank := distinct - 1
	for i := 0; i < len(sorted); rank-- {
		end := tieEnd(sorted, i)
		score := uint8(1 + rank*RFMBands/distinct)
		for _, r := range sorted[i:end] {
			set(r.idx, score)
		}
		i = end
	}
}
