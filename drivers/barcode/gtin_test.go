package barcode

import (
	"errors"
	"strings"
	"testing"
)

func TestSymbology_String(t *testing.T) {
	for sym, want := range map[Symbology]string{
		EAN13: "EAN-13", EAN8: "EAN-8", UPCA: "UPC-A", UPCE: "UPC-E", GTIN14: "GTIN-14", Unknown: "unknown", Symbology(99): "unknown",
	} {
		if got := sym.String(); got != want {
			t.Errorf("Symbology(%d).String() = %q, want %q", int(sym), got, want)
		}
	}
}

func TestCheckDigit(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		// Vectors from notes/devices.md; the last digit is the one expected.
		for _, code := range []string{"5901234123457", "4006381333931", "036000291452", "96385074", "00012345600012", "042100005264"} {
			got, err := CheckDigit(code)
			if err != nil {
				t.Fatalf("CheckDigit(%s): %v", code, err)
			}
			if want := int(code[len(code)-1] - '0'); got != want {
				t.Errorf("CheckDigit(%s) = %d, want %d", code, got, want)
			}
		}
	})
	t.Run("ErrFormat", func(t *testing.T) {
		for _, in := range []string{"", "5", "12a4", " 1234"} {
			if _, err := CheckDigit(in); !errors.Is(err, ErrFormat) {
				t.Errorf("CheckDigit(%q) error = %v, want ErrFormat", in, err)
			}
		}
	})
}

func TestValidGTIN(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		for _, code := range []string{"5901234123457", "4006381333931", "036000291452", "96385074", "00012345600012"} {
			if err := ValidGTIN(code); err != nil {
				t.Errorf("ValidGTIN(%s) = %v", code, err)
			}
		}
	})
	t.Run("ErrCheckDigit", func(t *testing.T) {
		err := ValidGTIN("5901234123458")
		var cde *CheckDigitError
		if !errors.As(err, &cde) || !errors.Is(err, ErrCheckDigit) {
			t.Fatalf("err = %v, want *CheckDigitError wrapping ErrCheckDigit", err)
		}
		if cde.Got != 8 || cde.Want != 7 || !strings.Contains(err.Error(), "check digit is 8, expected 7") {
			t.Errorf("err = %v (%+v)", err, cde)
		}
	})
	t.Run("ErrFormat", func(t *testing.T) {
		for _, in := range []string{"", "123", "59012341234570", "590123412345A", "12345678901", "123456789012345"} {
			if err := ValidGTIN(in); !errors.Is(err, ErrFormat) && !errors.Is(err, ErrCheckDigit) {
				t.Errorf("ValidGTIN(%q) = %v, want ErrFormat", in, err)
			}
		}
		for _, in := range []string{"", "123", "590123412345A", "12345678901", "123456789012345"} {
			if err := ValidGTIN(in); !errors.Is(err, ErrFormat) {
				t.Errorf("ValidGTIN(%q) = %v, want ErrFormat", in, err)
			}
		}
	})
}

func TestExpandUPCE(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		tests := []struct{ upce, upca string }{
			{"04252614", "042100005264"}, // devices.md vector (last data digit 1)
			{"01234505", "012000003455"}, // 0: 12 + 0 + 0000 + 345
			{"01234531", "012300000451"}, // 3: 123 + 00000 + 45
			{"01234543", "012340000053"}, // 4: 1234 + 00000 + 5
			{"01234558", "012345000058"}, // 5–9: 12345 + 0000 + 5
		}
		for _, tt := range tests {
			got, err := ExpandUPCE(tt.upce)
			if err != nil || got != tt.upca {
				t.Errorf("ExpandUPCE(%s) = %q, %v; want %q", tt.upce, got, err, tt.upca)
			}
		}
	})
	t.Run("Err", func(t *testing.T) {
		tests := []struct {
			in   string
			want error
		}{
			{"04252615", ErrCheckDigit},
			{"24252614", ErrFormat}, // number system 2 is not UPC-E
			{"0425261", ErrFormat},
			{"0425261x", ErrFormat},
		}
		for _, tt := range tests {
			if _, err := ExpandUPCE(tt.in); !errors.Is(err, tt.want) {
				t.Errorf("ExpandUPCE(%q) error = %v, want %v", tt.in, err, tt.want)
			}
		}
	})
}

func TestNormalizeGTIN(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		tests := []struct {
			in   string
			gtin string
			sym  Symbology
		}{
			{"5901234123457", "05901234123457", EAN13},
			{"]E04006381333931", "04006381333931", EAN13},
			{"036000291452", "00036000291452", UPCA},
			{"]E0036000291452", "00036000291452", UPCA},
			{"96385074", "00000096385074", EAN8},
			{"]E496385074", "00000096385074", EAN8},
			{"00012345600012", "00012345600012", GTIN14},
			{"]I100012345600012", "00012345600012", GTIN14},
			{"]E004252614", "00042100005264", UPCE},
			// GS1-128 vector from devices.md: (01) first, then (17), (10), GS, (21).
			{"]C101095060001343521720122510ABC123\x1d21XYZ", "09506000134352", GTIN14},
			{"]e00109506000134352", "09506000134352", GTIN14},
		}
		for _, tt := range tests {
			gtin, sym, err := NormalizeGTIN(tt.in)
			if err != nil || gtin != tt.gtin || sym != tt.sym {
				t.Errorf("NormalizeGTIN(%q) = %q, %v, %v; want %q, %v", tt.in, gtin, sym, err, tt.gtin, tt.sym)
			}
		}
	})
	t.Run("Err", func(t *testing.T) {
		tests := []struct {
			in   string
			want error
		}{
			{"5901234123458", ErrCheckDigit},
			{"]E04006381333932", ErrCheckDigit},
			{"]E004252615", ErrCheckDigit},
			{"]C10109506000134353", ErrCheckDigit},
			{"96385075", ErrCheckDigit},
			{"04252614", ErrCheckDigit}, // without AIM 8 digits are EAN-8, and this is no valid EAN-8
			{"", ErrFormat},
			{"]E4", ErrFormat},
			{"]E45901234123457", ErrFormat}, // ]E4 is EAN-8 only
			{"]C0ABC123", ErrFormat},        // Code 128 carries no GTIN
			{"]C1100ABC", ErrFormat},        // GS1-128 without AI (01)
			{"]Q1https://example.com", ErrFormat},
			{"59012341234", ErrFormat},
			{"HELLO", ErrFormat},
		}
		for _, tt := range tests {
			gtin, sym, err := NormalizeGTIN(tt.in)
			if !errors.Is(err, tt.want) || gtin != "" || sym != Unknown {
				t.Errorf("NormalizeGTIN(%q) = %q, %v, %v; want error %v", tt.in, gtin, sym, err, tt.want)
			}
		}
	})
}

func TestStripAIM(t *testing.T) {
	tests := []struct{ in, aim, rest string }{
		{"]E05901234123457", "]E0", "5901234123457"},
		{"]d2010950600013435", "]d2", "010950600013435"},
		{"]Q1", "]Q1", ""},
		{"5901234123457", "", "5901234123457"},
		{"]E", "", "]E"},
		{"]0E123", "", "]0E123"},
		{"]E-123", "", "]E-123"},
		{"", "", ""},
	}
	for _, tt := range tests {
		aim, rest := StripAIM(tt.in)
		if aim != tt.aim || rest != tt.rest {
			t.Errorf("StripAIM(%q) = %q, %q; want %q, %q", tt.in, aim, rest, tt.aim, tt.rest)
		}
	}
}

func TestLuhn(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"79927398713", true},
		{"4111111111111111", true},
		{"8800123456787", true},
		{"8800123456788", false},
		{"79927398710", false},
		{"0", false},
		{"", false},
		{"7992739871a", false},
	}
	for _, tt := range tests {
		if got := Luhn(tt.in); got != tt.want {
			t.Errorf("Luhn(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
