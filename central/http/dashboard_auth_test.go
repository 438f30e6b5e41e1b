package http_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	centralhttp "github.com/tillsync/tillsync/central/http"
)

const balancePath = "/v1/cards/" + testCard + "/balance"

func TestDashboard_Off(t *testing.T) {
	srv := httptest.NewServer(centralhttp.NewServer(dashboardDB(t), nil))
	t.Cleanup(srv.Close)
	c := browser(t)
	for _, path := range []string{"/", "/dashboard/", "/dashboard/login", "/dashboard/stores", "/dashboard/style.css"} {
		resp, body := getPage(t, c, srv.URL+path)
		wantStatus(t, resp, body, http.StatusNotFound, "")
	}
	resp, body := postForm(t, c, srv.URL+"/dashboard/login", url.Values{"user": {testUser}}, nil)
	wantStatus(t, resp, body, http.StatusNotFound, "")
	// Off, the member routes stay the localhost API they were.
	resp, body = getPage(t, c, srv.URL+balancePath)
	wantStatus(t, resp, body, http.StatusOK, "")
}

func TestDashboard_Login(t *testing.T) {
	clock := newTestClock(receivedAt)
	srv, _ := newDashboard(t, clock)
	t.Run("OK", func(t *testing.T) {
		c := browser(t)
		resp, body := login(t, c, srv, testUser, testPassword)
		wantStatus(t, resp, body, http.StatusSeeOther, "/dashboard/")
		sc := cookieOf(resp, "tillsync_session")
		if sc == nil || !sc.HttpOnly || sc.SameSite != http.SameSiteStrictMode || sc.Secure || sc.MaxAge != 3600 {
			t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Strict, not Secure over plain HTTP, 1h", sc)
		}
		resp, body = getPage(t, c, srv.URL+"/dashboard/")
		wantStatus(t, resp, body, http.StatusOK, "")
		if !strings.Contains(body, `id="total-amount" class="num">29.00<`) || !strings.Contains(body, ">Log out<") {
			t.Fatalf("overview lacks the amount or the logout button:\n%s", body)
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
			t.Fatalf("Content-Security-Policy %q", csp)
		}
		// The login page sends a logged-in user on.
		resp, body = getPage(t, c, srv.URL+"/dashboard/login")
		wantStatus(t, resp, body, http.StatusSeeOther, "/dashboard/")
	})
	t.Run("OKSecureBehindTLSProxy", func(t *testing.T) {
		c := browser(t)
		_, page := getPage(t, c, srv.URL+"/dashboard/login")
		resp, body := postForm(t, c, srv.URL+"/dashboard/login", url.Values{"csrf": {csrfOf(t, page)},
			"user": {testUser}, "password": {testPassword}}, map[string]string{"X-Forwarded-Proto": "https"})
		wantStatus(t, resp, body, http.StatusSeeOther, "/dashboard/")
		if sc := cookieOf(resp, "tillsync_session"); sc == nil || !sc.Secure {
			t.Fatalf("session cookie %+v: want Secure behind a TLS proxy", sc)
		}
	})
	t.Run("ErrWrongPassword", func(t *testing.T) {
		for _, up := range [][2]string{{testUser, "wrong"}, {"nobody", testPassword}, {"audit", testPassword}} {
			c := browser(t)
			resp, body := login(t, c, srv, up[0], up[1])
			wantStatus(t, resp, body, http.StatusUnauthorized, "")
			if cookieOf(resp, "tillsync_session") != nil || !strings.Contains(body, "Wrong user name or password") {
				t.Fatalf("failed login %v set a session or lacks the message:\n%s", up, body)
			}
			resp, body = getPage(t, c, srv.URL+"/dashboard/")
			wantStatus(t, resp, body, http.StatusSeeOther, "/dashboard/login")
		}
	})
	t.Run("ErrPagesNeedLogin", func(t *testing.T) {
		c := browser(t)
		for _, path := range []string{"/", "/dashboard/", "/dashboard/stores", "/dashboard/members"} {
			resp, body := getPage(t, c, srv.URL+path)
			want := "/dashboard/login"
			if path == "/" {
				want = "/dashboard/"
			}
			wantStatus(t, resp, body, http.StatusSeeOther, want)
		}
		resp, body := postForm(t, c, srv.URL+"/dashboard/members", url.Values{"card": {testCard}}, nil)
		wantStatus(t, resp, body, http.StatusSeeOther, "/dashboard/login")
	})
}

func TestDashboard_CSRF(t *testing.T) {
	srv, _ := newDashboard(t, newTestClock(receivedAt))
	creds := url.Values{"user": {testUser}, "password": {testPassword}}
	t.Run("ErrNoToken", func(t *testing.T) {
		c := browser(t)
		getPage(t, c, srv.URL+"/dashboard/login") // has the cookie, but the form does not send the field
		resp, body := postForm(t, c, srv.URL+"/dashboard/login", creds, nil)
		wantStatus(t, resp, body, http.StatusForbidden, "")
	})
	t.Run("ErrTokenWithoutCookie", func(t *testing.T) {
		_, page := getPage(t, browser(t), srv.URL+"/dashboard/login")
		form := url.Values{"csrf": {csrfOf(t, page)}, "user": creds["user"], "password": creds["password"]}
		resp, body := postForm(t, browser(t), srv.URL+"/dashboard/login", form, nil) // another browser
		wantStatus(t, resp, body, http.StatusForbidden, "")
	})
	t.Run("ErrForgedToken", func(t *testing.T) {
		c := browser(t)
		u, err := url.Parse(srv.URL)
		if err != nil {
			t.Fatalf("parse URL: %v", err)
		}
		forged := "bm9uY2U.c2lnbmF0dXJl" // a planted cookie that the field repeats
		c.Jar.SetCookies(u, []*http.Cookie{{Name: "tillsync_csrf", Value: forged, Path: "/"}})
		form := url.Values{"csrf": {forged}, "user": creds["user"], "password": creds["password"]}
		resp, body := postForm(t, c, srv.URL+"/dashboard/login", form, nil)
		wantStatus(t, resp, body, http.StatusForbidden, "")
	})
	t.Run("ErrCrossOrigin", func(t *testing.T) {
		c := browser(t)
		_, page := getPage(t, c, srv.URL+"/dashboard/login")
		form := url.Values{"csrf": {csrfOf(t, page)}, "user": creds["user"], "password": creds["password"]}
		for _, h := range []map[string]string{{"Origin": "http://evil.example"}, {"Sec-Fetch-Site": "cross-site"}} {
			resp, body := postForm(t, c, srv.URL+"/dashboard/login", form, h)
			wantStatus(t, resp, body, http.StatusForbidden, "")
		}
		// The same token from the same origin is fine.
		resp, body := postForm(t, c, srv.URL+"/dashboard/login", form, map[string]string{"Origin": srv.URL})
		wantStatus(t, resp, body, http.StatusSeeOther, "/dashboard/")
	})
	t.Run("ErrLogoutWithoutToken", func(t *testing.T) {
		c := browser(t)
		login(t, c, srv, testUser, testPassword)
		resp, body := postForm(t, c, srv.URL+"/dashboard/logout", url.Values{}, nil)
		wantStatus(t, resp, body, http.StatusForbidden, "")
		resp, body = getPage(t, c, srv.URL+"/dashboard/")
		wantStatus(t, resp, body, http.StatusOK, "") // still logged in
	})
}

func TestDashboard_Logout(t *testing.T) {
	srv, _ := newDashboard(t, newTestClock(receivedAt))
	c := browser(t)
	login(t, c, srv, testUser, testPassword)
	_, page := getPage(t, c, srv.URL+"/dashboard/")
	resp, body := postForm(t, c, srv.URL+"/dashboard/logout", url.Values{"csrf": {csrfOf(t, page)}}, nil)
	wantStatus(t, resp, body, http.StatusSeeOther, "/dashboard/login")
	if sc := cookieOf(resp, "tillsync_session"); sc == nil || sc.MaxAge >= 0 {
		t.Fatalf("logout session cookie %+v, want it deleted", sc)
	}
	resp, body = getPage(t, c, srv.URL+"/dashboard/")
	wantStatus(t, resp, body, http.StatusSeeOther, "/dashboard/login")
	resp, body = getPage(t, c, srv.URL+balancePath)
	wantStatus(t, resp, body, http.StatusUnauthorized, "")
}

func TestDashboard_Session(t *testing.T) {
	clock := newTestClock(receivedAt)
	srv, _ := newDashboard(t, clock)
	t.Run("ErrExpired", func(t *testing.T) {
		c := browser(t)
		login(t, c, srv, testUser, testPassword)
		clock.Advance(59 * time.Minute)
		resp, body := getPage(t, c, srv.URL+balancePath)
		wantStatus(t, resp, body, http.StatusOK, "")
		clock.Advance(time.Minute) // the TTL is an hour
		resp, body = getPage(t, c, srv.URL+balancePath)
		wantStatus(t, resp, body, http.StatusUnauthorized, "")
		resp, body = getPage(t, c, srv.URL+"/dashboard/")
		wantStatus(t, resp, body, http.StatusSeeOther, "/dashboard/login")
	})
	t.Run("ErrTampered", func(t *testing.T) {
		resp, _ := login(t, browser(t), srv, "audit", "another password")
		tok := cookieOf(resp, "tillsync_session").Value
		parts := strings.Split(tok, ".")
		if len(parts) != 3 || parts[0] != "audit" {
			t.Fatalf("session token %q: want user.expiry.mac", tok)
		}
		later := strings.Replace(tok, "."+parts[1]+".", ".9999999999.", 1)
		for _, bad := range []string{"hq." + parts[1] + "." + parts[2], later, parts[0] + "." + parts[1] + ".", "audit", ""} {
			req, err := http.NewRequest(http.MethodGet, srv.URL+balancePath, nil)
			if err != nil {
				t.Fatalf("NewRequest: %v", err)
			}
			req.AddCookie(&http.Cookie{Name: "tillsync_session", Value: bad})
			resp, body := do(t, browser(t), req)
			wantStatus(t, resp, body, http.StatusUnauthorized, "")
		}
	})
	t.Run("OKOtherInstanceSameKey", func(t *testing.T) {
		other, _ := newDashboard(t, clock) // same users, key and clock: the token works there
		resp, _ := login(t, browser(t), srv, testUser, testPassword)
		tok := cookieOf(resp, "tillsync_session").Value
		req, err := http.NewRequest(http.MethodGet, other.URL+balancePath, nil)
		if err != nil {
			t.Fatalf("NewRequest: %v", err)
		}
		req.AddCookie(&http.Cookie{Name: "tillsync_session", Value: tok})
		resp, body := do(t, browser(t), req)
		wantStatus(t, resp, body, http.StatusOK, "")
	})
}

func TestDashboard_RateLimit(t *testing.T) {
	clock := newTestClock(receivedAt)
	srv, _ := newDashboard(t, clock)
	c := browser(t)
	for range 5 {
		resp, body := login(t, c, srv, testUser, "guess")
		wantStatus(t, resp, body, http.StatusUnauthorized, "")
	}
	resp, body := login(t, c, srv, testUser, testPassword) // right, but too late
	wantStatus(t, resp, body, http.StatusTooManyRequests, "")
	if !strings.Contains(body, "Too many failed logins") {
		t.Fatalf("429 page lacks its message:\n%s", body)
	}
	// Another user is not held up by hq's failures.
	resp, body = login(t, browser(t), srv, "audit", "another password")
	wantStatus(t, resp, body, http.StatusSeeOther, "/dashboard/")
	clock.Advance(15 * time.Minute)
	resp, body = login(t, c, srv, testUser, testPassword)
	wantStatus(t, resp, body, http.StatusSeeOther, "/dashboard/")
}

func TestDashboard_MemberJSON(t *testing.T) {
	srv, _ := newDashboard(t, newTestClock(receivedAt))
	for _, path := range []string{balancePath, "/v1/debtors", "/v1/overdrafts"} {
		wantJSON(t, getJSON(t, srv, path, http.StatusUnauthorized), `{"error":{"code":"unauthorized",
			"message":"member data and reports need a dashboard login: log in at /dashboard/login"}}`)
	}
	c := browser(t)
	login(t, c, srv, testUser, testPassword)
	for _, path := range []string{balancePath, "/v1/debtors", "/v1/overdrafts"} {
		resp, body := getPage(t, c, srv.URL+path)
		wantStatus(t, resp, body, http.StatusOK, "")
	}
	// Routes without personal data stay open.
	getJSON(t, srv, "/v1/reports/sales-by-store", http.StatusOK)
}

func TestEnableDashboard_Err(t *testing.T) {
	users, err := centralhttp.ParseUsers(strings.NewReader(userLine(t, testUser, testPassword)))
	if err != nil {
		t.Fatalf("ParseUsers: %v", err)
	}
	for name, o := range map[string]centralhttp.DashboardOptions{
		"NoUsers":     {SessionKey: make([]byte, 32)},
		"ShortKey":    {Users: users, SessionKey: make([]byte, 31)},
		"NegativeTTL": {Users: users, SessionTTL: -time.Second},
	} {
		t.Run(name, func(t *testing.T) {
			if err := centralhttp.NewServer(nil, nil).EnableDashboard(o); err == nil {
				t.Fatal("EnableDashboard succeeded")
			}
		})
	}
	t.Run("OKRandomKey", func(t *testing.T) {
		if err := centralhttp.NewServer(nil, nil).EnableDashboard(centralhttp.DashboardOptions{Users: users}); err != nil {
			t.Fatalf("EnableDashboard without a key: %v", err)
		}
	})
}
