package http_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tillsync/tillsync/agent"
	"github.com/tillsync/tillsync/agent/bolt"
	agenthttp "github.com/tillsync/tillsync/agent/http"
	"github.com/tillsync/tillsync/agent/importfile"
)

// screenFixture is a till over a real ledger loaded with the example
// catalog, members and policy from configs/, before any server is built.
type screenFixture struct {
	ledger *bolt.Ledger
	till   *agent.Till
	hub    *agenthttp.Hub
	svc    *agent.Service
}

// newScreenFixture loads the examples; editPolicy, if set, changes the
// policy before it is stored.
func newScreenFixture(t testing.TB, editPolicy func(*agent.Policy)) *screenFixture {
	t.Helper()
	ctx := context.Background()
	ledger, err := bolt.Open(filepath.Join(t.TempDir(), "ledger.db"), bolt.Options{StoreID: "s1", AgentID: "a1"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := ledger.Close(); err != nil {
			t.Error(err)
		}
	})
	open := func(name string) *os.File {
		f, err := os.Open(filepath.Join("..", "..", "configs", name))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	products, err := importfile.ParseCatalogCSV(open("catalog.example.csv"))
	if err != nil {
		t.Fatal(err)
	}
	members, err := importfile.ParseMembersCSV(open("members.example.csv"))
	if err != nil {
		t.Fatal(err)
	}
	policy, err := importfile.ParsePolicyYAML(open("policy.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if editPolicy != nil {
		editPolicy(policy)
	}
	if err := ledger.ReplaceCatalog(ctx, 1, products); err != nil {
		t.Fatal(err)
	}
	if err := ledger.ReplaceMembers(ctx, 1, members); err != nil {
		t.Fatal(err)
	}
	if err := ledger.SetPolicy(ctx, policy); err != nil {
		t.Fatal(err)
	}
	hub := agenthttp.NewHub()
	var n atomic.Int64
	newID := func() (string, error) { return fmt.Sprintf("0193a8f0-0000-7000-8000-%012d", n.Add(1)), nil }
	return &screenFixture{
		ledger: ledger, hub: hub,
		till: &agent.Till{StoreID: "s1", Store: ledger, Now: time.Now, OnEvent: hub.Publish, NewID: newID},
		svc:  &agent.Service{StoreID: "s1", AgentID: "a1", Ledger: ledger, Now: time.Now, NewID: newID},
	}
}

// serve serves the fixture's API with devices (nil: none configured).
func (f *screenFixture) serve(t testing.TB, devices agenthttp.DeviceLister) *httptest.Server {
	t.Helper()
	s := agenthttp.NewServer(f.svc, f.till, f.hub, nil)
	if devices != nil {
		s.SetDevices(devices)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return srv
}

// laneDevices lists one scanner per lane named.
type laneDevices []string

func (l laneDevices) Status() []agent.DeviceStatus {
	var out []agent.DeviceStatus
	for _, lane := range l {
		out = append(out, agent.DeviceStatus{ID: lane + "-scanner", Kind: "serial-scanner", Lane: lane, State: "online"})
	}
	return out
}

// getPage fetches url with an Accept-Language header ("" for none).
func getPage(t *testing.T, url, acceptLanguage string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if acceptLanguage != "" {
		req.Header.Set("Accept-Language", acceptLanguage)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(body)
}

func TestTillScreen_Page(t *testing.T) {
	srv := newScreenFixture(t, nil).serve(t, laneDevices{"lane-1"})
	tests := []struct {
		name, query, acceptLanguage, lang string
		want                              []string
	}{
		{"OKEnglishByDefault", "", "", "en", []string{`<kbd>F9</kbd>Commit`, `<kbd>F6</kbd>Cash`, "Member savings", "保温杯"}},
		{"OKChineseByQuery", "?lang=zh", "en-US", "zh", []string{`<kbd>F9</kbd>结账`, `<kbd>F6</kbd>现金`, "会员优惠"}},
		{"OKChineseByHeader", "", "fr;q=0.9, zh-CN;q=0.8, en;q=0.5", "zh", []string{"积分兑换"}},
		{"OKEnglishByHeader", "", "en-GB,zh;q=0.3", "en", []string{"Rewards"}},
		{"OKUnknownQueryFallsBack", "?lang=xx", "zh", "zh", []string{"结账"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, h, body := getPage(t, srv.URL+"/till/lane-1"+tt.query, tt.acceptLanguage)
			if code != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
				t.Fatalf("%d %s: %s", code, h.Get("Content-Type"), body)
			}
			if !strings.Contains(body, `<html lang="`+tt.lang+`">`) || h.Get("Content-Language") != tt.lang {
				t.Errorf("page not in %s (Content-Language %q)", tt.lang, h.Get("Content-Language"))
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			if !strings.Contains(body, `"lane":"lane-1"`) {
				t.Errorf("the script is not given the lane:\n%s", body)
			}
		})
	}
}

func TestTillScreen_ErrUnknownLane(t *testing.T) {
	f := newScreenFixture(t, nil)
	srv := f.serve(t, laneDevices{"lane-1"})
	for _, path := range []string{"/till/lane-9", "/till/lane%201", "/till/%3Cscript%3E"} {
		code, got := do(t, "GET", srv.URL+path, "")
		e, _ := got["error"].(map[string]any)
		if code != http.StatusNotFound || e == nil || e["code"] != agent.ENOTFOUND || !strings.Contains(e["message"].(string), "not a lane") {
			t.Errorf("GET %s: %d %v, want 404 not_found", path, code, got)
		}
	}
	// A lane without devices driven through the API has a screen while
	// it has an open basket.
	if code, got := do(t, "POST", srv.URL+"/v1/lanes/lane-9/scan", `{"data":"6901234000016"}`); code != http.StatusOK {
		t.Fatalf("scan: %d %v", code, got)
	}
	if code, _, body := getPage(t, srv.URL+"/till/lane-9", ""); code != http.StatusOK {
		t.Errorf("lane-9 with a basket: %d %s", code, body)
	}
	// Without configured devices every valid lane id has a screen.
	open := f.serve(t, nil)
	if code, _, body := getPage(t, open.URL+"/till/lane-7", ""); code != http.StatusOK {
		t.Errorf("no devices configured: %d %s", code, body)
	}
}

func TestTillScreen_Escaping(t *testing.T) {
	const evil = `<img src=x onerror=alert(1)>`
	srv := newScreenFixture(t, func(p *agent.Policy) { p.Rewards[0].Name = evil }).serve(t, nil)
	code, _, body := getPage(t, srv.URL+"/till/lane-1", "")
	if code != http.StatusOK {
		t.Fatalf("%d %s", code, body)
	}
	if strings.Contains(body, evil) || !strings.Contains(body, "&lt;img src=x onerror=alert(1)&gt;") {
		t.Errorf("reward name not escaped:\n%s", body)
	}
}

func TestTillScreen_Assets(t *testing.T) {
	srv := newScreenFixture(t, nil).serve(t, nil)
	for _, tt := range []struct{ path, ctype, want string }{
		{"/tillscreen/till.js", "javascript", "EventSource"},
		{"/tillscreen/till.css", "text/css", "1024px"},
	} {
		code, h, body := getPage(t, srv.URL+tt.path, "")
		if code != http.StatusOK || !strings.Contains(h.Get("Content-Type"), tt.ctype) || !strings.Contains(body, tt.want) {
			t.Errorf("GET %s: %d %s", tt.path, code, h.Get("Content-Type"))
		}
	}
	if strings.Contains(mustGet(t, srv.URL+"/tillscreen/till.js"), "innerHTML") {
		t.Error("the script writes innerHTML; everything must go through textContent")
	}
}

func mustGet(t *testing.T, url string) string {
	t.Helper()
	_, _, body := getPage(t, url, "")
	return body
}

// TestTillScreen_Panel: the member panel shows the member's points and
// the points the basket earns, which the commit then records.
func TestTillScreen_Panel(t *testing.T) {
	srv := newScreenFixture(t, nil).serve(t, nil)
	lane := srv.URL + "/v1/lanes/lane-1"
	code, p := do(t, "GET", srv.URL+"/till/lane-1/panel", "")
	if code != http.StatusOK || p["member"] != nil || p["points_tender_points"] != 100.0 {
		t.Fatalf("empty lane panel: %d %v", code, p)
	}
	for _, data := range []string{"6901234000016", "6901234000047", "8800000000017"} {
		if code, got := do(t, "POST", lane+"/scan", `{"data":"`+data+`"}`); code != http.StatusOK {
			t.Fatalf("scan %s: %d %v", data, code, got)
		}
	}
	code, p = do(t, "GET", srv.URL+"/till/lane-1/panel", "")
	m, _ := p["member"].(map[string]any)
	pts, _ := p["points"].(map[string]any)
	if code != http.StatusOK || m == nil || m["name"] != "李*华" || m["card"] != "*********0017" || m["tier"] != "gold" ||
		p["phone_last4"] != "5678" || pts == nil || pts["available"] != 1800.0 {
		t.Fatalf("panel %d %v", code, p)
	}
	earn := p["points_this_sale"].(float64)
	if earn <= 0 {
		t.Fatalf("points this sale %v, want some", earn)
	}
	if code, got := do(t, "POST", lane+"/tenders", `{"kind":"cash","amount_fen":10000}`); code != http.StatusOK {
		t.Fatalf("tender %d %v", code, got)
	}
	code, r := do(t, "POST", lane+"/commit", `{}`)
	if code != http.StatusCreated || r["points_earned_pending"] != earn {
		t.Errorf("commit %d earned %v, panel said %v", code, r["points_earned_pending"], earn)
	}
}
