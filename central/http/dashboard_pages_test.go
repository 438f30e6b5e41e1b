package http_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestDashboard_MemberLookup(t *testing.T) {
	srv, _ := newDashboard(t, newTestClock(receivedAt))
	c := browser(t)
	login(t, c, srv, testUser, testPassword)
	_, page := getPage(t, c, srv.URL+"/dashboard/members")
	if !strings.Contains(page, `<form id="member-search" class="card" method="post"`) {
		t.Fatalf("member page has no POST search form:\n%s", page)
	}
	search := func(t *testing.T, card string) string {
		t.Helper()
		resp, body := postForm(t, c, srv.URL+"/dashboard/members", url.Values{"csrf": {csrfOf(t, page)}, "card": {card}}, nil)
		wantStatus(t, resp, body, http.StatusOK, "")
		if strings.TrimSpace(card) != "" && strings.Contains(body, card) {
			t.Fatalf("the page shows the full card %s:\n%s", card, body)
		}
		return body
	}
	t.Run("OK", func(t *testing.T) {
		body := search(t, testCard)
		for _, want := range []string{`<td class="card">************7890</td>`, `<td class="member">M-1</td>`,
			`<td class="num total">42</td>`, `<td class="num available">42</td>`} {
			if !strings.Contains(body, want) {
				t.Errorf("balance page lacks %s", want)
			}
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		body := search(t, "6200000000000000")
		if !strings.Contains(body, `class="error" role="alert">card ************0000 has no points<`) ||
			strings.Contains(body, `id="balance"`) {
			t.Fatalf("unknown card page:\n%s", body)
		}
	})
	t.Run("ErrEmpty", func(t *testing.T) {
		if body := search(t, " "); !strings.Contains(body, "enter a card number") {
			t.Fatalf("empty card page:\n%s", body)
		}
	})
	t.Run("ErrNoCSRF", func(t *testing.T) {
		resp, body := postForm(t, c, srv.URL+"/dashboard/members", url.Values{"card": {testCard}}, nil)
		wantStatus(t, resp, body, http.StatusForbidden, "")
	})
}

func TestDashboard_Pages(t *testing.T) {
	srv, _ := newDashboard(t, newTestClock(receivedAt))
	c := browser(t)
	login(t, c, srv, testUser, testPassword)
	for _, tc := range []struct {
		path string
		want []string
	}{
		{"/dashboard/", []string{
			`id="stores-online" class="num">1<`, `id="stores-offline" class="num">2<`, `id="total-sales" class="num">6<`,
			`<svg id="sales-chart"`, `<title>s3: 20.00 yuan</title>`,
			// a1 reported its oldest unsynced event 90s before it came online; the clock is there still.
			`<td class="num outbox">7</td>`, `<td class="num lag">1m30s</td>`, `<td class="num skew">1500</td>`,
			`<a href="/dashboard/" class="active" aria-current="page">Overview</a>`,
		}},
		{"/dashboard/stores", []string{`<tr data-store="s1">`, `<td class="num">1 / 1</td>`, `<tr data-agent="a3">`}},
	} {
		resp, body := getPage(t, c, srv.URL+tc.path)
		wantStatus(t, resp, body, http.StatusOK, "")
		for _, w := range tc.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s lacks %s", tc.path, w)
			}
		}
		if t.Failed() {
			t.Fatalf("%s:\n%s", tc.path, body)
		}
	}
	resp, body := getPage(t, c, srv.URL+"/dashboard/style.css")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/css") || len(body) == 0 {
		t.Fatalf("style.css = %d %s (%d bytes)", resp.StatusCode, resp.Header.Get("Content-Type"), len(body))
	}
}
