//go:build !nousb

package usbhid

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/gousb"

	"github.com/tillsync/tillsync/drivers"
)

// step is one scripted result of ReadContext.
type step struct {
	report []byte
	err    error
}

// fakeEndpoint plays an interrupt IN endpoint: it returns its script in
// order, then behaves like an idle device, whose reads end only when
// their context does (gousb reports TransferCancelled).
type fakeEndpoint struct {
	script []step
	reads  int
}

func (f *fakeEndpoint) ReadContext(ctx context.Context, buf []byte) (int, error) {
	f.reads++
	if len(f.script) == 0 {
		<-ctx.Done()
		return 0, gousb.TransferCancelled
	}
	s := f.script[0]
	f.script = f.script[1:]
	return copy(buf, s.report), s.err
}

func reports(rs ...[]byte) []step {
	out := make([]step, len(rs))
	for i, r := range rs {
		out[i] = step{report: r}
	}
	return out
}

// readAll runs the read loop of d over script until it ends the loop
// (the script's last step is an unplug) and returns the events and the
// loop's error.
func readAll(t *testing.T, d *Driver, script []step) ([]drivers.Event, error) {
	t.Helper()
	h, err := d.newHandler()
	if err != nil {
		t.Fatal(err)
	}
	var events []drivers.Event
	r := run{d: d, h: h, emit: func(e drivers.Event) { events = append(events, e) }}
	script = append(script, step{err: gousb.TransferNoDevice})
	err = r.read(context.Background(), &fakeEndpoint{script: script}, 64)
	return events, err
}

func TestRun_Read(t *testing.T) {
	long := "0109506000134352" + "17201225" + "10ABC123\x1d21XYZ" + "\x1d" + "2112345678901234567890123456"
	tests := []struct {
		name   string
		kind   func(drivers.Config, Options) (*Driver, error)
		aim    bool
		script []step
		want   []string // "scan:<aim>|<label>", "card:<pan>", "error:<code>"
	}{
		{"WedgeShiftRepeat", NewWedgeScanner, false, reports(typeReports("Ab-1123\r")...), []string{"scan:|Ab-1123"}},
		{"WedgeAIM", NewWedgeScanner, true, reports(typeReports("]C10109506000134352\x1d21XYZ\r")...), []string{"scan:]C1|0109506000134352\x1d21XYZ"}},
		{"WedgeTwoScans", NewWedgeScanner, false, reports(typeReports("96385074\r036000291452\r")...), []string{"scan:|96385074", "scan:|036000291452"}},
		{"WedgeOverlongThenGood", NewWedgeScanner, false, reports(typeReports(strings.Repeat("9", 110) + "\r96385074\r")...), []string{"error:0", "scan:|96385074"}},
		{"WedgeTimeoutsBetweenKeys", NewWedgeScanner, false, append(append(reports(typeReports("9638")...), step{err: gousb.TransferCancelled}, step{err: gousb.TransferTimedOut}), reports(typeReports("5074\r")...)...), []string{"scan:|96385074"}},
		{"WedgeUnknownKeyKeepsRest", NewWedgeScanner, false, reports(append([][]byte{{0, 0, 0x3a, 0, 0, 0, 0, 0}}, typeReports("96385074\r")...)...), []string{"scan:|96385074"}},
		{"MSRCard", NewMSR, false, reports(typeReports(";6035710123456789=2512?\r")...), []string{"card:6035710123456789"}},
		{"MSRUnreadable", NewMSR, false, reports(typeReports(";E?\r")...), []string{"error:0"}},
		{"MSRBadSentinel", NewMSR, false, reports(typeReports(";6035710123456789=2512\r")...), []string{"error:202"}},
		{"POSSingle", NewPOSScanner, false, reports(posReport("]E0", "5901234123457", false)), []string{"scan:]E0|5901234123457"}},
		{"POSNoAIM", NewPOSScanner, false, reports(posReport("", "96385074", false)), []string{"scan:|96385074"}},
		{"POSContinuation", NewPOSScanner, false, reports(posReport("]C1", long[:58], true), posReport("]C1", long[58:], false)), []string{"scan:]C1|" + long}},
		{"POSBadReportThenGood", NewPOSScanner, false, reports([]byte{1, 2, 3}, posReport("]E4", "96385074", false)), []string{"error:0", "scan:]E4|96385074"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := tt.kind(drivers.Config{ID: "lane1", Kind: "k", Path: "usb:05e0:1200", Framing: drivers.Framing{AIM: tt.aim}, MaxFrame: 100}, testOptions(t))
			if err != nil {
				t.Fatal(err)
			}
			events, err := readAll(t, d, tt.script)
			if !errors.Is(err, drivers.ErrHangUp) {
				t.Fatalf("read = %v, want ErrHangUp at the scripted unplug", err)
			}
			var got []string
			for _, e := range events {
				if e.Device != "lane1" || e.Time.IsZero() {
					t.Fatalf("event not stamped: %+v", e)
				}
				got = append(got, describe(e))
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Fatalf("events\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func describe(e drivers.Event) string {
	switch e.Kind {
	case drivers.KindScan:
		return "scan:" + e.Scan.AIM + "|" + e.Scan.Label
	case drivers.KindCard:
		return "card:" + e.Card.Card
	case drivers.KindState:
		if e.State.State == drivers.Error {
			return "error:" + strconv.Itoa(e.State.Code)
		}
	}
	return e.Kind.String() + ":" + e.State.State.String()
}

func TestRun_Read_End(t *testing.T) {
	tests := []struct {
		name    string
		script  []step
		wantErr error // nil: the loop ends only when ctx does
	}{
		{"TransferNoDevice", []step{{err: gousb.TransferNoDevice}}, drivers.ErrHangUp},
		{"ErrorNoDevice", []step{{err: gousb.ErrorNoDevice}}, drivers.ErrHangUp},
		{"RepeatedFailures", repeat(step{err: gousb.TransferStall}, maxReadErrors), gousb.TransferStall},
		{"FewFailuresThenIdle", repeat(step{err: gousb.ErrorIO}, maxReadErrors-1), nil},
		{"IdleUntilCancel", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := NewWedgeScanner(drivers.Config{ID: "lane1", Kind: KindScannerWedge, Path: "usb:1-1"}, testOptions(t))
			if err != nil {
				t.Fatal(err)
			}
			h, err := d.newHandler()
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			ep := &fakeEndpoint{script: tt.script}
			r := run{d: d, h: h, emit: func(drivers.Event) {}}
			done := make(chan error, 1)
			go func() { done <- r.read(ctx, ep, 8) }()
			if tt.wantErr == nil {
				cancel() // an idle device: only the context ends the loop
			}
			select {
			case err := <-done:
				if tt.wantErr == nil && err != nil || tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
					t.Fatalf("read = %v, want %v", err, tt.wantErr)
				}
			case <-time.After(waitLimit):
				t.Fatal("read did not return")
			}
		})
	}
}

func repeat(s step, n int) []step {
	out := make([]step, n)
	for i := range out {
		out[i] = s
	}
	return out
}
