package http

import (
	"math"
	"testing"
)

func TestScale(t *testing.T) {
	for _, tc := range []struct {
		v, maxV int64
		span    int
		want    int
	}{
		{600, 2000, 440, 132},
		{2000, 2000, 440, 440},
		{0, 2000, 440, 0},
		{-5, 2000, 440, 0},
		{5, 0, 440, 0},
		{1, math.MaxInt64, 440, 0},
		{math.MaxInt64, math.MaxInt64, 440, 440}, // v×span overflows 64 bits
		{math.MaxInt64 / 2, math.MaxInt64, 440, 219},
	} {
		if got := scale(tc.v, tc.maxV, tc.span); got != tc.want {
			t.Errorf("scale(%d, %d, %d) = %d, want %d", tc.v, tc.maxV, tc.span, got, tc.want)
		}
	}
}

func TestSalesChart(t *testing.T) {
	c := salesChart([]storeRow{{StoreID: "s1", TotalFen: 600}, {StoreID: "s2", TotalFen: 1200}, {StoreID: "s3", TotalFen: -100}})
	if len(c.Bars) != 3 || c.Height != chartGap+3*(chartBar+chartGap) {
		t.Fatalf("chart %+v", c)
	}
	span := chartWidth - chartLabel - chartValueRoom
	if c.Bars[0].W != span/2 || c.Bars[1].W != span || c.Bars[2].W != 0 || c.Bars[2].Value != "-1.00" {
		t.Fatalf("bars %+v", c.Bars)
	}
	if c.Bars[1].Y != chartGap+chartBar+chartGap {
		t.Fatalf("second bar at y %d", c.Bars[1].Y)
	}
}
