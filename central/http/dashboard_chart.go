package http

import (
	"math/bits"

	"github.com/tillsync/tillsync/central"
)

// barChart is a horizontal bar chart drawn as inline SVG by the template:
// no JavaScript and no chart library.
type barChart struct {
	Width, Height int
	LabelWidth    int // left of the bars
	BarHeight     int
	Bars          []bar
}

// bar is one bar, already laid out in SVG user units.
type bar struct {
	Label   string
	Value   string // the amount in yuan, written after the bar
	Y       int    // top of the bar
	TextY   int    // text baseline
	W       int    // bar length
	ValueX  int    // where the value text starts
	Tooltip string
}

// Chart geometry in SVG user units.
const (
	chartWidth     = 640
	chartLabel     = 90
	chartValueRoom = 110
	chartBar       = 22
	chartGap       = 8
)

// salesChart lays out one bar per store, its length proportional to the
// store's amount. Negative amounts (more refunds than sales) draw no bar.
func salesChart(stores []storeRow) barChart {
	c := barChart{Width: chartWidth, LabelWidth: chartLabel, BarHeight: chartBar}
	var maxFen int64
	for _, st := range stores {
		maxFen = max(maxFen, st.TotalFen)
	}
	span := chartWidth - chartLabel - chartValueRoom
	for i, st := range stores {
		y := chartGap + i*(chartBar+chartGap)
		w := scale(st.TotalFen, maxFen, span)
		c.Bars = append(c.Bars, bar{
			Label: st.StoreID, Value: central.FormatFen(st.TotalFen), Y: y, TextY: y + chartBar - 6, W: w,
			ValueX: chartLabel + w + 6, Tooltip: st.StoreID + ": " + central.FormatFen(st.TotalFen) + " yuan",
		})
	}
	c.Height = chartGap + len(stores)*(chartBar+chartGap)
	return c
}

// scale returns v/maxV of span, rounded down, in integers: the product
// v×span is taken in 128 bits, so no amount overflows it and no float is
// involved.
func scale(v, maxV int64, span int) int {
	if v <= 0 || maxV <= 0 {
		return 0
	}
	hi, lo := bits.Mul64(uint64(v), uint64(span))
	q, _ := bits.Div64(hi, lo, uint64(maxV)) // hi < maxV since v ≤ maxV and span is small
	return int(q)
}
