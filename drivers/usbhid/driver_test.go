//go:build !nousb

package usbhid

import (
	"errors"
	"testing"
	"time"

	"github.com/tillsync/tillsync/drivers"
)

func TestNew_Err(t *testing.T) {
	good := drivers.Config{ID: "lane1", Kind: KindScannerWedge, Path: "usb:05e0:1200"}
	tests := []struct {
		name string
		cfg  func(c drivers.Config) drivers.Config
		opts Options
	}{
		{"EmptyPath", func(c drivers.Config) drivers.Config { c.Path = ""; return c }, Options{}},
		{"SerialPath", func(c drivers.Config) drivers.Config { c.Path = "/dev/ttyACM0"; return c }, Options{}},
		{"BadPort", func(c drivers.Config) drivers.Config { c.Path = "usb:1-0"; return c }, Options{}},
		{"BadFraming", func(c drivers.Config) drivers.Config { c.Framing.Terminator = "tab"; return c }, Options{}},
		{"ReadTimeoutShort", func(c drivers.Config) drivers.Config { return c }, Options{ReadTimeout: time.Millisecond}},
		{"ReadTimeoutLong", func(c drivers.Config) drivers.Config { return c }, Options{ReadTimeout: time.Minute}},
	}
	for _, tt := range tests {
		for kind, newDriver := range map[string]func(drivers.Config, Options) (*Driver, error){
			KindScannerWedge: NewWedgeScanner, KindScannerPOS: NewPOSScanner, KindMSR: NewMSR,
		} {
			t.Run(tt.name+"/"+kind, func(t *testing.T) {
				c := tt.cfg(good)
				c.Kind = kind
				if _, err := newDriver(c, tt.opts); !errors.Is(err, drivers.ErrConfig) {
					t.Fatalf("err = %v, want ErrConfig", err)
				}
			})
		}
	}
}

func TestRegister(t *testing.T) {
	r := drivers.NewRegistry()
	if err := Register(r, testOptions(t)); err != nil {
		t.Fatalf("Register: %v", err)
	}
	for _, kind := range []string{KindScannerWedge, KindScannerPOS, KindMSR} {
		if _, err := r.New(drivers.Config{ID: "d", Kind: kind, Path: "usb:05e0:1200@1-1.4"}); err != nil {
			t.Fatalf("New %s: %v", kind, err)
		}
	}
	if _, err := r.New(drivers.Config{ID: "d", Kind: KindMSR, Path: "usb:nope"}); !errors.Is(err, drivers.ErrConfig) {
		t.Fatalf("bad path: err = %v, want ErrConfig", err)
	}
	if err := Register(r, testOptions(t)); err == nil {
		t.Fatal("registering twice succeeded")
	}
}

// TestDriver_Run_Missing drives the real libusb with no such device (this
// machine has no USB at all, devices.md): Offline, retried, and Run ends
// with nil when cancelled.
func TestDriver_Run_Missing(t *testing.T) {
	h := start(t, newTestDriver(t, NewWedgeScanner, KindScannerWedge, "usb:ffff:fffe", drivers.Framing{}))
	e := h.waitState(drivers.Offline)
	if e.State.Reason != "device not connected" || e.Device != "lane1-"+KindScannerWedge {
		t.Fatalf("got %+v", e)
	}
	if err := h.stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
}
