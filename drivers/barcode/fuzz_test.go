package barcode

import (
	"errors"
	"strings"
	"testing"
)

// FuzzNormalizeGTIN checks that any input either fails with one of the
// package's sentinel errors or yields 14 digits with a valid check digit.
func FuzzNormalizeGTIN(f *testing.F) {
	for _, s := range []string{"5901234123457", "]E004252614", "]E496385074", "036000291452",
		"]C101095060001343521720122510ABC123\x1d21XYZ", "]I100012345600012", "", "]", "]E0", "04252614"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		gtin, sym, err := NormalizeGTIN(data)
		if err != nil {
			if !errors.Is(err, ErrFormat) && !errors.Is(err, ErrCheckDigit) {
				t.Fatalf("NormalizeGTIN(%q): unexpected error kind %v", data, err)
			}
			return
		}
		if len(gtin) != 14 || sym == Unknown {
			t.Fatalf("NormalizeGTIN(%q) = %q, %v", data, gtin, sym)
		}
		if err := ValidGTIN(gtin); err != nil {
			t.Fatalf("NormalizeGTIN(%q) = %q, which is not valid: %v", data, gtin, err)
		}
	})
}

// FuzzParseRestricted checks that parsing never panics and that a match
// reads numbers that fit the code's 13 digits.
func FuzzParseRestricted(f *testing.F) {
	for _, s := range []string{"2100123012343", "2212346146856", "2312345928757", "2999999999999", "2"} {
		f.Add(s, "2", 5, 5, false)
		f.Add(s, "22", 4, 5, true)
	}
	f.Fuzz(func(t *testing.T, code, prefix string, item, value int, pcd bool) {
		ls := []RestrictedLayout{{Prefix: prefix, ItemDigits: item, ValueDigits: value, PriceCheckDigit: pcd}}
		r, ok, err := ParseRestricted(code, ls)
		if !ok && (err != nil || r != (Restricted{})) {
			t.Fatalf("not matched but %+v, %v", r, err)
		}
		if ok && err == nil && (r.ItemCode < 0 || r.Value < 0 || !strings.HasPrefix(code, prefix)) {
			t.Fatalf("ParseRestricted(%q, %+v) = %+v", code, ls, r)
		}
	})
}

// FuzzPriceCheckDigit checks the result is a digit for 4 or 5 digits.
func FuzzPriceCheckDigit(f *testing.F) {
	f.Add("2875")
	f.Add("14685")
	f.Fuzz(func(t *testing.T, v string) {
		got := PriceCheckDigit(v)
		if (len(v) == 4 || len(v) == 5) && allDigits(v) {
			if got < 0 || got > 9 {
				t.Fatalf("PriceCheckDigit(%q) = %d", v, got)
			}
		} else if got != -1 {
			t.Fatalf("PriceCheckDigit(%q) = %d, want -1", v, got)
		}
	})
}

// FuzzParseGS1 checks that parsing never panics, fails only with the
// package's sentinels, and that a parse re-encodes (FNC1 after each
// variable-length AI) to data that parses the same.
func FuzzParseGS1(f *testing.F) {
	for _, s := range []string{"]C10109506000134352172012251" + "0ABC123\x1d21XYZ", "00106141411234567897",
		"31030012504101234567890128", "8200x\x1d91y", "", "]C1", "0", "7003"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		ais, err := ParseGS1(data)
		if err != nil {
			if !errors.Is(err, ErrFormat) && !errors.Is(err, ErrCheckDigit) {
				t.Fatalf("ParseGS1(%q): unexpected error kind %v", data, err)
			}
			return
		}
		var enc strings.Builder
		for _, a := range ais {
			enc.WriteString(a.Code + a.Value + "\x1d")
		}
		again, err := ParseGS1(enc.String())
		if err != nil || formatAIs(again) != formatAIs(ais) {
			t.Fatalf("ParseGS1(%q) = %s; re-encoded %q parses as %s, %v", data, formatAIs(ais), enc.String(), formatAIs(again), err)
		}
	})
}
