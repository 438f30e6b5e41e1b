package barcode

import (
	"errors"
	"testing"
)

func TestPriceCheckDigit(t *testing.T) {
	tests := []struct {
		value string
		want  int
	}{
		// 4 digits, weights 2-, 2-, 3, 5- (GS1 General Specifications §7.9.3):
		// 2→4, 8→5 (16: 6−1), 7→1 (21), 5→3 (25: 5−2); sum 13; 13×3 = 39 → 9.
		{"2875", 9},
		// 0000: all products 0, sum 0 → 0.
		{"0000", 0},
		// 5 digits, weights 5+, 2-, 5-, 5+, 2- (§7.9.4):
		// 1→5, 4→8, 6→7 (30: 0−3 → 7), 8→4 (40: 0+4), 5→9 (10: 0−1 → 9);
		// sum 33; 10 − 3 = 7; the digit whose 5- product is 7 is 6.
		{"14685", 6},
		{"00000", 0},
		{"123", -1},
		{"12a45", -1},
	}
	for _, tt := range tests {
		if got := PriceCheckDigit(tt.value); got != tt.want {
			t.Errorf("PriceCheckDigit(%q) = %d, want %d", tt.value, got, tt.want)
		}
	}
}

func TestParseRestricted(t *testing.T) {
	layouts := []RestrictedLayout{
		{Prefix: "22", ItemDigits: 4, ValueDigits: 5, PriceCheckDigit: true},
		{Prefix: "23", ItemDigits: 5, ValueDigits: 4, PriceCheckDigit: true},
		{Prefix: "2", ItemDigits: 5, ValueDigits: 5},
	}
	t.Run("OK", func(t *testing.T) {
		tests := []struct {
			code string
			want Restricted
		}{
			// "21" + item 00123 + value 01234 + EAN-13 check 3.
			{"2100123012343", Restricted{ItemCode: 123, Value: 1234, Layout: 2}},
			// "22" + item 1234 + price check 6 (of 14685, see above) + 14685 + 6.
			{"2212346146856", Restricted{ItemCode: 1234, Value: 14685, Layout: 0}},
			// "23" + item 12345 + price check 9 (of 2875) + 2875 + 7.
			{"2312345928757", Restricted{ItemCode: 12345, Value: 2875, Layout: 1}},
		}
		for _, tt := range tests {
			got, ok, err := ParseRestricted(tt.code, layouts)
			if err != nil || !ok || got != tt.want {
				t.Errorf("ParseRestricted(%s) = %+v, %v, %v; want %+v", tt.code, got, ok, err, tt.want)
			}
		}
	})
	t.Run("NotMatched", func(t *testing.T) {
		for _, code := range []string{"5901234123457", "210012301234", "21001230123x", "", "2100123012343"} {
			ls := layouts
			if code == "2100123012343" {
				ls = layouts[:2] // no layout for prefix 21
			}
			if got, ok, err := ParseRestricted(code, ls); ok || err != nil || got != (Restricted{}) {
				t.Errorf("ParseRestricted(%q) = %+v, %v, %v; want not matched", code, got, ok, err)
			}
		}
	})
	t.Run("Err", func(t *testing.T) {
		tests := []struct {
			code    string
			layouts []RestrictedLayout
			want    error
		}{
			{"2100123012344", layouts, ErrCheckDigit},
			// Price check digit 1 where 6 is due; EAN-13 check digit made right (1).
			{"2212341146851", layouts, ErrPriceCheckDigit},
			{"2100123012343", []RestrictedLayout{{Prefix: "2", ItemDigits: 5, ValueDigits: 4}}, ErrLayout},
			{"2100123012343", []RestrictedLayout{{Prefix: "2", ItemDigits: 4, ValueDigits: 6, PriceCheckDigit: true}}, ErrLayout},
			{"2100123012343", []RestrictedLayout{{Prefix: "2", ItemDigits: 0, ValueDigits: 10}}, ErrLayout},
		}
		for _, tt := range tests {
			_, ok, err := ParseRestricted(tt.code, tt.layouts)
			if !ok || !errors.Is(err, tt.want) {
				t.Errorf("ParseRestricted(%s) = %v, %v; want matched with %v", tt.code, ok, err, tt.want)
			}
		}
	})
}

func TestRestrictedLayout_Validate(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		for _, l := range []RestrictedLayout{
			{Prefix: "2", ItemDigits: 5, ValueDigits: 5},                         // 2d IIIII VVVVV C
			{Prefix: "21", ItemDigits: 5, ValueDigits: 5},                        // 21 IIIII VVVVV C
			{Prefix: "22", ItemDigits: 4, ValueDigits: 5, PriceCheckDigit: true}, // 22 IIII P VVVVV C
			{Prefix: "250", ItemDigits: 4, ValueDigits: 5},                       // 250 IIII VVVVV C
		} {
			if err := l.Validate(); err != nil {
				t.Errorf("%+v: %v", l, err)
			}
		}
	})
	t.Run("ErrLayout", func(t *testing.T) {
		for _, l := range []RestrictedLayout{
			{Prefix: "", ItemDigits: 5, ValueDigits: 5},
			{Prefix: "3", ItemDigits: 5, ValueDigits: 5},
			{Prefix: "2x", ItemDigits: 5, ValueDigits: 5},
			{Prefix: "2", ItemDigits: 6, ValueDigits: 5},
			{Prefix: "2", ItemDigits: 5, ValueDigits: 5, PriceCheckDigit: true},
			{Prefix: "2", ItemDigits: 3, ValueDigits: 6, PriceCheckDigit: true},
			{Prefix: "2", ItemDigits: -1, ValueDigits: 11},
		} {
			if err := l.Validate(); !errors.Is(err, ErrLayout) {
				t.Errorf("%+v: err = %v, want ErrLayout", l, err)
			}
		}
	})
}
