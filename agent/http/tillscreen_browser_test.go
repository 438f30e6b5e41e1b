package http_test

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/tillsync/tillsync/agent"
	"github.com/tillsync/tillsync/drivers"
	"github.com/tillsync/tillsync/drivers/serial"
	"github.com/tillsync/tillsync/drivers/serial/serialtest"
)

// chromiumPath is Debian's chromium; scripts/test.sh installs it.
const chromiumPath = "/usr/bin/chromium"

// browserStep bounds one browser action; generous for a loaded CI box.
const browserStep = 20 * time.Second

// lockedBuffer collects the browser's output from its own goroutine.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// newChromium starts a headless Chromium the size of a till display
// (1024×768) with a fresh profile. A missing Chromium fails the test.
func newChromium(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("the till screen test needs Debian's chromium at %s (scripts/test.sh installs it with "+
			"apt-get install chromium): %v", chromiumPath, err)
	}
	out := &lockedBuffer{}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox, // tests run as root, where Chromium's sandbox cannot start
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(filepath.Join(t.TempDir(), "profile")),
		chromedp.WindowSize(1024, 768),
		chromedp.CombinedOutput(out),
	)
	allocCtx, allocCancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(allocCancel)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v\nbrowser output:\n%s", chromiumPath, err, out.String())
	}
	return ctx
}

// run runs action in the browser with a deadline.
func run[T any](t *testing.T, ctx context.Context, what string, action chromedp.Action[T]) T {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, browserStep)
	defer cancel()
	v, err := chromedp.Run(sctx, action)
	if err != nil {
		t.Fatalf("browser: %s: %v", what, err)
	}
	return v
}

// waitJS waits until the page expression cond is true.
func waitJS(t *testing.T, ctx context.Context, what, cond string) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, browserStep)
	defer cancel()
	if _, err := chromedp.Run(sctx, chromedp.Poll[bool](cond, chromedp.WithPollingTimeout(browserStep-time.Second))); err != nil {
		t.Fatalf("browser: wait for %s: %v\nprompt %q, error %q", what, err, text(t, ctx, "prompt"), text(t, ctx, "error"))
	}
}

func text(t *testing.T, ctx context.Context, id string) string {
	t.Helper()
	return run(t, ctx, "read #"+id, chromedp.Evaluate[string](`document.getElementById(`+fmt.Sprintf("%q", id)+`).textContent`))
}

func press(t *testing.T, ctx context.Context, key string) {
	t.Helper()
	run(t, ctx, fmt.Sprintf("press %q", key), chromedp.KeyEvent(key))
}

// typeEntry types s into the page's entry field and presses Enter, as a
// cashier keys in a barcode.
func typeEntry(t *testing.T, ctx context.Context, s string) {
	t.Helper()
	run(t, ctx, "type "+s, chromedp.SendKeys(chromedp.ID("entry"), s+kb.Enter))
}

// switchUplink stands in for the MQTT uplink's link state. The backlog it
// reports comes from the real ledger: the test drains it the way the
// uplink does on central's ack, by advancing the ledger's watermark.
type switchUplink struct{ connected atomic.Bool }

var _ agent.Uplink = (*switchUplink)(nil)

func (u *switchUplink) Notify() {}

func (u *switchUplink) Status() agent.UplinkStatus {
	return agent.UplinkStatus{Connected: u.connected.Load()}
}

// TestTillScreen_Chromium drives the till screen in Chromium while the
// lane's scanner and card reader are serial devices on pseudo-terminals
// read by the real serial drivers: bytes the scanner writes become a
// basket line, a swipe fills the member panel, keys tender and commit,
// the receipt shows the points, a return refunds the sale, and the
// offline banner counts the unsynced sales until they drain.
func TestTillScreen_Chromium(t *testing.T) {
	ctx := context.Background()
	f := newScreenFixture(t, nil)
	up := &switchUplink{}
	f.svc.Uplink = up
	scanner, scannerPath := serialtest.OpenPTY(t)
	reader, readerPath := serialtest.OpenPTY(t)
	reg := drivers.NewRegistry()
	if err := serial.Register(reg, serial.Options{}); err != nil {
		t.Fatal(err)
	}
	devs := &agent.Devices{Till: f.till, Registry: reg}
	dctx, stop := context.WithCancel(ctx)
	wait, err := devs.Start(dctx, []agent.LaneDevices{{Lane: "lane-1", Devices: []drivers.Config{
		{ID: "lane-1-scanner", Kind: serial.KindScanner, Path: scannerPath, Baud: 9600,
			Framing: drivers.Framing{Terminator: "cr", AIM: true}},
		{ID: "lane-1-msr", Kind: serial.KindMSR, Path: readerPath, Baud: 9600,
			Framing: drivers.Framing{Terminator: "cr"}},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stop(); wait() })
	waitDevicesOnline(t, devs)
	srv := f.serve(t, devs)

	b := newChromium(t)
	run(t, b, "size the till display", chromedp.EmulateViewport(1024, 768))
	run(t, b, "open the till screen", chromedp.Navigate(srv.URL+"/till/lane-1?lang=en"))
	run(t, b, "wait for the entry field", chromedp.WaitVisible(chromedp.ID("entry")))
	waitJS(t, b, "the entry to have focus", `document.activeElement.id === "entry"`)
	waitJS(t, b, "the offline banner", `!document.getElementById("banner").hidden`)

	// The scanner sends a milk in two fragments.
	writeDevice(t, scanner, "]E0690123", "4000016\r")
	waitJS(t, b, "the milk line", `document.querySelectorAll("#lines tr").length === 1`)
	if got := text(t, b, "lines"); !strings.Contains(got, "纯牛奶 1L") || !strings.Contains(got, "¥12.90") {
		t.Errorf("basket shows %q", got)
	}
	// A swipe on the card reader: member prices and the member panel.
	writeDevice(t, reader, ";8800000000017=2512?\r")
	waitJS(t, b, "the member panel", `document.getElementById("m-name").textContent === "李*华"`)
	waitJS(t, b, "the points this sale", `document.getElementById("m-earn").textContent !== "+0"`)
	for id, want := range map[string]string{"m-card": "*********0017", "m-tier": "gold", "m-balance": "1800",
		"m-phone": "****5678", "total": "¥11.50", "saving": "¥1.40"} {
		if got := text(t, b, id); got != want {
			t.Errorf("#%s shows %q, want %q", id, got, want)
		}
	}

	// Errors: from the scanner (its lane event) and keyed in (the API's code).
	writeDevice(t, scanner, "]E05901234123457\r")
	waitJS(t, b, "the unknown barcode error", `document.getElementById("error-msg").textContent.includes("unknown barcode")`)
	typeEntry(t, b, "6901234000017")
	waitJS(t, b, "the check digit error", `document.getElementById("error-code").textContent === "[invalid]"`)
	if got := text(t, b, "error-msg"); !strings.Contains(got, "check digit") {
		t.Errorf("check digit error shows %q", got)
	}
	press(t, b, kb.F4)
	typeEntry(t, b, "8800000000048")
	waitJS(t, b, "the blocked card error", `document.getElementById("error-code").textContent === "[conflict]"`)
	press(t, b, kb.Escape)

	// Keyed in, then voided: the oil goes and comes off again.
	typeEntry(t, b, "6901234000047")
	waitJS(t, b, "the oil line", `document.querySelectorAll("#lines tr").length === 2`)
	press(t, b, kb.F3)
	typeEntry(t, b, "")
	waitJS(t, b, "the void", `document.querySelectorAll("#lines tr").length === 1`)
	// A reward for points: the bag (second in the list).
	press(t, b, kb.F5)
	typeEntry(t, b, "2")
	waitJS(t, b, "the reward line", `document.querySelectorAll("#lines tr td.reward").length === 1`)
	waitJS(t, b, "the reward points in the panel", `document.getElementById("m-earn").textContent.includes("/ -100")`)
	// Exact cash, commit: the receipt shows the points earned.
	press(t, b, kb.F6)
	typeEntry(t, b, "")
	waitJS(t, b, "nothing due", `document.getElementById("due").textContent === "¥0.00"`)
	press(t, b, kb.F9)
	run(t, b, "wait for the receipt", chromedp.WaitVisible(chromedp.ID("receipt")))
	earned := text(t, b, "r-earned")
	if !strings.HasPrefix(earned, "+") || earned == "+0" || text(t, b, "r-total") != "¥11.50" {
		t.Errorf("receipt earned %q total %q", earned, text(t, b, "r-total"))
	}
	saveScreenshot(t, "till-receipt.png", run(t, b, "screenshot the receipt", chromedp.FullScreenshot(100)))
	saleID := text(t, b, "r-sale")

	// The sale waits to sync while the store is offline.
	waitJS(t, b, "the banner to count the sale", `document.getElementById("banner").dataset.unsynced === "1"`)
	if got := text(t, b, "banner"); !strings.Contains(got, "OFFLINE") || !strings.Contains(got, "Waiting to sync: 1") {
		t.Errorf("banner %q", got)
	}

	// A return of the whole sale, refunded in cash.
	press(t, b, kb.F10)
	typeEntry(t, b, saleID)
	run(t, b, "wait for the sale's lines", chromedp.WaitVisible(chromedp.ID("returnsale")))
	typeEntry(t, b, "")
	waitJS(t, b, "the return receipt", `document.getElementById("r-title").textContent === "Return"`)
	if got := text(t, b, "r-refund"); got != "¥11.50" {
		t.Errorf("refund shows %q", got)
	}
	saveScreenshot(t, "till-offline.png", run(t, b, "screenshot the return", chromedp.FullScreenshot(100)))

	// Central acks everything (the watermark the uplink advances on its
	// ack) and the link is back: the banner goes.
	st, err := f.ledger.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.ledger.SetWatermark(ctx, st.LastSeq); err != nil {
		t.Fatal(err)
	}
	up.connected.Store(true)
	waitJS(t, b, "the banner to clear", `document.getElementById("banner").hidden`)
	if got := text(t, b, "sync"); !strings.Contains(got, "Synced") {
		t.Errorf("sync status %q", got)
	}
	press(t, b, kb.Escape)

	// Points beyond the offline daily cap are refused with the API's
	// code and message; the sale is then cancelled.
	typeEntry(t, b, "6901234000115")
	writeDevice(t, reader, ";8800123456787=2512?\r")
	waitJS(t, b, "the second member", `document.getElementById("m-tier").textContent === "vip"`)
	press(t, b, kb.F8)
	typeEntry(t, b, "6000")
	waitJS(t, b, "the points cap error", `document.getElementById("error-msg").textContent.includes("offline limit")`)
	if got := text(t, b, "error-code"); got != "[conflict]" {
		t.Errorf("points cap error code %q", got)
	}
	run(t, b, "cancel the sale", chromedp.KeyEvent(kb.F3, chromedp.KeyModifiers(kb.ModifierShift)))
	waitJS(t, b, "the empty basket", `document.querySelectorAll("#lines tr").length === 0`)

	measureScanLatency(t, b, scanner, 50)
}

// measureScanLatency logs how long a scanner's bytes take to show in the
// page: from the write into the pty to the page's DOM change, both on
// this machine's clock (a MutationObserver stamps the change).
func measureScanLatency(t *testing.T, b context.Context, scanner *os.File, n int) {
	t.Helper()
	press(t, b, kb.Escape)
	run(t, b, "install the observer", chromedp.Evaluate[bool](`(() => {
		window.seen = {};
		new MutationObserver(() => {
			const td = document.querySelector("#lines tr td:nth-child(3)");
			const name = document.querySelector("#lines tr td:nth-child(2)");
			if (td && name && name.textContent === "矿泉水 550ml" && !(td.textContent in window.seen)) {
				window.seen[td.textContent] = performance.timeOrigin + performance.now();
			}
		}).observe(document.getElementById("lines"), {childList: true, subtree: true, characterData: true});
		return true; })()`))
	lat := make([]time.Duration, 0, n)
	for i := 1; i <= n; i++ {
		start := time.Now()
		writeDevice(t, scanner, "]E496385074\r")
		key := fmt.Sprintf("%q", fmt.Sprint(i))
		waitJS(t, b, "scan "+fmt.Sprint(i), `window.seen[`+key+`] !== undefined`)
		ms := run(t, b, "read the stamp", chromedp.Evaluate[float64](`window.seen[`+key+`]`))
		lat = append(lat, time.Duration(ms*float64(time.Millisecond))-time.Duration(start.UnixNano()))
	}
	slices.Sort(lat)
	p := func(q float64) time.Duration { return lat[int(q*float64(len(lat)-1)+0.5)] }
	t.Logf("scanner byte → line in Chromium over %d scans: p50 %v, p99 %v, max %v", n,
		p(0.50).Round(100*time.Microsecond), p(0.99).Round(100*time.Microsecond), lat[len(lat)-1].Round(100*time.Microsecond))
}

func writeDevice(t *testing.T, dev *os.File, chunks ...string) {
	t.Helper()
	for _, c := range chunks {
		if _, err := dev.WriteString(c); err != nil {
			t.Fatalf("write to %s: %v", dev.Name(), err)
		}
	}
}

func waitDevicesOnline(t *testing.T, devs *agent.Devices) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		online := 0
		for _, d := range devs.Status() {
			if d.State == "online" {
				online++
			}
		}
		if online == 2 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("devices not online: %+v", devs.Status())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// saveScreenshot writes shot as name to the test's temp dir, or to the
// directory $TILLSYNC_TEST_ARTIFACTS names (kept after the run), and
// checks that it is a PNG with a picture in it.
func saveScreenshot(t *testing.T, name string, shot []byte) {
	t.Helper()
	dir := os.Getenv("TILLSYNC_TEST_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, shot, 0o600); err != nil {
		t.Fatalf("save screenshot: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatalf("screenshot %s (%d bytes) is not a PNG: %v", path, len(shot), err)
	}
	if bd := img.Bounds(); bd.Dx() < 100 || bd.Dy() < 100 {
		t.Fatalf("screenshot %s is %dx%d, want the page", path, bd.Dx(), bd.Dy())
	}
	t.Logf("screenshot %s: %v, %d bytes", path, img.Bounds().Size(), len(shot))
}
