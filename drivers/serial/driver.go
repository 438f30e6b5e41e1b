package serial

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/tarm/serial"

	"github.com/tillsync/tillsync/drivers"
)

// Device kinds this package registers.
const (
	KindScanner = "serial-scanner"
	KindMSR     = "serial-msr"
)

const (
	defaultBaud        = 9600
	defaultReadTimeout = 100 * time.Millisecond
	// hangUpEOFs immediate EOFs in a row make the driver check whether the
	// device is gone (devices.md: a hung-up tty returns EOF at once).
	hangUpEOFs = 3
	// forceReopenEOFs immediate EOFs in a row reopen the port even if its
	// path is still there, rather than spin on a dead descriptor.
	forceReopenEOFs = 50
)

// Options are the dependencies a Driver is given; the zero value is
// usable (real clock, DefaultBackoff, 100 ms read timeout, no logging).
type Options struct {
	Now         func() time.Time // stamps events
	Backoff     drivers.Backoff  // between reopen attempts
	ReadTimeout time.Duration    // 100–200 ms; 0 means 100 ms
	Logger      *slog.Logger
}

// Driver is a serial scanner or card reader. It implements drivers.Driver.
// Run may be called once at a time; the Driver holds no open port between
// runs.
type Driver struct {
	cfg    drivers.Config
	opts   Options
	decode func(frame []byte) drivers.Event // Scan or Card or State event, no Device/Time
	// retry is the cashier's message when a frame is lost (too long).
	retry string
}

var _ drivers.Driver = (*Driver)(nil)

// Register adds KindScanner and KindMSR factories to r, each building a
// Driver with opts.
func Register(r *drivers.Registry, opts Options) error {
	if err := r.Register(KindScanner, func(c drivers.Config) (drivers.Driver, error) { return NewScanner(c, opts) }); err != nil {
		return err
	}
	return r.Register(KindMSR, func(c drivers.Config) (drivers.Driver, error) { return NewMSR(c, opts) })
}

// NewScanner returns a Driver that emits a Scan event per frame. It
// validates cfg and opts (errors wrap drivers.ErrConfig) but does not
// open the port.
func NewScanner(cfg drivers.Config, opts Options) (*Driver, error) {
	d, err := newDriver(cfg, opts)
	if err != nil {
		return nil, err
	}
	d.decode = func(frame []byte) drivers.Event {
		return drivers.Event{Kind: drivers.KindScan, Scan: drivers.NewScan(frame, cfg.Framing.AIM)}
	}
	d.retry = "barcode could not be read, scan again"
	return d, nil
}

// NewMSR returns a Driver that emits a Card event per good swipe and an
// Error State event ("card could not be read, swipe again", with the
// UnifiedPOS code) per bad one. It validates but does not open.
func NewMSR(cfg drivers.Config, opts Options) (*Driver, error) {
	d, err := newDriver(cfg, opts)
	if err != nil {
		return nil, err
	}
	d.decode = decodeSwipe
	d.retry = drivers.ErrCardRead.Error()
	return d, nil
}

func decodeSwipe(frame []byte) drivers.Event {
	card, err := drivers.ParseTracks(string(frame))
	if err != nil {
		var cre *drivers.CardReadError
		code := 0
		if errors.As(err, &cre) {
			code = cre.Code
		}
		return drivers.Event{Kind: drivers.KindState, State: drivers.State{
			State: drivers.Error, Reason: drivers.ErrCardRead.Error(), Code: code}}
	}
	return drivers.Event{Kind: drivers.KindCard, Card: card}
}

func newDriver(cfg drivers.Config, opts Options) (*Driver, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Baud == 0 {
		cfg.Baud = defaultBaud
	}
	if !supportedBaud(cfg.Baud) {
		return nil, fmt.Errorf("device %s: %w: baud %d is not a standard rate", cfg.ID, drivers.ErrConfig, cfg.Baud)
	}
	if _, err := filepath.Match(cfg.Path, ""); err != nil {
		return nil, fmt.Errorf("device %s: %w: path %q: %v", cfg.ID, drivers.ErrConfig, cfg.Path, err)
	}
	if opts.ReadTimeout == 0 {
		opts.ReadTimeout = defaultReadTimeout
	}
	if opts.ReadTimeout < 100*time.Millisecond || opts.ReadTimeout > 200*time.Millisecond {
		return nil, fmt.Errorf("device %s: %w: read timeout %v, want 100ms–200ms", cfg.ID, drivers.ErrConfig, opts.ReadTimeout)
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
	return &Driver{cfg: cfg, opts: opts}, nil
}

// supportedBaud lists the rates tarm/serial accepts on Linux.
func supportedBaud(b int) bool {
	switch b {
	case 50, 75, 110, 134, 150, 200, 300, 600, 1200, 1800, 2400, 4800, 9600,
		19200, 38400, 57600, 115200, 230400, 460800, 500000, 576000, 921600,
		1000000, 1152000, 1500000, 2000000, 2500000, 3000000, 3500000, 4000000:
		return true
	}
	return false
}

// open resolves the configured path (glob or symlink) and opens the port.
// A missing or vanished device is a *drivers.RetryError; a path that is
// not a terminal is not.
func (d *Driver) open() (*serial.Port, string, error) {
	matches, err := filepath.Glob(d.cfg.Path)
	if err != nil || len(matches) == 0 {
		return nil, "", &drivers.RetryError{Device: d.cfg.ID, Err: fmt.Errorf("%s: device not connected", d.cfg.Path)}
	}
	dev, err := filepath.EvalSymlinks(matches[0])
	if err != nil {
		return nil, "", &drivers.RetryError{Device: d.cfg.ID, Err: fmt.Errorf("resolve %s: %w", matches[0], err)}
	}
	port, err := serial.OpenPort(&serial.Config{Name: dev, Baud: d.cfg.Baud, ReadTimeout: d.opts.ReadTimeout})
	if err != nil {
		if errors.Is(err, syscall.ENOTTY) {
			return nil, "", fmt.Errorf("device %s: open %s: not a serial port: %w", d.cfg.ID, dev, err)
		}
		return nil, "", &drivers.RetryError{Device: d.cfg.ID, Err: fmt.Errorf("open %s: %w", dev, err)}
	}
	return port, dev, nil
}

// Run opens the device and emits its events until ctx ends; see
// drivers.Driver. A missing device at start is not fatal: Run reports it
// Offline and retries. Run returns nil when ctx ends, or the error when
// the path is not a serial port.
func (d *Driver) Run(ctx context.Context, emit func(drivers.Event)) error {
	framer, err := drivers.NewFramer(d.cfg.Framing, d.cfg.MaxFrame)
	if err != nil {
		return fmt.Errorf("device %s: %w", d.cfg.ID, err)
	}
	r := run{d: d, emit: emit, framer: framer}
	for attempt := 0; ctx.Err() == nil; {
		port, dev, err := d.open()
		if err != nil {
			if !drivers.Retryable(err) {
				r.setState(drivers.Error, err.Error())
				return err
			}
			r.setState(drivers.Offline, "device not connected")
			if d.opts.Backoff.Wait(ctx, attempt) != nil {
				break
			}
			attempt++
			continue
		}
		attempt = 0
		r.setState(drivers.Online, "")
		framer.Reset()
		readErr := r.read(ctx, port, dev)
		if cerr := port.Close(); cerr != nil {
			d.opts.Logger.Debug("close port", "path", dev, "err", cerr)
		}
		if readErr != nil {
			d.opts.Logger.Info("device offline", "path", dev, "err", readErr)
			r.setState(drivers.Offline, "device disconnected")
		}
	}
	r.setState(drivers.Offline, "driver stopped")
	return nil
}

// run is the state of one Run call.
type run struct {
	d      *Driver
	emit   func(drivers.Event)
	framer *drivers.Framer
	state  drivers.DeviceState // last state emitted
}

func (r *run) setState(s drivers.DeviceState, reason string) {
	if s == r.state {
		return
	}
	r.state = s
	r.emit(drivers.Event{Kind: drivers.KindState, Device: r.d.cfg.ID, Time: r.d.opts.Now(),
		State: drivers.State{State: s, Reason: reason}})
}

// read reads the open port until ctx ends (nil) or the device hangs up.
func (r *run) read(ctx context.Context, port io.Reader, dev string) error {
	buf := make([]byte, 512)
	quick := 0 // immediate EOFs in a row
	for ctx.Err() == nil {
		// Wall-clock measurement of the OS read itself, not business
		// time, so the real clock rather than Options.Now.
		start := time.Now()
		n, err := port.Read(buf)
		if n > 0 {
			quick = 0
			r.framer.Feed(buf[:n], r.frame)
			continue
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read %s: %w", dev, err)
		}
		if time.Since(start) >= r.d.opts.ReadTimeout/2 {
			quick = 0 // an ordinary read time-out: the device is idle
			continue
		}
		quick++
		if quick >= hangUpEOFs && gone(dev) || quick >= forceReopenEOFs {
			return fmt.Errorf("read %s: %w", dev, drivers.ErrHangUp)
		}
	}
	return nil
}

// gone reports whether the device node has disappeared (devices.md: the
// path of an unplugged device or a closed pty goes away).
func gone(dev string) bool {
	_, err := os.Stat(dev)
	return err != nil
}

// frame turns one frame, or a framing error, into an event.
func (r *run) frame(frame []byte, err error) {
	var ev drivers.Event
	if err != nil {
		r.d.opts.Logger.Warn("frame dropped", "err", err)
		ev = drivers.Event{Kind: drivers.KindState, State: drivers.State{State: drivers.Error, Reason: r.d.retry}}
	} else {
		ev = r.d.decode(frame)
	}
	ev.Device, ev.Time = r.d.cfg.ID, r.d.opts.Now()
	r.emit(ev)
}
