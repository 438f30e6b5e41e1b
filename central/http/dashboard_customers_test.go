package http_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tillsync/tillsync/central"
	centralhttp "github.com/tillsync/tillsync/central/http"
	"github.com/tillsync/tillsync/central/sqlite"
	"github.com/tillsync/tillsync/central/storetest"
)

// newCustomersDashboard serves a real SQLite store with the dashboard on;
// with classify it holds storetest.ProductsPopulation, classified, and a
// catalog whose milk has a name that needs escaping.
func newCustomersDashboard(t *testing.T, classify bool) (*httptest.Server, *sqlite.DB) {
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
	if classify {
		storetest.ProductsPopulation(t, db)
		cat := storetest.ProductsCatalog()
		cat.Upserts[0].Name = `Milk <b>"1L"</b> & co`
		if _, err := central.PublishCatalog(context.Background(), db, cat, receivedAt); err != nil {
			t.Fatalf("PublishCatalog: %v", err)
		}
	}
	users, err := centralhttp.ParseUsers(strings.NewReader(userLine(t, testUser, testPassword) + "\n"))
	if err != nil {
		t.Fatalf("ParseUsers: %v", err)
	}
	s := centralhttp.NewServer(db, nil)
	if err := s.EnableDashboard(centralhttp.DashboardOptions{Users: users, SessionKey: []byte(strings.Repeat("k", 32)),
		SessionTTL: time.Hour, Now: newTestClock(receivedAt).Now}); err != nil {
		t.Fatalf("EnableDashboard: %v", err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return srv, db
}

// section returns the part of page from the first start to the next end
// after it, failing the test when either is missing.
func section(t *testing.T, page, start, end string) string {
	t.Helper()
	i := strings.Index(page, start)
	if i < 0 {
		t.Fatalf("page lacks %s:\n%s", start, page)
	}
	j := strings.Index(page[i:], end)
	if j < 0 {
		t.Fatalf("page lacks %s after %s", end, start)
	}
	return page[i : i+j+len(end)]
}

func wantIn(t *testing.T, what, part string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(part, w) {
			t.Errorf("%s lacks %s:\n%s", what, w, part)
		}
	}
}

func TestDashboard_Customers(t *testing.T) {
	srv, db := newCustomersDashboard(t, true)
	resp, body := getPage(t, browser(t), srv.URL+"/dashboard/customers")
	wantStatus(t, resp, body, http.StatusSeeOther, "/dashboard/login")

	c := browser(t)
	login(t, c, srv, testUser, testPassword)
	resp, page := getPage(t, c, srv.URL+"/dashboard/customers")
	wantStatus(t, resp, page, http.StatusOK, "")
	if strings.Contains(page, "<script") {
		t.Fatalf("the page has a script:\n%s", page)
	}
	wantIn(t, "customers page", page, `<a href="/dashboard/customers" class="active" aria-current="page">Customers</a>`,
		`<svg id="pyramid"`, "over 2026-02 to 2026-03")

	ctx := context.Background()
	run, err := db.LatestRun(ctx)
	if err != nil {
		t.Fatalf("LatestRun: %v", err)
	}
	sizes, err := db.ClassSizes(ctx, run.ID)
	if err != nil {
		t.Fatalf("ClassSizes: %v", err)
	}
	// Every figure of every classifier is the store's.
	tables := map[string]string{central.ClassifierSegment: "segments", central.ClassifierQuadrant: "quadrants", central.ClassifierABC: "abc"}
	for _, s := range sizes {
		share := central.FormatBP(s.SpendShareBP)
		switch {
		case s.Classifier == central.ClassifierPyramid && s.Class == central.ExcludedClass:
			wantIn(t, "run line", section(t, page, `<p id="run"`, `</p>`),
				fmt.Sprintf("%d of them staff or test cards", s.Members), share)
		case s.Classifier == central.ClassifierPyramid:
			wantIn(t, "pyramid band "+s.Class, section(t, page, `<g class="band" data-class="`+s.Class+`">`, `</g>`),
				fmt.Sprintf(`<tspan class="members">%d</tspan>`, s.Members), `<tspan class="share">`+share+`</tspan>`)
		default:
			table := section(t, page, `<table id="`+tables[s.Classifier]+`">`, `</table>`)
			wantIn(t, s.Classifier+" "+s.Class, section(t, table, `<tr data-class="`+s.Class+`">`, `</tr>`),
				fmt.Sprintf(`<td class="num members">%d</td>`, s.Members), `<td class="num spend">`+central.FormatFen(s.SpendFen)+`</td>`,
				`<td class="num share">`+share+`</td>`)
		}
	}
	// The top products are the store's, the catalog's name escaped.
	tp, err := db.TopClassProducts(ctx, central.TopProductsQuery{RunID: run.ID, Limit: 5})
	if err != nil {
		t.Fatalf("TopClassProducts: %v", err)
	}
	for _, cl := range tp.Classes {
		if len(cl.Products) == 0 {
			wantIn(t, "class "+cl.Class, page, `<p class="empty" data-class="`+cl.Class+`">No purchases in the window.</p>`)
			continue
		}
		table := section(t, page, `<table class="products" data-class="`+cl.Class+`">`, `</table>`)
		for _, p := range cl.Products {
			name := "—"
			if p.Name != "" {
				name = html.EscapeString(p.Name)
			}
			wantIn(t, cl.Class+" "+p.SKU, section(t, table, `<tr data-sku="`+p.SKU+`">`, `</tr>`),
				fmt.Sprintf(`<td class="num rank">%d</td>`, p.Rank), `<td class="name">`+name+`</td>`,
				`<td class="num quantity">`+central.FormatMilli(p.QuantityMilli)+`</td>`,
				`<td class="num spend">`+central.FormatFen(p.SpendFen)+`</td>`,
				fmt.Sprintf(`<td class="num members">%d</td>`, p.Members), `<td class="num share">`+central.FormatBP(p.SpendShareBP)+`</td>`)
		}
	}
	if strings.Contains(page, "<b>") || !strings.Contains(page, "Milk &lt;b&gt;&#34;1L&#34;&lt;/b&gt; &amp; co") {
		t.Errorf("the catalog's name is not escaped:\n%s", section(t, page, `<table class="products" data-class="vip">`, `</table>`))
	}
}

func TestDashboard_Customers_NoRun(t *testing.T) {
	srv, _ := newCustomersDashboard(t, false)
	c := browser(t)
	login(t, c, srv, testUser, testPassword)
	resp, page := getPage(t, c, srv.URL+"/dashboard/customers")
	wantStatus(t, resp, page, http.StatusOK, "")
	wantIn(t, "page without a run", page, `<p id="no-run" class="empty">`, `class="placeholder"`, "no run yet")
	for _, absent := range []string{`id="segments"`, `class="products"`, `class="error"`, `<tspan class="members">`} {
		if strings.Contains(page, absent) {
			t.Errorf("page without a run has %s", absent)
		}
	}
}
