package drivers

import (
	"testing"
)

// BenchmarkDecode measures the pure path a scanner frame takes: Framer
// then NewScan (AIM, symbology, check digit), one barcode per op.
func BenchmarkDecode(b *testing.B) {
	fr, err := NewFramer(Framing{AIM: true}, 0)
	if err != nil {
		b.Fatal(err)
	}
	in := []byte("]E05901234123457\r")
	var n int
	b.ReportAllocs()
	for b.Loop() {
		fr.Feed(in, func(frame []byte, err error) {
			if err != nil {
				b.Fatal(err)
			}
			if s := NewScan(frame, true); s.ScanDataType == SDTEAN13 {
				n++
			}
		})
	}
	if n != b.N {
		b.Fatalf("%d scans for %d ops", n, b.N)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "barcodes/s")
}

// BenchmarkParseTracks measures one two-track swipe.
func BenchmarkParseTracks(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseTracks("%B1234^Y^2512?!;1234=2512?9"); err != nil {
			b.Fatal(err)
		}
	}
}
