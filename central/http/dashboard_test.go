package http_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tillsync/tillsync/central"
	centralhttp "github.com/tillsync/tillsync/central/http"
	"github.com/tillsync/tillsync/central/sqlite"
	"github.com/tillsync/tillsync/central/storetest"
	"github.com/tillsync/tillsync/syncproto"
)

// Dashboard test users.
const (
	testUser     = "hq"
	testPassword = "correct horse battery"
	testCard     = "6200001234567890"
)

// testClock is a settable clock, safe for the server's goroutines.
type testClock struct{ ns atomic.Int64 }

func newTestClock(t time.Time) *testClock {
	c := &testClock{}
	c.ns.Store(t.UnixNano())
	return c
}

func (c *testClock) Now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *testClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// dashboardDB opens a real SQLite store holding s1/a1's sales 1..3, s2/a2's
// sales 1..2, a points sale of testCard, and presence for a1 (online, 7
// events waiting) and a2 (offline).
func dashboardDB(t *testing.T) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "central.db"), sqlite.Options{})
	if err != nil {
		t.Fatalf("sqlite.Open: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("db Close: %v", err)
		}
	})
	ctx := context.Background()
	points := storetest.Batch("s3", "a3", storetest.PointsSaleEvent(storetest.PointsSale{
		Store: "s3", Agent: "a3", Seq: 1, Card: testCard, Member: "M-1", At: receivedAt, Earn: []int64{40, 2},
	}))
	for _, b := range []*syncproto.Batch{storetest.SaleBatch("s1", "a1", 1, 3), storetest.SaleBatch("s2", "a2", 1, 2), points} {
		if _, err := db.IngestBatch(ctx, b, receivedAt); err != nil {
			t.Fatalf("IngestBatch: %v", err)
		}
	}
	for _, p := range []central.Presence{
		{StoreID: "s1", AgentID: "a1", Session: 3, Online: true, LastSeen: receivedAt, OutboxDepth: 7,
			OldestUnsynced: receivedAt.Add(-90 * time.Second), ClockSkew: 1500 * time.Millisecond},
		{StoreID: "s2", AgentID: "a2", Session: 1, Online: false, LastSeen: receivedAt},
	} {
		if _, err := db.RecordPresence(ctx, p); err != nil {
			t.Fatalf("RecordPresence: %v", err)
		}
	}
	return db
}

// newDashboard serves the API over dashboardDB with the dashboard on for
// testUser, on clock.
func newDashboard(t *testing.T, clock *testClock) (*httptest.Server, *sqlite.DB) {
	t.Helper()
	db := dashboardDB(t)
	users, err := centralhttp.ParseUsers(strings.NewReader(userLine(t, testUser, testPassword) + "\n" +
		userLine(t, "audit", "another password") + "\n"))
	if err != nil {
		t.Fatalf("ParseUsers: %v", err)
	}
	s := centralhttp.NewServer(db, nil)
	if err := s.EnableDashboard(centralhttp.DashboardOptions{Users: users, SessionKey: []byte(strings.Repeat("k", 32)),
		SessionTTL: time.Hour, Now: clock.Now}); err != nil {
		t.Fatalf("EnableDashboard: %v", err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return srv, db
}

// browser is an HTTP client with a cookie jar that does not follow
// redirects, so that tests see them.
func browser(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatalf("cookiejar: %v", err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// do sends req and returns the response with its body read.
func do(t *testing.T, c *http.Client, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	body, err := io.ReadAll(resp.Body)
	if cerr := resp.Body.Close(); cerr != nil {
		t.Errorf("close body: %v", cerr)
	}
	if err != nil {
		t.Fatalf("read %s: %v", req.URL, err)
	}
	return resp, string(body)
}

func getPage(t *testing.T, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatalf("NewRequest: %v", err)
	}
	return do(t, c, req)
}

// postForm posts form to u with header set (e.g. an Origin).
func postForm(t *testing.T, c *http.Client, u string, form url.Values, header map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatalf("NewRequest: %v", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return do(t, c, req)
}

var csrfInput = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrfOf returns the CSRF token of the form in page.
func csrfOf(t *testing.T, page string) string {
	t.Helper()
	m := csrfInput.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no csrf field in page:\n%s", page)
	}
	return m[1]
}

// login logs c in as user with password through the form and returns the
// response to the POST.
func login(t *testing.T, c *http.Client, srv *httptest.Server, user, password string) (*http.Response, string) {
	t.Helper()
	_, page := getPage(t, c, srv.URL+"/dashboard/login")
	return postForm(t, c, srv.URL+"/dashboard/login",
		url.Values{"csrf": {csrfOf(t, page)}, "user": {user}, "password": {password}}, nil)
}

// wantStatus fails unless resp has status (and, for a redirect, location).
func wantStatus(t *testing.T, resp *http.Response, body string, status int, location string) {
	t.Helper()
	if resp.StatusCode != status || resp.Header.Get("Location") != location {
		t.Fatalf("%s %s = %d (Location %q), want %d (Location %q); body:\n%s", resp.Request.Method, resp.Request.URL,
			resp.StatusCode, resp.Header.Get("Location"), status, location, body)
	}
}

// cookieOf returns the Set-Cookie of name in resp.
func cookieOf(resp *http.Response, name string) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}
