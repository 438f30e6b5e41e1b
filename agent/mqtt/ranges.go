package mqtt

import "sort"

// seqRange is the closed interval [first, last] of journal seqs, first ≥ 1.
type seqRange struct {
	first, last uint64
}

// rangeSet is a set of seqs kept as sorted, disjoint, non-adjacent ranges.
// Acks arrive out of order and duplicated (QoS 1, shared subscriptions), so
// the uplink merges them here and only the contiguous prefix moves the
// watermark. The zero value is an empty set; it is not safe for concurrent
// use.
type rangeSet struct {
	rs []seqRange
}

// add inserts r (first ≥ 1, first ≤ last), merging it with any range it
// overlaps or touches.
func (s *rangeSet) add(r seqRange) {
	// i is the first range that ends at or after r.first-1, i.e. the first
	// one r can touch; first ≥ 1 keeps first-1 from wrapping.
	i := sort.Search(len(s.rs), func(i int) bool { return s.rs[i].last >= r.first-1 })
	j := i
	for j < len(s.rs) && s.rs[j].first-1 <= r.last {
		r.first = min(r.first, s.rs[j].first)
		r.last = max(r.last, s.rs[j].last)
		j++
	}
	s.rs = append(s.rs[:i], append([]seqRange{r}, s.rs[j:]...)...)
}

// addAll inserts every range of o.
func (s *rangeSet) addAll(o rangeSet) {
	for _, r := range o.rs {
		s.add(r)
	}
}

// dropThrough removes every seq ≤ seq.
func (s *rangeSet) dropThrough(seq uint64) {
	i := 0
	for i < len(s.rs) && s.rs[i].last <= seq {
		i++
	}
	s.rs = s.rs[i:]
	if len(s.rs) > 0 && s.rs[0].first <= seq {
		s.rs[0].first = seq + 1
	}
}

// dropAbove removes every seq > seq and reports whether it removed any.
func (s *rangeSet) dropAbove(seq uint64) bool {
	i := len(s.rs)
	for i > 0 && s.rs[i-1].first > seq {
		i--
	}
	dropped := i < len(s.rs)
	s.rs = s.rs[:i]
	if i > 0 && s.rs[i-1].last > seq {
		s.rs[i-1].last = seq
		dropped = true
	}
	return dropped
}

// extend returns the highest seq w' ≥ w such that every seq in (w, w'] is
// in the set: the watermark the set's contiguous prefix allows.
func (s *rangeSet) extend(w uint64) uint64 {
	for _, r := range s.rs {
		if r.first > w+1 {
			break
		}
		w = max(w, r.last)
	}
	return w
}

// covering returns the range holding seq, if any.
func (s *rangeSet) covering(seq uint64) (seqRange, bool) {
	i := sort.Search(len(s.rs), func(i int) bool { return s.rs[i].last >= seq })
	if i < len(s.rs) && s.rs[i].first <= seq {
		return s.rs[i], true
	}
	return seqRange{}, false
}

// nextAfter returns the first seq > seq that is in the set, or 0 if none.
func (s *rangeSet) nextAfter(seq uint64) uint64 {
	i := sort.Search(len(s.rs), func(i int) bool { return s.rs[i].last > seq })
	if i == len(s.rs) {
		return 0
	}
	return max(s.rs[i].first, seq+1)
}

// contains reports whether every seq of r is in the set.
func (s *rangeSet) contains(r seqRange) bool {
	c, ok := s.covering(r.first)
	return ok && c.last >= r.last
}

// empty reports whether the set holds no seq.
func (s *rangeSet) empty() bool { return len(s.rs) == 0 }
