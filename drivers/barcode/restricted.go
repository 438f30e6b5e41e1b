package barcode

import (
	"fmt"
	"strconv"
	"strings"
)

// RestrictedLayout describes one chain's restricted-circulation EAN-13
// (GS1 prefixes 20–29, GS1 General Specifications §2.1.12): which codes
// it applies to and where the item code and the embedded value sit.
//
// The 13 digits are read left to right as: the GS1 prefix (two digits,
// or Prefix when it is longer), ItemDigits of item code, one price check
// digit if PriceCheckDigit, ValueDigits of value, and the EAN-13 check
// digit. So Prefix "2" (any of 20–29) with 5 item and 5 value digits is
// "2d IIIII VVVVV C", and Prefix "21" with 4 item digits, a price check
// digit and 5 value digits is "21 IIII P VVVVV C". The parts must add up
// to 13 digits or the layout is refused (ErrLayout).
type RestrictedLayout struct {
	Prefix          string // "2" or "20".."29", optionally longer
	ItemDigits      int
	ValueDigits     int
	PriceCheckDigit bool // only with 4 or 5 ValueDigits (§7.9.3, §7.9.4)
}

// Restricted is what a restricted-circulation barcode carries.
type Restricted struct {
	ItemCode int64
	Value    int64 // price in minor units or weight, as the layout says
	Layout   int   // index of the layout used
}

// ParseRestricted reads a 13-digit restricted-circulation EAN-13 with the
// first layout whose Prefix it starts with. It returns matched == false
// and a nil error when code is not 13 digits starting with 2 or no layout
// applies (the caller then treats it as an ordinary GTIN). A matched code
// with a wrong EAN-13 check digit returns a *CheckDigitError, a wrong
// price check digit an error wrapping ErrPriceCheckDigit, and an
// impossible layout an error wrapping ErrLayout; whenever matched is
// true, the result's Layout names the layout used, even with an error.
func ParseRestricted(ean13 string, layouts []RestrictedLayout) (Restricted, bool, error) {
	if len(ean13) != 13 || ean13[0] != '2' || !allDigits(ean13) {
		return Restricted{}, false, nil
	}
	idx := -1
	for i, l := range layouts {
		if l.Prefix != "" && strings.HasPrefix(ean13, l.Prefix) {
			idx = i
			break
		}
	}
	if idx < 0 {
		return Restricted{}, false, nil
	}
	l := layouts[idx]
	if err := l.Validate(); err != nil {
		return Restricted{Layout: idx}, true, err
	}
	if err := verifyCheckDigit(ean13); err != nil {
		return Restricted{Layout: idx}, true, err
	}
	pos := max(len(l.Prefix), 2)
	item := ean13[pos : pos+l.ItemDigits]
	pos += l.ItemDigits
	if l.PriceCheckDigit {
		pos++
	}
	value := ean13[pos : pos+l.ValueDigits]
	if l.PriceCheckDigit {
		want := PriceCheckDigit(value)
		if got := int(ean13[pos-1] - '0'); got != want {
			return Restricted{Layout: idx}, true, fmt.Errorf("barcode %s: %w: price check digit is %d, expected %d",
				ean13, ErrPriceCheckDigit, got, want)
		}
	}
	// At most 10 digits each (checked above): they fit an int64.
	r := Restricted{Layout: idx}
	var err error
	if r.ItemCode, err = strconv.ParseInt(item, 10, 64); err != nil {
		return Restricted{Layout: idx}, true, fmt.Errorf("barcode %s: item code: %w", ean13, err)
	}
	if r.Value, err = strconv.ParseInt(value, 10, 64); err != nil {
		return Restricted{Layout: idx}, true, fmt.Errorf("barcode %s: value: %w", ean13, err)
	}
	return r, true, nil
}

// Validate reports whether the layout fills exactly the 12 digits before
// the EAN-13 check digit (the GS1 prefix counts as two digits even when
// Prefix is "2"); the error wraps ErrLayout and says what is wrong.
func (l RestrictedLayout) Validate() error {
	if !allDigits(l.Prefix) || l.Prefix[0] != '2' || len(l.Prefix) > 11 {
		return fmt.Errorf("layout prefix %q: %w: must be digits starting with 2", l.Prefix, ErrLayout)
	}
	if l.ItemDigits < 1 || l.ValueDigits < 1 {
		return fmt.Errorf("layout %q: %w: item and value need at least one digit each", l.Prefix, ErrLayout)
	}
	if l.PriceCheckDigit && l.ValueDigits != 4 && l.ValueDigits != 5 {
		return fmt.Errorf("layout %q: %w: a price check digit needs a 4- or 5-digit value", l.Prefix, ErrLayout)
	}
	n := max(len(l.Prefix), 2) + l.ItemDigits + l.ValueDigits + 1
	if l.PriceCheckDigit {
		n++
	}
	if n != 13 {
		return fmt.Errorf("layout %q: %w: prefix, item, value and check digits make %d digits, an EAN-13 has 13",
			l.Prefix, ErrLayout, n)
	}
	return nil
}

// PriceCheckDigit returns the price check digit of a 4- or 5-digit price
// or weight field (GS1 General Specifications §7.9.3 and §7.9.4), or -1
// for any other input.
//
//   - 4 digits: weights 2-, 2-, 3, 5-; the check digit is the units digit
//     of 3 × the sum of the weighted products.
//   - 5 digits: weights 5+, 2-, 5-, 5+, 2-; take 10 minus the units digit
//     of the sum (mod 10); the check digit is the digit whose 5- weighted
//     product equals it.
func PriceCheckDigit(value string) int {
	if !allDigits(value) {
		return -1
	}
	// Weighted products of GS1 General Specifications §7.9.2, by digit
	// (local so that no table is shared, mutable package state).
	weight2Minus := [10]int{0, 2, 4, 6, 8, 9, 1, 3, 5, 7} // 2×d, units − tens
	weight3 := [10]int{0, 3, 6, 9, 2, 5, 8, 1, 4, 7}      // units of 3×d
	weight5Plus := [10]int{0, 5, 1, 6, 2, 7, 3, 8, 4, 9}  // 5×d, units + tens
	weight5Minus := [10]int{0, 5, 9, 4, 8, 3, 7, 2, 6, 1} // 5×d, units − tens
	d := func(i int) int { return int(value[i] - '0') }
	switch len(value) {
	case 4:
		sum := weight2Minus[d(0)] + weight2Minus[d(1)] + weight3[d(2)] + weight5Minus[d(3)]
		return sum * 3 % 10
	case 5:
		sum := weight5Plus[d(0)] + weight2Minus[d(1)] + weight5Minus[d(2)] + weight5Plus[d(3)] + weight2Minus[d(4)]
		target := (10 - sum%10) % 10
		for c, p := range weight5Minus {
			if p == target {
				return c
			}
		}
	}
	return -1
}
