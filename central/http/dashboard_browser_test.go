package http_test

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tillsync/tillsync/central"
	"github.com/tillsync/tillsync/central/sqlite"
	"github.com/tillsync/tillsync/central/storetest"
	"github.com/tillsync/tillsync/syncproto"
)

// chromiumPath is Debian's chromium; scripts/test.sh installs it.
const chromiumPath = "/usr/bin/chromium"

// browserStep bounds one browser action; generous for a loaded CI box.
const browserStep = 60 * time.Second

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

// newChromium starts a headless Chromium with a fresh profile and returns
// its chromedp context, after the browser is up. A missing Chromium fails
// the test.
func newChromium(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("the dashboard test needs Debian's chromium at %s (scripts/test.sh installs it with "+
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
		chromedp.WindowSize(1200, 900),
		chromedp.CombinedOutput(out),
	)
	// The allocator's cancel waits for the browser process to exit, so
	// the profile directory is free before t.TempDir removes it.
	allocCtx, allocCancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(allocCancel)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(cancel)
	// The first action starts the browser; it gets no deadline, because a
	// deadline on it would bound the browser's whole life.
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

// overviewWant is what the overview must show, computed from the store
// the way an auditor would: a store is online when one of its agents is.
type overviewWant struct {
	online, offline int
	sales           int64
	totalFen        int64
	stores          []central.StoreSales
}

func wantOverview(t *testing.T, db *sqlite.DB) overviewWant {
	t.Helper()
	ctx := context.Background()
	sales, err := db.SalesByStore(ctx)
	if err != nil {
		t.Fatalf("SalesByStore: %v", err)
	}
	presence, err := db.Presence(ctx)
	if err != nil {
		t.Fatalf("Presence: %v", err)
	}
	online := map[string]bool{}
	for _, p := range presence {
		online[p.StoreID] = online[p.StoreID] || p.Online
	}
	w := overviewWant{stores: sales}
	for _, s := range sales {
		w.sales += s.Sales
		w.totalFen += s.TotalFen
		if _, ok := online[s.StoreID]; !ok {
			online[s.StoreID] = false
		}
	}
	for _, on := range online {
		if on {
			w.online++
		} else {
			w.offline++
		}
	}
	if len(sales) < 2 || w.online == 0 || w.offline == 0 {
		t.Fatalf("fixture too thin to test anything: %+v", w)
	}
	return w
}

func TestDashboard_Chromium(t *testing.T) {
	srv, db := newDashboard(t, newTestClock(receivedAt))
	ctx := newChromium(t)

	// Logged out, the dashboard sends the browser to the login form.
	run(t, ctx, "open the dashboard", chromedp.Navigate(srv.URL+"/dashboard/"))
	if loc := run(t, ctx, "location", chromedp.Location()); loc != srv.URL+"/dashboard/login" {
		t.Fatalf("logged out, the dashboard is at %s, want the login page", loc)
	}
	run(t, ctx, "type the user", chromedp.SendKeys(chromedp.ID("user"), testUser))
	run(t, ctx, "type the password", chromedp.SendKeys(chromedp.ID("password"), testPassword))
	sctx, cancel := context.WithTimeout(ctx, browserStep)
	resp, err := chromedp.RunResponse(sctx, chromedp.Click(chromedp.CSS("#login button")))
	cancel()
	if err != nil {
		t.Fatalf("browser: submit the login form: %v", err)
	}
	if resp.Status != http.StatusOK || resp.URL != srv.URL+"/dashboard/" {
		t.Fatalf("after login the browser shows %s (%d), want the overview", resp.URL, resp.Status)
	}
	run(t, ctx, "wait for the overview", chromedp.WaitVisible(chromedp.ID("overview")))

	want := wantOverview(t, db)
	text := func(sel string) string {
		return strings.TrimSpace(run(t, ctx, "read "+sel, chromedp.Text(chromedp.CSS(sel))))
	}
	for sel, w := range map[string]string{
		"#stores-online": strconv.Itoa(want.online), "#stores-offline": strconv.Itoa(want.offline),
		"#total-sales": strconv.FormatInt(want.sales, 10), "#total-amount": central.FormatFen(want.totalFen),
	} {
		if got := text(sel); got != w {
			t.Errorf("overview %s = %q, want %q", sel, got, w)
		}
	}
	for _, s := range want.stores {
		row := `#sales tr[data-store="` + s.StoreID + `"] `
		if got, w := text(row+".sales"), strconv.FormatInt(s.Sales, 10); got != w {
			t.Errorf("store %s sales = %q, want %q", s.StoreID, got, w)
		}
		if got, w := text(row+".amount"), central.FormatFen(s.TotalFen); got != w {
			t.Errorf("store %s amount = %q, want %q", s.StoreID, got, w)
		}
	}
	saveScreenshot(t, "overview.png", run(t, ctx, "screenshot", chromedp.FullScreenshot(100)))

	// The customers page draws the latest run's pyramid with the
	// database's figures.
	classifyForBrowser(t, db)
	run(t, ctx, "open the customers page", chromedp.Navigate(srv.URL+"/dashboard/customers"))
	run(t, ctx, "wait for the pyramid", chromedp.WaitVisible(chromedp.ID("pyramid")))
	checkCustomers(t, ctx, db)
	saveScreenshot(t, "customers.png", run(t, ctx, "screenshot the customers page", chromedp.FullScreenshot(100)))

	// The browser's session reaches member data; the card stays masked.
	resp = run(t, ctx, "open the balance JSON", chromedp.NavigateResponse(srv.URL+balancePath))
	body := documentText(t, ctx, srv.URL+balancePath)
	if resp.Status != http.StatusOK || !strings.Contains(body, `"card": "************7890"`) || strings.Contains(body, testCard) {
		t.Fatalf("balance with a session = %d %s", resp.Status, body)
	}
	// Without the session cookie member data is refused: from another
	// client, and in the browser after logging out.
	noCookie, noCookieBody := getPage(t, &http.Client{}, srv.URL+balancePath)
	wantStatus(t, noCookie, noCookieBody, http.StatusUnauthorized, "")
	run(t, ctx, "back to the overview", chromedp.Navigate(srv.URL+"/dashboard/"))
	sctx, cancel = context.WithTimeout(ctx, browserStep)
	resp, err = chromedp.RunResponse(sctx, chromedp.Click(chromedp.CSS("form.logout button")))
	cancel()
	if err != nil || resp.URL != srv.URL+"/dashboard/login" {
		t.Fatalf("browser: log out: %v (at %v)", err, resp)
	}
	resp = run(t, ctx, "open the balance JSON logged out", chromedp.NavigateResponse(srv.URL+balancePath))
	if body := documentText(t, ctx, srv.URL+balancePath); resp.Status != http.StatusUnauthorized || !strings.Contains(body, `"unauthorized"`) {
		t.Fatalf("balance after logout = %d %s, want 401 unauthorized", resp.Status, body)
	}
}

// documentText returns the text of the browser's document once it is the
// loaded page at url. It asks the document itself rather than querying a
// node: right after a navigation, a node query can still resolve against
// the page before.
func documentText(t *testing.T, ctx context.Context, url string) string {
	t.Helper()
	expr := `document.readyState === "complete" && document.location.href === ` + strconv.Quote(url) +
		` ? document.body.innerText : null`
	end := time.Now().Add(browserStep)
	for {
		got := run(t, ctx, "read the document at "+url, chromedp.Evaluate[*string](expr))
		if got != nil {
			return *got
		}
		if time.Now().After(end) {
			t.Fatalf("the browser never showed %s loaded", url)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// saveScreenshot writes shot to the test's temp dir as name and checks
// that it is a PNG with a picture in it.
func saveScreenshot(t *testing.T, name string, shot []byte) {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, shot, 0o600); err != nil {
		t.Fatalf("save screenshot: %v", err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("open screenshot: %v", err)
	}
	defer func() {
		if err := f.Close(); err != nil {
			t.Errorf("close screenshot: %v", err)
		}
	}()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot %s (%d bytes) is not a PNG: %v", path, len(shot), err)
	}
	if b := img.Bounds(); b.Dx() < 100 || b.Dy() < 100 {
		t.Fatalf("screenshot %s is %dx%d, want the page", path, b.Dx(), b.Dy())
	}
	t.Logf("screenshot %s: %v, %d bytes", path, img.Bounds().Size(), len(shot))
}

// classifyForBrowser ingests 30 member cards of s1/a9 in December 2025,
// card k buying k times, and classifies them (with testCard's points sale)
// as of receivedAt with the pyramid cut at 10 / 20 / 30 %, so that every
// layer holds members.
func classifyForBrowser(t *testing.T, db *sqlite.DB) {
	t.Helper()
	skus := []string{"MILK", "BREAD", "WINE", "EGGS", "TEA"}
	var evs []*syncproto.Event
	seq := uint64(1)
	for k := 1; k <= 30; k++ {
		for i := range k {
			evs = append(evs, storetest.StatsSaleEvent(storetest.StatsSale{Store: "s1", Agent: "a9", Seq: seq,
				Card: fmt.Sprintf("62030000000000%02d", k), At: time.Date(2025, 12, 1+i%28, 10, 0, 0, 0, time.UTC),
				Lines: []storetest.StatsLine{{SKU: skus[(k+i)%len(skus)], QuantityMilli: 1000, UnitPriceFen: int64(100 * k)}}}))
			seq++
		}
	}
	ctx := context.Background()
	if _, err := db.IngestBatch(ctx, storetest.Batch("s1", "a9", evs...), receivedAt); err != nil {
		t.Fatalf("IngestBatch: %v", err)
	}
	o := central.ClassificationOptions{Classify: central.DefaultClassifyOptions()}
	o.Classify.Pyramid = central.PyramidOptions{VIPShareBP: 1000, BigShareBP: 2000, OrdinaryShareBP: 3000}
	if _, err := central.RunClassification(ctx, db, db, receivedAt, o); err != nil {
		t.Fatalf("RunClassification: %v", err)
	}
}

// checkCustomers compares the customers page in the browser with the
// database: every pyramid band's members and share, and each class's best
// seller.
func checkCustomers(t *testing.T, ctx context.Context, db *sqlite.DB) {
	t.Helper()
	dbctx := context.Background()
	latest, err := db.LatestRun(dbctx)
	if err != nil {
		t.Fatalf("LatestRun: %v", err)
	}
	sizes, err := db.ClassSizes(dbctx, latest.ID)
	if err != nil {
		t.Fatalf("ClassSizes: %v", err)
	}
	textOf := func(sel string) string {
		return strings.TrimSpace(run(t, ctx, "read "+sel, chromedp.TextContent(chromedp.CSS(sel))))
	}
	bands := 0
	for _, s := range sizes {
		if s.Classifier != central.ClassifierPyramid || s.Class == central.ExcludedClass {
			continue
		}
		if s.Members == 0 {
			t.Fatalf("fixture too thin: pyramid class %s is empty", s.Class)
		}
		bands++
		band := `#pyramid g[data-class="` + s.Class + `"] `
		if got, w := textOf(band+"tspan.members"), strconv.FormatInt(s.Members, 10); got != w {
			t.Errorf("pyramid %s members = %q, want %q", s.Class, got, w)
		}
		if got, w := textOf(band+"tspan.share"), central.FormatBP(s.SpendShareBP); got != w {
			t.Errorf("pyramid %s share = %q, want %q", s.Class, got, w)
		}
	}
	if n := len(run(t, ctx, "count the bands", chromedp.Evaluate[[]string](
		`Array.from(document.querySelectorAll("#pyramid polygon"), p => p.getAttribute("class"))`))); bands != 4 || n != bands {
		t.Errorf("the page draws %d bands, the database has %d pyramid classes; want 4", n, bands)
	}
	tp, err := db.TopClassProducts(dbctx, central.TopProductsQuery{RunID: latest.ID, Limit: 5})
	if err != nil {
		t.Fatalf("TopClassProducts: %v", err)
	}
	for _, c := range tp.Classes {
		best := c.Products[0]
		row := `table.products[data-class="` + c.Class + `"] tr[data-sku="` + best.SKU + `"] `
		if got, w := textOf(row+".rank"), "1"; got != w {
			t.Errorf("%s best seller %s rank = %q, want %q", c.Class, best.SKU, got, w)
		}
		if got, w := textOf(row+".spend"), central.FormatFen(best.SpendFen); got != w {
			t.Errorf("%s best seller %s spend = %q, want %q", c.Class, best.SKU, got, w)
		}
	}
}
