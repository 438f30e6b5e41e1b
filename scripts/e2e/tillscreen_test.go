package e2e

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/tillsync/tillsync/drivers/serial/serialtest"
)

// chromiumBin is Debian's chromium; scripts/test.sh installs it.
const chromiumBin = "/usr/bin/chromium"

// screenStep bounds one wait in the browser. It only catches a hung
// system on a loaded box with race-built binaries; it is not a speed
// assertion.
const screenStep = 60 * time.Second

// TestTillScreen_OfflineBanner drives the real agent's till screen in a
// headless Chromium, with the lane's scanner a serial device on a
// pseudo-terminal and central (with its embedded broker) a real process:
// a scan shows as a basket line, keys tender exact cash and commit, and
// when central goes down the offline banner appears, counts the sale
// made meanwhile, and goes once the agent has reconnected and drained.
func TestTillScreen_OfflineBanner(t *testing.T) {
	dir := t.TempDir()
	c := startCentral(t, centralOpts{dir: dir})
	scanner, scannerPath := serialtest.OpenPTY(t)
	conf := filepath.Join(dir, "agent.yaml")
	body := fmt.Sprintf(`lanes:
  - id: lane-1
    devices:
      - {id: lane-1-scanner, kind: serial-scanner, path: %s, baud: 9600, framing: {terminator: cr, aim: true}}
`, scannerPath)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	a := &agentProc{api: "http://" + addr, storeID: "store-1", agentID: "store-1-a1", dir: dir,
		env: agentEnv(dir, "store-1", "store-1-a1", addr, c.brokerURL), args: []string{"--config", conf}}
	a.loadExamples(t)
	a.launch(t)
	waitFor(t, time.Minute, "the scanner online and the uplink connected", func() bool {
		var d struct {
			Devices []struct{ ID, State string } `json:"devices"`
		}
		code, err := getJSON(a.api+"/v1/devices", &d)
		return err == nil && code == http.StatusOK && len(d.Devices) == 1 && d.Devices[0].State == "online" &&
			a.status(t).Connected
	})

	p := openTillScreen(t, a.api+"/till/lane-1?lang=en")
	p.wait("the online status", `document.getElementById("sync").textContent.startsWith("Online")`)

	// Online: a milk from the scanner, exact cash (F6, Enter alone), commit (F9).
	first := p.sellMilk(scanner)
	a.waitSynced(t)
	p.wait("the synced status", `document.getElementById("sync").textContent === "Online · Synced"`)
	if !p.eval(`document.getElementById("banner").hidden`) {
		t.Errorf("banner shows while online: %q", p.text("banner"))
	}
	p.screenshot("till-online.png")

	// Central and its broker go down: the till keeps selling and says so.
	c.kill(t)
	p.wait("the offline banner", `!document.getElementById("banner").hidden`)
	second := p.sellMilk(scanner)
	if second == first {
		t.Fatalf("the second receipt shows the first sale %s", first)
	}
	p.wait("the banner to count the unsynced sale", `document.getElementById("banner").dataset.unsynced === "1"`)
	if got := p.text("banner"); !strings.Contains(got, "OFFLINE") || !strings.Contains(got, "Waiting to sync: 1") {
		t.Errorf("banner %q", got)
	}
	p.screenshot("till-offline.png")

	// Central is back: the agent reconnects, drains its outbox, the banner goes.
	c.restart(t, dir)
	p.wait("the banner to clear", `document.getElementById("banner").hidden`)
	p.wait("the outbox to drain", `document.getElementById("sync").textContent === "Online · Synced"`)
	for _, id := range []string{first, second} {
		if code, err := getJSON(c.http+"/v1/sales/"+id, nil); err != nil || code != http.StatusOK {
			t.Errorf("sale %s at central: %d %v", id, code, err)
		}
	}
}

// tillScreen is the till screen open in a headless Chromium.
type tillScreen struct {
	t   *testing.T
	ctx context.Context
}

// openTillScreen starts a headless Chromium the size of a till display
// (1024×768) with a fresh profile and opens url in it.
func openTillScreen(t *testing.T, url string) *tillScreen {
	t.Helper()
	if _, err := os.Stat(chromiumBin); err != nil {
		t.Fatalf("the till screen test needs Debian's chromium at %s (scripts/test.sh installs it): %v", chromiumBin, err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumBin),
		chromedp.Headless,
		chromedp.NoSandbox, // tests run as root, where Chromium's sandbox cannot start
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(filepath.Join(t.TempDir(), "profile")),
		chromedp.WindowSize(1024, 768),
	)
	allocCtx, allocCancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(allocCancel)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v", chromiumBin, err)
	}
	p := &tillScreen{t: t, ctx: ctx}
	screenRun(p, "size the till display", chromedp.EmulateViewport(1024, 768))
	screenRun(p, "open "+url, chromedp.Navigate(url))
	screenRun(p, "wait for the entry field", chromedp.WaitVisible(chromedp.ID("entry")))
	p.wait("the entry to have focus", `document.activeElement.id === "entry"`)
	return p
}

// sellMilk writes a milk's EAN-13 (with its AIM prefix) into the scanner,
// waits for the line, tenders exact cash, commits, and returns the sale id
// the receipt shows.
func (p *tillScreen) sellMilk(scanner *os.File) string {
	p.t.Helper()
	if _, err := scanner.WriteString("]E06901234000016\r"); err != nil {
		p.t.Fatalf("write to the scanner: %v", err)
	}
	p.wait("the milk line", `document.getElementById("receipt").hidden &&
		document.querySelectorAll("#lines tr").length === 1 &&
		document.getElementById("lines").textContent.includes("纯牛奶 1L")`)
	p.press(kb.F6)
	p.enter("")
	p.wait("nothing due", `document.getElementById("due").textContent === "¥0.00" &&
		document.getElementById("tenders").textContent !== ""`)
	p.press(kb.F9)
	screenRun(p, "wait for the receipt", chromedp.WaitVisible(chromedp.ID("receipt")))
	if got := p.text("r-total"); got != "¥12.90" {
		p.t.Errorf("receipt total %q, want ¥12.90", got)
	}
	return p.text("r-sale")
}

func (p *tillScreen) wait(what, cond string) {
	p.t.Helper()
	sctx, cancel := context.WithTimeout(p.ctx, screenStep)
	defer cancel()
	if _, err := chromedp.Run(sctx, chromedp.Poll[bool](cond, chromedp.WithPollingTimeout(screenStep-time.Second))); err != nil {
		p.t.Fatalf("browser: wait for %s: %v\nbanner %q, sync %q, error %q", what, err,
			p.text("banner"), p.text("sync"), p.text("error"))
	}
}

func (p *tillScreen) eval(expr string) bool {
	p.t.Helper()
	return screenRun(p, "evaluate "+expr, chromedp.Evaluate[bool](expr))
}

func (p *tillScreen) text(id string) string {
	p.t.Helper()
	return screenRun(p, "read #"+id, chromedp.Evaluate[string](fmt.Sprintf("document.getElementById(%q).textContent", id)))
}

func (p *tillScreen) press(key string) {
	p.t.Helper()
	screenRun(p, fmt.Sprintf("press %q", key), chromedp.KeyEvent(key))
}

// enter types s into the entry field and presses Enter, as a cashier does.
func (p *tillScreen) enter(s string) {
	p.t.Helper()
	screenRun(p, "type "+s+"⏎", chromedp.SendKeys(chromedp.ID("entry"), s+kb.Enter))
}

// screenshot saves the page as name in $TILLSYNC_TEST_ARTIFACTS (kept
// after the run) or the test's temp dir, and checks it is a PNG of the page.
func (p *tillScreen) screenshot(name string) {
	p.t.Helper()
	shot := screenRun(p, "screenshot "+name, chromedp.FullScreenshot(100))
	dir := os.Getenv("TILLSYNC_TEST_ARTIFACTS")
	if dir == "" {
		dir = p.t.TempDir()
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, shot, 0o600); err != nil {
		p.t.Fatalf("save screenshot: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		p.t.Fatalf("screenshot %s (%d bytes) is not a PNG: %v", path, len(shot), err)
	}
	if bd := img.Bounds(); bd.Dx() < 100 || bd.Dy() < 100 {
		p.t.Fatalf("screenshot %s is %dx%d, want the page", path, bd.Dx(), bd.Dy())
	}
	p.t.Logf("screenshot %s: %v", path, img.Bounds().Size())
}

// screenRun runs action in the page with a deadline.
func screenRun[T any](p *tillScreen, what string, action chromedp.Action[T]) T {
	p.t.Helper()
	sctx, cancel := context.WithTimeout(p.ctx, screenStep)
	defer cancel()
	v, err := chromedp.Run(sctx, action)
	if err != nil {
		p.t.Fatalf("browser: %s: %v", what, err)
	}
	return v
}
