package serial

import (
	"context"
	"errors"
	"github.com/tillsync/tillsync/drivers/serial/serialtest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/tillsync/tillsync/drivers"
)

// waitLimit only stops a broken test from hanging; nothing asserts on time.
const waitLimit = 20 * time.Second

// harness runs one Driver in the background and collects its events.
type harness struct {
	t      *testing.T
	events chan drivers.Event
	cancel context.CancelFunc
	done   chan error
}

func testOptions() Options {
	return Options{Backoff: drivers.Backoff{Min: 5 * time.Millisecond, Max: 40 * time.Millisecond}}
}

func start(t *testing.T, d *Driver) *harness {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	h := &harness{t: t, events: make(chan drivers.Event, 1024), cancel: cancel, done: make(chan error, 1)}
	go func() { h.done <- d.Run(ctx, func(e drivers.Event) { h.events <- e }) }()
	t.Cleanup(func() { h.stop() })
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
		if e := h.next(); e.Kind == drivers.KindState && e.State.State == s {
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

func write(t *testing.T, m *os.File, s string) {
	t.Helper()
	if _, err := m.Write([]byte(s)); err != nil {
		t.Fatalf("write to pty master: %v", err)
	}
}

func newScanner(t *testing.T, path string, f drivers.Framing) *Driver {
	t.Helper()
	d, err := NewScanner(drivers.Config{ID: "lane1-scanner", Kind: KindScanner, Path: path, Baud: 9600, Framing: f, MaxFrame: 64}, testOptions())
	if err != nil {
		t.Fatalf("NewScanner: %v", err)
	}
	return d
}

func TestDriver_Run_Scanner(t *testing.T) {
	tests := []struct {
		name    string
		framing drivers.Framing
		writes  []string
		want    []string // labels in order
	}{
		{"CR", drivers.Framing{Terminator: drivers.TermCR}, []string{"5901234123457\r"}, []string{"5901234123457"}},
		{"LF", drivers.Framing{Terminator: drivers.TermLF}, []string{"5901234123457\n"}, []string{"5901234123457"}},
		{"CRLF", drivers.Framing{Terminator: drivers.TermCRLF}, []string{"5901234123457\r\n"}, []string{"5901234123457"}},
		{"Custom", drivers.Framing{Terminator: drivers.TermCustom, Suffix: "#!"}, []string{"5901234123457#!"}, []string{"5901234123457"}},
		{"Prefix", drivers.Framing{Prefix: "@"}, []string{"@96385074\r"}, []string{"96385074"}},
		{"TwoInOneWrite", drivers.Framing{}, []string{"5901234123457\r4006381333931\r"}, []string{"5901234123457", "4006381333931"}},
		{"SplitAcrossWrites", drivers.Framing{Terminator: drivers.TermCRLF}, []string{"59012", "34123457\r", "\n036000291452\r\n"}, []string{"5901234123457", "036000291452"}},
		{"ByteFragments", drivers.Framing{}, strings.Split("96385074\r", ""), []string{"96385074"}},
		{"OverlongThenGood", drivers.Framing{}, []string{strings.Repeat("9", 100), "9\r96385074\r"}, []string{"!", "96385074"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, path := serialtest.OpenPTY(t)
			h := start(t, newScanner(t, path, tt.framing))
			h.waitState(drivers.Online)
			for _, w := range tt.writes {
				write(t, m, w)
			}
			for _, want := range tt.want {
				e := h.next()
				if want == "!" { // an overlong frame: one Error state, then resync
					if e.Kind != drivers.KindState || e.State.State != drivers.Error {
						t.Fatalf("got %+v, want an Error state for the overlong frame", e)
					}
					continue
				}
				if e.Kind != drivers.KindScan || e.Scan.Label != want || e.Device != "lane1-scanner" || e.Time.IsZero() {
					t.Fatalf("got %+v, want scan %q", e, want)
				}
			}
		})
	}
}

func TestDriver_Run_ScannerAIM(t *testing.T) {
	m, path := serialtest.OpenPTY(t)
	h := start(t, newScanner(t, path, drivers.Framing{AIM: true}))
	h.waitState(drivers.Online)
	write(t, m, "]E05901234123457\r]C10109506000134352172012251\x1d21XYZ\r")
	for _, want := range []drivers.Scan{
		{AIM: "]E0", Label: "5901234123457", Symbology: "EAN-13", ScanDataType: drivers.SDTEAN13},
		{AIM: "]C1", Label: "0109506000134352172012251\x1d21XYZ", Symbology: "GS1-128", ScanDataType: drivers.SDTEAN128},
	} {
		e := h.next()
		got := e.Scan
		if e.Kind != drivers.KindScan || got.AIM != want.AIM || got.Label != want.Label ||
			got.Symbology != want.Symbology || got.ScanDataType != want.ScanDataType || string(got.Raw) != want.AIM+want.Label {
			t.Fatalf("got %+v, want %+v", e, want)
		}
	}
}

func TestDriver_Run_MSR(t *testing.T) {
	m, path := serialtest.OpenPTY(t)
	d, err := NewMSR(drivers.Config{ID: "lane1-msr", Kind: KindMSR, Path: path}, testOptions())
	if err != nil {
		t.Fatalf("NewMSR: %v", err)
	}
	h := start(t, d)
	h.waitState(drivers.Online)
	write(t, m, "%B4111111111111111^DOE/JOHN^2512101?;4111111111111111=2512101?\r%E?;E?\r;1234=2512?8\r;1234=2512?9\r")
	e := h.next()
	if e.Kind != drivers.KindCard || e.Card.Card != "4111111111111111" || strings.Contains(e.Card.Track1, "DOE") {
		t.Fatalf("good swipe: got %v (%+v)", e.Kind, e.State)
	}
	for _, wantCode := range []int{0, drivers.MSRErrLRC} {
		e = h.next()
		if e.Kind != drivers.KindState || e.State.State != drivers.Error || e.State.Code != wantCode ||
			e.State.Reason != "card could not be read, swipe again" {
			t.Fatalf("bad swipe: got %v %+v, want Error code %d", e.Kind, e.State, wantCode)
		}
	}
	if e = h.next(); e.Kind != drivers.KindCard || e.Card.Card != "1234" {
		t.Fatalf("loyalty swipe with LRC: got %v", e.Kind)
	}
}

// TestDriver_Run_Replug unplugs the device (closes the pty master) and
// plugs a new one under a new /dev/pts path that the configured symlink
// is re-pointed to.
func TestDriver_Run_Replug(t *testing.T) {
	link := filepath.Join(t.TempDir(), "ttyScanner")
	m1, path1 := serialtest.OpenPTY(t)
	repoint(t, link, path1)
	h := start(t, newScanner(t, link, drivers.Framing{}))
	h.waitState(drivers.Online)
	write(t, m1, "96385074\r")
	if e := h.next(); e.Kind != drivers.KindScan {
		t.Fatalf("before unplug: got %+v", e)
	}
	if err := m1.Close(); err != nil {
		t.Fatalf("close master: %v", err)
	}
	if e := h.waitState(drivers.Offline); e.State.Reason == "" {
		t.Fatalf("offline without a reason: %+v", e)
	}
	m2, path2 := serialtest.OpenPTY(t)
	repoint(t, link, path2)
	h.waitState(drivers.Online)
	write(t, m2, "5901234123457\r")
	if e := h.next(); e.Kind != drivers.KindScan || e.Scan.Label != "5901234123457" {
		t.Fatalf("after re-plug: got %+v", e)
	}
}

func repoint(t *testing.T, link, target string) {
	t.Helper()
	tmp := link + ".new"
	if err := os.Symlink(target, tmp); err != nil {
		t.Fatalf("symlink: %v", err)
	}
	if err := os.Rename(tmp, link); err != nil {
		t.Fatalf("re-point symlink: %v", err)
	}
}

// TestDriver_Run_MissingAtStart: no device is not fatal; a glob path finds
// it when it appears.
func TestDriver_Run_MissingAtStart(t *testing.T) {
	dir := t.TempDir()
	h := start(t, newScanner(t, filepath.Join(dir, "ttyACM*"), drivers.Framing{}))
	if e := h.next(); e.Kind != drivers.KindState || e.State.State != drivers.Offline {
		t.Fatalf("got %+v, want Offline first", e)
	}
	m, path := serialtest.OpenPTY(t)
	repoint(t, filepath.Join(dir, "ttyACM0"), path)
	h.waitState(drivers.Online)
	write(t, m, "036000291452\r")
	if e := h.next(); e.Kind != drivers.KindScan || e.Scan.ScanDataType != drivers.SDTUPCA {
		t.Fatalf("got %+v", e)
	}
}

func TestDriver_Run_ErrNotATerminal(t *testing.T) {
	h := start(t, newScanner(t, "/dev/null", drivers.Framing{}))
	if e := h.next(); e.Kind != drivers.KindState || e.State.State != drivers.Error {
		t.Fatalf("got %+v, want Error state", e)
	}
	err := h.stop()
	if err == nil || drivers.Retryable(err) {
		t.Fatalf("Run = %v, want a permanent error", err)
	}
}

// TestDriver_Run_ShutdownIdle: cancelling an idle driver returns and
// leaves no goroutine behind (polled, no timing assertion).
func TestDriver_Run_ShutdownIdle(t *testing.T) {
	before := runtime.NumGoroutine()
	_, path := serialtest.OpenPTY(t)
	h := start(t, newScanner(t, path, drivers.Framing{}))
	h.waitState(drivers.Online)
	if err := h.stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if e := h.waitState(drivers.Offline); e.State.Reason != "driver stopped" {
		t.Fatalf("last state %+v", e.State)
	}
	deadline := time.Now().Add(waitLimit)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			t.Fatalf("goroutines: %d before, %d after", before, runtime.NumGoroutine())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestNewScanner_ErrConfig(t *testing.T) {
	ok := drivers.Config{ID: "s", Kind: KindScanner, Path: "/dev/ttyACM0"}
	tests := []struct {
		name string
		edit func(*drivers.Config, *Options)
	}{
		{"Baud", func(c *drivers.Config, _ *Options) { c.Baud = 12345 }},
		{"Terminator", func(c *drivers.Config, _ *Options) { c.Framing.Terminator = "etx" }},
		{"CustomWithoutSuffix", func(c *drivers.Config, _ *Options) { c.Framing.Terminator = drivers.TermCustom }},
		{"NoPath", func(c *drivers.Config, _ *Options) { c.Path = "" }},
		{"BadGlob", func(c *drivers.Config, _ *Options) { c.Path = "/dev/tty[" }},
		{"ReadTimeoutTooShort", func(_ *drivers.Config, o *Options) { o.ReadTimeout = 10 * time.Millisecond }},
	}
	if _, err := NewScanner(ok, Options{}); err != nil {
		t.Fatalf("OK: %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, o := ok, Options{}
			tt.edit(&c, &o)
			if _, err := NewScanner(c, o); !errors.Is(err, drivers.ErrConfig) {
				t.Fatalf("err = %v, want ErrConfig", err)
			}
		})
	}
}

func TestRegister(t *testing.T) {
	r := drivers.NewRegistry()
	if err := Register(r, testOptions()); err != nil {
		t.Fatalf("Register: %v", err)
	}
	if _, err := r.New(drivers.Config{ID: "m", Kind: KindMSR, Path: "/dev/ttyUSB0"}); err != nil {
		t.Fatalf("New msr: %v", err)
	}
	if err := Register(r, testOptions()); err == nil {
		t.Fatal("registering twice succeeded")
	}
}
