package http_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tillsync/tillsync/central"
	centralhttp "github.com/tillsync/tillsync/central/http"
)

// TestDashboard_MemberReveal: the member lookup shows the member master's
// masked record to every user; only a user holding the member_data role
// may open the personal data, and each opening is logged without it.
func TestDashboard_MemberReveal(t *testing.T) {
	db := dashboardDB(t)
	keys, err := central.ParseKeyring("k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
	if err != nil {
		t.Fatal(err)
	}
	csv := "member_id,card,name,phone,income_bracket,address\nM-1," + testCard + ",王小明,13912345678,>20000,北京市朝阳区某路1号\n"
	if _, err := central.ImportMembers(context.Background(), db, strings.NewReader(csv), "m.csv", central.ImportOptions{Keys: keys}); err != nil {
		t.Fatal(err)
	}
	users, err := centralhttp.ParseUsers(strings.NewReader(userLine(t, "clerk", testPassword) + "\n" +
		userLine(t, "officer", testPassword) + ":" + centralhttp.RoleMemberData + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !users.HasRole("officer", centralhttp.RoleMemberData) || users.HasRole("clerk", centralhttp.RoleMemberData) {
		t.Fatal("roles not parsed")
	}
	var logs lockedBuffer
	s := centralhttp.NewServer(db, slog.New(slog.NewTextHandler(&logs, nil)))
	if err := s.EnableDashboard(centralhttp.DashboardOptions{Users: users, SessionKey: []byte(strings.Repeat("k", 32)),
		SessionTTL: time.Hour, MemberKeys: keys}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	lookup := func(t *testing.T, user string, reveal bool) string {
		t.Helper()
		c := browser(t)
		login(t, c, srv, user, testPassword)
		_, page := getPage(t, c, srv.URL+"/dashboard/members")
		form := url.Values{"csrf": {csrfOf(t, page)}, "card": {testCard}}
		if reveal {
			form.Set("reveal", "1")
		}
		resp, body := postForm(t, c, srv.URL+"/dashboard/members", form, nil)
		wantStatus(t, resp, body, http.StatusOK, "")
		if strings.Contains(body, testCard) {
			t.Fatalf("the page shows the full card")
		}
		return body
	}
	t.Run("Masked", func(t *testing.T) {
		body := lookup(t, "clerk", false)
		if !strings.Contains(body, `<td class="masked-name">王**</td>`) || strings.Contains(body, "王小明") ||
			strings.Contains(body, "13912345678") || strings.Contains(body, `id="reveal"`) {
			t.Errorf("clerk's lookup:\n%s", body)
		}
	})
	t.Run("ErrNotAuthorised", func(t *testing.T) {
		body := lookup(t, "clerk", true)
		if strings.Contains(body, "王小明") || !strings.Contains(body, "may not open members") {
			t.Errorf("clerk asking to reveal:\n%s", body)
		}
	})
	t.Run("Revealed", func(t *testing.T) {
		if body := lookup(t, "officer", false); !strings.Contains(body, `id="reveal"`) || strings.Contains(body, "王小明") {
			t.Errorf("officer's lookup without asking:\n%s", body)
		}
		body := lookup(t, "officer", true)
		for _, want := range []string{`<td class="full-name">王小明</td>`, `<td class="full-phone">13912345678</td>`,
			`<td class="income">&gt;20000</td>`, "北京市朝阳区某路1号"} {
			if !strings.Contains(body, want) {
				t.Errorf("officer's reveal lacks %s", want)
			}
		}
		l := logs.String()
		if !strings.Contains(l, "member personal data opened") || !strings.Contains(l, "user=officer") || !strings.Contains(l, "member=M-1") {
			t.Errorf("no audit line:\n%s", l)
		}
		for _, secret := range []string{"王小明", "13912345678", testCard, "北京"} {
			if strings.Contains(l, secret) {
				t.Errorf("log carries personal data %q", secret)
			}
		}
	})
}
