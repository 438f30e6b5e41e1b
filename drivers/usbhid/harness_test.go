//go:build !nousb

package usbhid

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/tillsync/tillsync/drivers"
	"github.com/tillsync/tillsync/drivers/hid"
)

// waitLimit only stops a broken test from hanging; nothing asserts on time.
const waitLimit = 20 * time.Second

// testOptions logs at debug level into the test's output (shown with -v
// or on failure).
func testOptions(t testing.TB) Options {
	return Options{
		Backoff:     drivers.Backoff{Min: 5 * time.Millisecond, Max: 40 * time.Millisecond},
		ReadTimeout: 100 * time.Millisecond,
		Logger:      slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
}

func newTestDriver(t *testing.T, newDriver func(drivers.Config, Options) (*Driver, error), kind, path string, f drivers.Framing) *Driver {
	t.Helper()
	d, err := newDriver(drivers.Config{ID: "lane1-" + kind, Kind: kind, Path: path, Framing: f}, testOptions(t))
	if err != nil {
		t.Fatalf("new %s: %v", kind, err)
	}
	return d
}

// harness runs one Driver in the background and collects its events.
type harness struct {
	t      *testing.T
	events chan drivers.Event
	cancel context.CancelFunc
	done   chan error
}

func start(t *testing.T, d *Driver) *harness {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	h := &harness{t: t, events: make(chan drivers.Event, 1024), cancel: cancel, done: make(chan error, 1)}
	go func() { h.done <- d.Run(ctx, func(e drivers.Event) { h.events <- e }) }()
	t.Cleanup(func() {
		if err := h.stop(); err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return h
}

// next returns the next event.
func (h *harness) next() drivers.Event {
	h.t.Helper()
	select {
	case e := <-h.events:
		return e
	case <-time.After(waitLimit):
		h.t.Fatal("no event from the driver")
		return drivers.Event{}
	}
}

// waitState skips events until a State event with state s.
func (h *harness) waitState(s drivers.DeviceState) drivers.Event {
	h.t.Helper()
	for {
		e := h.next()
		h.t.Logf("event %v %+v", e.Kind, e.State)
		if e.Kind == drivers.KindState && e.State.State == s {
			return e
		}
	}
}

// stop cancels Run and returns its error; it may be called twice.
func (h *harness) stop() error {
	h.cancel()
	select {
	case err, ok := <-h.done:
		if ok {
			close(h.done)
		}
		return err
	case <-time.After(waitLimit):
		h.t.Fatal("Run did not return after cancel")
		return nil
	}
}

func wantScan(t *testing.T, e drivers.Event, label, aim string, sdt int) {
	t.Helper()
	if e.Kind != drivers.KindScan || e.Scan.Label != label || e.Scan.AIM != aim || e.Scan.ScanDataType != sdt {
		t.Fatalf("got %v %+v, want scan %q aim %q type %d", e.Kind, e, label, aim, sdt)
	}
	if e.Device == "" || e.Time.IsZero() {
		t.Fatalf("event not stamped: %+v", e)
	}
}

// posReport builds one 64-byte HID POS report (drivers/hid layout).
func posReport(aim, data string, more bool) []byte {
	r := make([]byte, hid.POSReportLen)
	r[0], r[1] = hid.POSReportID, byte(len(data))
	copy(r[2:5], aim)
	copy(r[5:], data)
	if more {
		r[hid.POSReportLen-1] = 1
	}
	return r
}
