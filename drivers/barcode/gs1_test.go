package barcode

import (
	"errors"
	"fmt"
	"testing"
)

func TestParseGS1(t *testing.T) {
	tests := []struct {
		name string
		data string
		want string
	}{
		{"DevicesVector", "]C10109506000134352172012251" + "0ABC123\x1d21XYZ", "(01)09506000134352 (17)201225 (10)ABC123 (21)XYZ"},
		{"NoAIM", "0109506000134352172012251" + "0ABC123", "(01)09506000134352 (17)201225 (10)ABC123"},
		{"LeadingFNC1", "\x1d0109506000134352", "(01)09506000134352"},
		{"SSCC", "00106141411234567897", "(00)106141411234567897"},
		{"NetWeightAndGLN", "]C1010950600013435231030012504101234567890128", "(01)09506000134352 (3103)001250 (410)1234567890128"},
		{"ShipToGLN", "4101234567890128", "(410)1234567890128"},
		{"VariableThenFixed", "30150\x1d0109506000134352", "(30)150 (01)09506000134352"},
		{"SeparatorAfterFixed", "17201225\x1d10AB", "(17)201225 (10)AB"},
		{"AmountPayable", "39221299", "(3922)1299"},
		{"Expiry7003", "70032512312359", "(7003)2512312359"},
		{"Coupon8200", "8200http://example.com", "(8200)http://example.com"},
		{"CompanyInternal", "91abc\x1d92def", "(91)abc (92)def"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ais, err := ParseGS1(tt.data)
			if err != nil {
				t.Fatalf("ParseGS1(%q): %v", tt.data, err)
			}
			if got := formatAIs(ais); got != tt.want {
				t.Fatalf("ParseGS1(%q) = %s, want %s", tt.data, got, tt.want)
			}
		})
	}
}

func formatAIs(ais []AI) string {
	s := ""
	for i, a := range ais {
		if i > 0 {
			s += " "
		}
		s += fmt.Sprintf("(%s)%s", a.Code, a.Value)
	}
	return s
}

func TestParseGS1_Err(t *testing.T) {
	tests := []struct {
		name string
		data string
		want error
	}{
		{"Empty", "", ErrFormat},
		{"OnlyAIM", "]C1", ErrFormat},
		{"TruncatedGTIN", "]C1010950600013435", ErrFormat},
		{"TruncatedDate", "0109506000134352172012", ErrFormat},
		{"BadGTINCheckDigit", "0109506000134353", ErrCheckDigit},
		{"BadSSCCCheckDigit", "00106141411234567890", ErrCheckDigit},
		{"UnknownAI", "010950600013435288", ErrUnknownAI},
		{"TruncatedWeight", "]C1010950600013435231030012503100", ErrFormat},
		{"UnknownAIAtStart", "7777", ErrUnknownAI},
		{"LotTooLong", "10123456789012345678901", ErrFormat},
		{"EmptyLot", "10\x1d21X", ErrFormat},
		{"NonNumericDate", "1720A225", ErrFormat},
		{"NonNumericCount", "30AB", ErrFormat},
		{"ExpiryTooShort", "7003251231", ErrFormat},
		{"AICutShort", "800", ErrUnknownAI},
		{"DoubleSeparator", "10AB\x1d\x1d21X", ErrFormat},
		{"Garbage", "\x00\xff", ErrUnknownAI},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ais, err := ParseGS1(tt.data)
			if !errors.Is(err, tt.want) || ais != nil {
				t.Fatalf("ParseGS1(%q) = %v, %v; want %v", tt.data, ais, err, tt.want)
			}
		})
	}
}
