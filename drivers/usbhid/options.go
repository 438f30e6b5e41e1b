package usbhid

import (
	"log/slog"
	"time"

	"github.com/tillsync/tillsync/drivers"
)

// Device kinds this package registers.
const (
	KindScannerWedge = "usb-scanner-wedge"
	KindScannerPOS   = "usb-scanner-pos"
	KindMSR          = "usb-msr"
)

// Per-read deadline bounds: short enough that cancelling Run returns
// promptly, long enough that an idle device costs next to no CPU.
const (
	defaultReadTimeout = 250 * time.Millisecond
	minReadTimeout     = 100 * time.Millisecond
	maxReadTimeout     = time.Second
)

// Options are the dependencies a Driver is given; the zero value is
// usable (real clock, drivers.DefaultBackoff, 250 ms read deadline, no
// logging).
type Options struct {
	Now         func() time.Time // stamps events
	Backoff     drivers.Backoff  // between attempts to find the device
	ReadTimeout time.Duration    // deadline of one interrupt read, 100 ms–1 s; 0 means 250 ms
	Logger      *slog.Logger
}
