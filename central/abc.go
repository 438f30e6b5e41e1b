package central

import "math/bits"

// ABCClass is a member's ABC class by share of spend.
type ABCClass uint8

// ABC classes. ABCExcluded is the class of staff and test cards.
const (
	ABCExcluded ABCClass = iota
	ABCA
	ABCB
	ABCC
)

var abcText = [...]string{"excluded", "a", "b", "c"}

// String returns "a", "b", "c" or "excluded", or "unknown" for a value
// that is not a class.
func (c ABCClass) String() string {
	if int(c) >= len(abcText) {
		return "unknown"
	}
	return abcText[c]
}

// ABCOptions are the cumulative spend shares, in basis points, that end
// class A and class B; class C is the rest.
type ABCOptions struct {
	AUpToBP int64 // default 8000 (A: the first 80 % of spend)
	BUpToBP int64 // default 9500 (B: up to 95 %)
}

// DefaultABCOptions returns the common 80 / 15 / 5 split of cumulative
// spend (domain notes, segmentation practice: ABC has no fixed cut).
func DefaultABCOptions() ABCOptions { return ABCOptions{AUpToBP: 8000, BUpToBP: 9500} }

// Validate returns an EINVALID *Error naming the first bad share, or nil:
// 0 ≤ AUpToBP ≤ BUpToBP ≤ 10000.
func (o ABCOptions) Validate() error {
	if err := checkShareBP("abc.a_up_to_bp", o.AUpToBP); err != nil {
		return err
	}
	if err := checkShareBP("abc.b_up_to_bp", o.BUpToBP); err != nil {
		return err
	}
	if o.BUpToBP < o.AUpToBP {
		return Errorf(EINVALID, "abc.b_up_to_bp %d must not be below abc.a_up_to_bp %d", o.BUpToBP, o.AUpToBP)
	}
	return nil
}

// ClassifyABC returns the ABC class of each member, in input order, or an
// EINVALID *Error when o is invalid.
//
// Classified members are sorted by SpendFen, highest first (a negative
// net spend counts as 0). A run of equal spends is classed as one by the
// spend of everyone above it: A while that is below o.AUpToBP of the
// total, B while below o.BUpToBP, else C. So the run that crosses 80 % is
// still A (A is what it takes to reach 80 %, and the top spender is A
// however large their share), ties are never split, and members with no
// spend are C. When no one spent anything, everyone is C.
func ClassifyABC(members []MemberStats, o ABCOptions) ([]ABCClass, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	out := make([]ABCClass, len(members))
	abcInto(out, members, o, make([]ranked, 0, len(members)))
	return out, nil
}

// abcInto writes the class of every member into dst (len(members)) using
// buf as scratch, and returns buf for reuse. o must be valid.
func abcInto(dst []ABCClass, members []MemberStats, o ABCOptions, buf []ranked) []ranked {
	clear(dst)
	buf = rankDesc(buf, members, func(m *MemberStats) int64 { return max(m.SpendFen, 0) })
	var total u128
	for _, r := range buf {
		total = total.add(uint64(r.key))
	}
	// Compare before/total with bp/10000 as before×10000 < bp×total, in
	// 128 bits: a million members' spends overflow int64 once scaled.
	aLimit, bLimit := total.mul(uint64(o.AUpToBP)), total.mul(uint64(o.BUpToBP))
	var before u128
	for i := 0; i < len(buf); {
		end := tieEnd(buf, i)
		scaled := before.mul(fullShareBP)
		class := ABCC
		switch {
		case scaled.less(aLimit):
			class = ABCA
		case scaled.less(bLimit):
			class = ABCB
		}
		for _, r := range buf[i:end] {
			dst[r.idx] = class
			before = before.add(uint64(r.key))
		}
		i = end
	}
	return buf
}

// u128 is an unsigned 128-bit integer: a sum of fewer than 2^50
// non-negative int64 values (< 2^113), times a basis-point share up to
// 10000 (< 2^14), stays below 2^127.
type u128 struct{ hi, lo uint64 }

func (x u128) add(v uint64) u128 {
	lo, carry := bits.Add64(x.lo, v, 0)
	return u128{hi: x.hi + carry, lo: lo}
}

// mul returns x×k for k ≤ 10000; it does not overflow while x < 2^114.
func (x u128) mul(k uint64) u128 {
	hi, lo := bits.Mul64(x.lo, k)
	return u128{hi: x.hi*k + hi, lo: lo}
}

func (x u128) less(y u128) bool { return x.hi < y.hi || (x.hi == y.hi && x.lo < y.lo) }
