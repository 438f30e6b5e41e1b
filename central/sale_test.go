package central_test

import (
	"math"
	"testing"

	"github.com/tillsync/tillsync/central"
)

func TestMaskCard(t *testing.T) {
	for in, want := range map[string]string{"": "", "123": "***", "1234": "****", "6200001234567890": "************7890"} {
		if got := central.MaskCard(in); got != want {
			t.Errorf("MaskCard(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFormatFen(t *testing.T) {
	for in, want := range map[int64]string{
		0: "0.00", 5: "0.05", 100: "1.00", 123405: "1234.05", -50: "-0.50",
		math.MinInt64: "-92233720368547758.08", math.MaxInt64: "92233720368547758.07",
	} {
		if got := central.FormatFen(in); got != want {
			t.Errorf("FormatFen(%d) = %q, want %q", in, got, want)
		}
	}
}
