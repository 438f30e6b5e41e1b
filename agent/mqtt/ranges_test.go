package mqtt

import (
	"math"
	"slices"
	"testing"
)

func set(rs ...seqRange) rangeSet {
	var s rangeSet
	for _, r := range rs {
		s.add(r)
	}
	return s
}

func TestRangeSet_Add(t *testing.T) {
	for _, tt := range []struct {
		name string
		add  []seqRange
		want []seqRange
	}{
		{"Empty", nil, nil},
		{"One", []seqRange{{3, 5}}, []seqRange{{3, 5}}},
		{"Disjoint", []seqRange{{7, 9}, {1, 2}, {4, 5}}, []seqRange{{1, 2}, {4, 5}, {7, 9}}},
		{"Adjacent", []seqRange{{1, 2}, {3, 4}}, []seqRange{{1, 4}}},
		{"AdjacentBefore", []seqRange{{3, 4}, {1, 2}}, []seqRange{{1, 4}}},
		{"Overlap", []seqRange{{1, 5}, {3, 8}}, []seqRange{{1, 8}}},
		{"Duplicate", []seqRange{{2, 4}, {2, 4}}, []seqRange{{2, 4}}},
		{"Inside", []seqRange{{1, 10}, {3, 4}}, []seqRange{{1, 10}}},
		{"Bridges", []seqRange{{1, 2}, {6, 7}, {10, 12}, {3, 9}}, []seqRange{{1, 12}}},
		{"Covers", []seqRange{{4, 5}, {8, 9}, {1, 20}}, []seqRange{{1, 20}}},
		{"Single", []seqRange{{1, 1}, {3, 3}, {2, 2}}, []seqRange{{1, 3}}},
		{"MaxSeq", []seqRange{{5, math.MaxUint64}, {1, 4}}, []seqRange{{1, math.MaxUint64}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := set(tt.add...)
			if !slices.Equal(s.rs, tt.want) {
				t.Errorf("got %v, want %v", s.rs, tt.want)
			}
		})
	}
}

func TestRangeSet_Extend(t *testing.T) {
	for _, tt := range []struct {
		name string
		set  rangeSet
		from uint64
		want uint64
	}{
		{"Empty", set(), 4, 4},
		{"Contiguous", set(seqRange{5, 9}), 4, 9},
		{"Gap", set(seqRange{6, 9}), 4, 4},
		{"Overlapping", set(seqRange{1, 9}), 4, 9},
		{"Below", set(seqRange{1, 3}), 4, 4},
		{"StopsAtGap", set(seqRange{1, 6}, seqRange{8, 9}), 0, 6},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.set.extend(tt.from); got != tt.want {
				t.Errorf("extend(%d) = %d, want %d", tt.from, got, tt.want)
			}
		})
	}
}

func TestRangeSet_DropThrough(t *testing.T) {
	for _, tt := range []struct {
		name string
		set  rangeSet
		seq  uint64
		want []seqRange
	}{
		{"Empty", set(), 4, nil},
		{"All", set(seqRange{1, 2}, seqRange{4, 4}), 4, nil},
		{"Trims", set(seqRange{1, 6}, seqRange{8, 9}), 4, []seqRange{{5, 6}, {8, 9}}},
		{"None", set(seqRange{8, 9}), 4, []seqRange{{8, 9}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.set.dropThrough(tt.seq)
			if !slices.Equal(tt.set.rs, tt.want) {
				t.Errorf("got %v, want %v", tt.set.rs, tt.want)
			}
		})
	}
}

func TestRangeSet_DropAbove(t *testing.T) {
	for _, tt := range []struct {
		name    string
		set     rangeSet
		seq     uint64
		want    []seqRange
		dropped bool
	}{
		{"Empty", set(), 4, nil, false},
		{"None", set(seqRange{1, 4}), 4, []seqRange{{1, 4}}, false},
		{"Trims", set(seqRange{1, 6}), 4, []seqRange{{1, 4}}, true},
		{"Removes", set(seqRange{1, 2}, seqRange{5, 9}), 4, []seqRange{{1, 2}}, true},
		{"All", set(seqRange{5, 9}), 4, nil, true},
		{"Zero", set(seqRange{1, 9}), 0, nil, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dropped := tt.set.dropAbove(tt.seq)
			if !slices.Equal(tt.set.rs, tt.want) || dropped != tt.dropped {
				t.Errorf("got %v, %v; want %v, %v", tt.set.rs, dropped, tt.want, tt.dropped)
			}
		})
	}
}

func TestRangeSet_Lookups(t *testing.T) {
	s := set(seqRange{3, 5}, seqRange{9, 9})
	for _, tt := range []struct {
		seq      uint64
		covering seqRange
		covered  bool
		next     uint64
	}{
		{1, seqRange{}, false, 3},
		{2, seqRange{}, false, 3},
		{3, seqRange{3, 5}, true, 4},
		{5, seqRange{3, 5}, true, 9},
		{6, seqRange{}, false, 9},
		{9, seqRange{9, 9}, true, 0},
		{10, seqRange{}, false, 0},
	} {
		r, ok := s.covering(tt.seq)
		if r != tt.covering || ok != tt.covered {
			t.Errorf("covering(%d) = %v, %v; want %v, %v", tt.seq, r, ok, tt.covering, tt.covered)
		}
		if got := s.nextAfter(tt.seq); got != tt.next {
			t.Errorf("nextAfter(%d) = %d, want %d", tt.seq, got, tt.next)
		}
	}
	for _, tt := range []struct {
		r    seqRange
		want bool
	}{
		{seqRange{3, 5}, true},
		{seqRange{4, 4}, true},
		{seqRange{3, 6}, false},
		{seqRange{2, 3}, false},
		{seqRange{5, 9}, false},
	} {
		if got := s.contains(tt.r); got != tt.want {
			t.Errorf("contains(%v) = %v, want %v", tt.r, got, tt.want)
		}
	}
}
