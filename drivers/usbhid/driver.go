//go:build !nousb

package usbhid

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/gousb"

	"github.com/tillsync/tillsync/drivers"
	"github.com/tillsync/tillsync/drivers/hid"
)

// maxReadErrors failed reads in a row (other than time-outs and unplug)
// make the driver close and reopen the device rather than retry forever
// on a broken handle.
const maxReadErrors = 10

// Driver is a USB HID scanner or card reader. It implements
// drivers.Driver. Run may be called once at a time; the Driver holds no
// libusb context or open device between runs.
type Driver struct {
	cfg        drivers.Config
	opts       Options
	sel        Selector
	newHandler func() (reportHandler, error)
}

var _ drivers.Driver = (*Driver)(nil)

// Register adds KindScannerWedge, KindScannerPOS and KindMSR factories to
// r, each building a Driver with opts.
func Register(r *drivers.Registry, opts Options) error {
	factories := map[string]func(drivers.Config, Options) (*Driver, error){
		KindScannerWedge: NewWedgeScanner, KindScannerPOS: NewPOSScanner, KindMSR: NewMSR,
	}
	for _, kind := range []string{KindScannerWedge, KindScannerPOS, KindMSR} {
		newDriver := factories[kind]
		if err := r.Register(kind, func(c drivers.Config) (drivers.Driver, error) { return newDriver(c, opts) }); err != nil {
			return err
		}
	}
	return nil
}

// NewWedgeScanner returns a Driver for a keyboard-wedge scanner: one Scan
// event per frame (Config.Framing; Enter is CR). It validates cfg and opts
// (errors wrap drivers.ErrConfig) but does not open the device.
func NewWedgeScanner(cfg drivers.Config, opts Options) (*Driver, error) {
	return newKeyboardDriver(cfg, opts, scanEvent(cfg.Framing.AIM), retryScan)
}

// NewMSR returns a Driver for a keyboard-mode card reader: a Card event per
// good swipe, an Error State "card could not be read, swipe again" (with
// the UnifiedPOS MSR code) per bad one. It validates but does not open.
func NewMSR(cfg drivers.Config, opts Options) (*Driver, error) {
	return newKeyboardDriver(cfg, opts, swipeEvent, drivers.ErrCardRead.Error())
}

// NewPOSScanner returns a Driver for a HID POS scanner: one Scan event,
// with its AIM identifier, per assembled scan of at most Config.MaxFrame
// bytes. It validates but does not open.
func NewPOSScanner(cfg drivers.Config, opts Options) (*Driver, error) {
	d, err := newDriver(cfg, opts)
	if err != nil {
		return nil, err
	}
	maxScan := cfg.MaxFrame
	if maxScan == 0 {
		maxScan = drivers.DefaultMaxFrame
	}
	d.newHandler = func() (reportHandler, error) {
		return &posHandler{asm: hid.POSAssembler{MaxScan: maxScan}, log: d.opts.Logger}, nil
	}
	return d, nil
}

func newKeyboardDriver(cfg drivers.Config, opts Options, decode func([]byte) drivers.Event, retry string) (*Driver, error) {
	d, err := newDriver(cfg, opts)
	if err != nil {
		return nil, err
	}
	if _, err := drivers.NewFramer(cfg.Framing, cfg.MaxFrame); err != nil {
		return nil, fmt.Errorf("device %s: %w", cfg.ID, err)
	}
	d.newHandler = func() (reportHandler, error) {
		framer, err := drivers.NewFramer(d.cfg.Framing, d.cfg.MaxFrame)
		if err != nil {
			return nil, fmt.Errorf("device %s: %w", d.cfg.ID, err)
		}
		return &keyboardHandler{framer: framer, decode: decode, retry: retry, log: d.opts.Logger}, nil
	}
	return d, nil
}

func newDriver(cfg drivers.Config, opts Options) (*Driver, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	sel, err := ParseSelector(cfg.Path)
	if err != nil {
		return nil, fmt.Errorf("device %s: %w", cfg.ID, err)
	}
	if opts.ReadTimeout == 0 {
		opts.ReadTimeout = defaultReadTimeout
	}
	if opts.ReadTimeout < minReadTimeout || opts.ReadTimeout > maxReadTimeout {
		return nil, fmt.Errorf("device %s: %w: read timeout %v, want %v–%v", cfg.ID, drivers.ErrConfig, opts.ReadTimeout, minReadTimeout, maxReadTimeout)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Backoff.Min == 0 && opts.Backoff.Max == 0 {
		opts.Backoff = drivers.DefaultBackoff()
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	opts.Logger = opts.Logger.With("device", cfg.ID)
	return &Driver{cfg: cfg, opts: opts, sel: sel}, nil
}

// Run finds and opens the device and emits its events until ctx ends; see
// drivers.Driver. A missing or unplugged device is Offline and sought
// again on the backoff. Run returns nil when ctx ends, or an error when
// the device is found but can never work (no interrupt IN endpoint).
func (d *Driver) Run(ctx context.Context, emit func(drivers.Event)) error {
	h, err := d.newHandler()
	if err != nil {
		return err
	}
	r := run{d: d, emit: emit, h: h}
	for attempt := 0; ctx.Err() == nil; {
		dev, err := openDevice(d.sel, d.opts.Logger)
		if err != nil {
			if !drivers.Retryable(err) {
				r.setState(drivers.Error, err.Error())
				return err
			}
			d.opts.Logger.Debug("device not available", "err", err)
			r.setState(drivers.Offline, offlineReason(err))
			if d.opts.Backoff.Wait(ctx, attempt) != nil {
				break
			}
			attempt++
			continue
		}
		attempt = 0
		r.setState(drivers.Online, "")
		h.reset()
		readErr := r.read(ctx, dev.in, dev.in.Desc.MaxPacketSize)
		dev.close(d.opts.Logger)
		if readErr != nil {
			d.opts.Logger.Info("device offline", "err", readErr)
			r.setState(drivers.Offline, "device disconnected")
			// Never reopen at once: a device that fails every read must
			// not turn Run into a busy loop.
			if d.opts.Backoff.Wait(ctx, 0) != nil {
				break
			}
		}
	}
	r.setState(drivers.Offline, "driver stopped")
	return nil
}

// offlineReason is the till's message for a device that cannot be opened.
func offlineReason(err error) string {
	if errors.Is(err, gousb.ErrorAccess) {
		return "no permission to open the USB device (install the udev rule)"
	}
	return "device not connected"
}

// run is the state of one Run call.
type run struct {
	d     *Driver
	emit  func(drivers.Event)
	h     reportHandler
	state drivers.DeviceState // last state emitted
}

func (r *run) setState(s drivers.DeviceState, reason string) {
	if s == r.state {
		return
	}
	r.state = s
	r.send(drivers.Event{Kind: drivers.KindState, State: drivers.State{State: s, Reason: reason}})
}

// send stamps an event with the device and the time and emits it.
func (r *run) send(ev drivers.Event) {
	ev.Device, ev.Time = r.d.cfg.ID, r.d.opts.Now()
	r.emit(ev)
}

// reportReader is the interrupt IN endpoint (*gousb.InEndpoint); tests
// substitute scripted reports.
type reportReader interface {
	ReadContext(ctx context.Context, buf []byte) (int, error)
}

var _ reportReader = (*gousb.InEndpoint)(nil)

// read reads reports until ctx ends (nil) or the device goes away or keeps
// failing (an error). Each read has a deadline (Options.ReadTimeout) so
// shutdown never waits on an idle device; the read blocks in libusb
// meanwhile, so an idle device costs no polling.
func (r *run) read(ctx context.Context, in reportReader, packetSize int) error {
	if packetSize <= 0 {
		packetSize = hid.POSReportLen
	}
	buf := make([]byte, packetSize)
	failures := 0
	for ctx.Err() == nil {
		rctx, cancel := context.WithTimeout(ctx, r.d.opts.ReadTimeout)
		n, err := in.ReadContext(rctx, buf)
		cancel()
		if n > 0 && err == nil {
			failures = 0
			r.h.handle(buf[:n], r.send)
			continue
		}
		switch {
		case err == nil, errors.Is(err, gousb.TransferCancelled), errors.Is(err, gousb.TransferTimedOut):
			continue // the deadline passed with the device idle, or Run is stopping
		case errors.Is(err, gousb.TransferNoDevice), errors.Is(err, gousb.ErrorNoDevice):
			return fmt.Errorf("read: %w: %v", drivers.ErrHangUp, err)
		}
		failures++
		r.d.opts.Logger.Debug("read failed", "err", err, "in_a_row", failures)
		if failures >= maxReadErrors {
			return fmt.Errorf("read: %d failures in a row, last: %w", failures, err)
		}
	}
	return nil
}
