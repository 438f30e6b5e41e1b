package serial

import (
	"context"
	"github.com/tillsync/tillsync/drivers/serial/serialtest"
	"slices"
	"testing"
	"time"

	"github.com/tillsync/tillsync/drivers"
)

// BenchmarkDriver_ScanLatency measures scan-to-event latency through the
// real tarm/serial driver on a pty: write one frame to the master, wait
// for its Scan event. Reports p50 and p99 in microseconds.
func BenchmarkDriver_ScanLatency(b *testing.B) {
	m, path := serialtest.OpenPTY(b)
	d, err := NewScanner(drivers.Config{ID: "bench", Kind: KindScanner, Path: path, Framing: drivers.Framing{AIM: true}}, testOptions())
	if err != nil {
		b.Fatal(err)
	}
	events := make(chan drivers.Event, 16)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx, func(e drivers.Event) { events <- e }) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			b.Errorf("Run: %v", err)
		}
	}()
	for e := range events {
		if e.Kind == drivers.KindState && e.State.State == drivers.Online {
			break
		}
	}
	frame := []byte("]E05901234123457\r")
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	for b.Loop() {
		start := time.Now()
		if _, err := m.Write(frame); err != nil {
			b.Fatal(err)
		}
		if e := <-events; e.Kind != drivers.KindScan {
			b.Fatalf("got %+v", e)
		}
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}
