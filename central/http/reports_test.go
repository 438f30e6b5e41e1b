package http_test

import (
	"context"
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
	"github.com/tillsync/tillsync/syncproto"
)

// reportNow is the clock of the reports server.
var reportNow = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

// newReportServer serves a real SQLite store holding, for s1/a1: an
// anonymous sale of 1000 fen at 23:30 on Jan 10 in Shanghai (15:30Z), a
// member sale of 3000 fen at 00:30 on Jan 11 (16:30Z) earning 500 points,
// and a sale on Jan 20 redeeming 100 of them.
func newReportServer(t *testing.T) (*httptest.Server, *sqlite.DB) {
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
	const card = "6201000000000001"
	anon := storetest.StatsSaleEvent(storetest.StatsSale{Store: "s1", Agent: "a1", Seq: 1,
		At:    time.Date(2026, 1, 10, 15, 30, 0, 0, time.UTC),
		Lines: []storetest.StatsLine{{SKU: "SKU-1", QuantityMilli: 1000, UnitPriceFen: 1000}}})
	member := storetest.StatsSaleEvent(storetest.StatsSale{Store: "s1", Agent: "a1", Seq: 2, Card: card,
		At:    time.Date(2026, 1, 10, 16, 30, 0, 0, time.UTC),
		Lines: []storetest.StatsLine{{SKU: "SKU-1", QuantityMilli: 1000, UnitPriceFen: 3000}}})
	sc := member.GetSaleCommitted()
	sc.Points = []*syncproto.PointsEntry{{EntryId: "earn-2", Kind: syncproto.PointsEntry_KIND_EARN, Points: 500,
		MemberCard: card, SaleId: sc.GetSaleId()}}
	redeem := storetest.PointsSaleEvent(storetest.PointsSale{Store: "s1", Agent: "a1", Seq: 3, Card: card,
		At: time.Date(2026, 1, 20, 2, 0, 0, 0, time.UTC), Earn: []int64{0}, Redeem: 100})
	if _, err := db.IngestBatch(context.Background(), storetest.Batch("s1", "a1", anon, member, redeem), reportNow); err != nil {
		t.Fatalf("IngestBatch: %v", err)
	}
	loc, err := time.LoadLocation(central.DefaultReportTimeZone)
	if err != nil {
		t.Fatalf("load zone: %v", err)
	}
	s := centralhttp.NewServer(db, nil)
	s.SetReportOptions(centralhttp.ReportOptions{Location: loc, PointValueFenPer100: 150,
		Now: func() time.Time { return reportNow }})
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return srv, db
}

func TestServer_Reports(t *testing.T) {
	srv, db := newReportServer(t)
	t.Run("SalesByDay", func(t *testing.T) {
		wantJSON(t, getJSON(t, srv, "/v1/reports/sales?from=2026-01-10&to=2026-01-12", http.StatusOK), `{
			"from":"2026-01-10T00:00:00+08:00","to":"2026-01-12T00:00:00+08:00","by":"day","time_zone":"Asia/Shanghai",
			"rows":[
				{"store_id":"s1","period_start":"2026-01-10T00:00:00+08:00","sales":1,"total_fen":1000,"total_yuan":"10.00"},
				{"store_id":"s1","period_start":"2026-01-11T00:00:00+08:00","sales":1,"total_fen":3000,"total_yuan":"30.00"}]}`)
	})
	t.Run("SalesByHourCSV", func(t *testing.T) {
		wantCSV(t, srv, "/v1/reports/sales?from=2026-01-10&to=2026-01-12&by=hour&format=csv",
			"store_id,period_start,sales,total_fen,total_yuan\n"+
				"s1,2026-01-10 23:00,1,1000,10.00\n"+
				"s1,2026-01-11 00:00,1,3000,30.00\n")
	})
	t.Run("SalesDefaultRangeIsLast30Days", func(t *testing.T) {
		wantJSON(t, getJSON(t, srv, "/v1/reports/sales", http.StatusOK).(map[string]any)["rows"], `[]`)
	})
	t.Run("MemberContribution", func(t *testing.T) {
		wantJSON(t, getJSON(t, srv, "/v1/reports/member-contribution?from=2026-01-01&to=2026-02-01", http.StatusOK), `{
			"from":"2026-01-01T00:00:00+08:00","to":"2026-02-01T00:00:00+08:00","time_zone":"Asia/Shanghai",
			"rows":[{"store_id":"s1","month":"2026-01","sales":3,"total_fen":5000,"member_sales":2,"member_fen":4000,
				"rate_bp":8000,"rate":"80.00 %"}]}`)
	})
	t.Run("MemberContributionCSV", func(t *testing.T) {
		wantCSV(t, srv, "/v1/reports/member-contribution?from=2026-01-01&to=2026-02-01&format=csv",
			"store_id,month,sales,total_fen,member_sales,member_fen,rate_bp,rate\n"+
				"s1,2026-01,3,5000,2,4000,8000,80.00 %\n")
	})
	t.Run("PointsLiability", func(t *testing.T) {
		// 400 points at 1.5 fen, no expiry yet: 600 fen.
		wantJSON(t, getJSON(t, srv, "/v1/reports/points-liability", http.StatusOK), `{
			"as_of":"2026-03-01T00:00:00Z","outstanding_points":400,"cards":1,"point_value_fen_per_100_points":150,
			"breakage_from":"2025-03-01T00:00:00Z","expired_points":0,"redeemed_points":100,"breakage_bp":0,
			"breakage":"0.00 %","gross_fen":600,"liability_fen":600,"liability_yuan":"6.00"}`)
	})
	t.Run("RedemptionRateCSV", func(t *testing.T) {
		wantCSV(t, srv, "/v1/reports/redemption-rate?from=2026-01-01&to=2026-02-01&format=csv",
			"from,to,earned_points,redeemed_points,rate_bp,rate\n"+
				"2025-12-31T16:00:00Z,2026-01-31T16:00:00Z,500,100,2000,20.00 %\n")
	})
	t.Run("SyncStatusCSV", func(t *testing.T) {
		if _, err := db.RecordPresence(context.Background(), central.Presence{StoreID: "s1", AgentID: "a1", Session: 1,
			Online: true, LastSeen: reportNow, OutboxDepth: 2, OldestUnsynced: reportNow.Add(-90 * time.Second),
			ClockSkew: 1500 * time.Millisecond}); err != nil {
			t.Fatalf("RecordPresence: %v", err)
		}
		wantCSV(t, srv, "/v1/reports/sync-status?format=csv",
			"store_id,agent_id,online,last_seen,outbox_depth,oldest_unsynced,lag_seconds,clock_skew_ms,events,max_seq,"+
				"contiguous_through,last_received,max_clock_skew_ms\n"+
				"s1,a1,true,2026-03-01T00:00:00Z,2,2026-02-28T23:58:30Z,90,1500,3,3,3,2026-03-01T00:00:00Z,0\n")
	})
}

func TestServer_Reports_ErrInvalid(t *testing.T) {
	srv, _ := newReportServer(t)
	for _, tc := range []struct{ path, param string }{
		{"/v1/reports/sales?by=week", `by "week"`},
		{"/v1/reports/sales?from=yesterday", `from "yesterday"`},
		{"/v1/reports/member-contribution?to=2026-02-30", `to "2026-02-30"`},
		{"/v1/reports/redemption-rate?from=2026-02-01&to=2026-01-01", "from/to"},
		{"/v1/reports/points-liability?format=xml", `format "xml"`},
	} {
		t.Run(tc.path, func(t *testing.T) {
			got := getJSON(t, srv, tc.path, http.StatusBadRequest).(map[string]any)["error"].(map[string]any)
			if got["code"] != central.EINVALID || !strings.Contains(got["message"].(string), tc.param) {
				t.Fatalf("error = %v, want %s naming %s", got, central.EINVALID, tc.param)
			}
		})
	}
}

// wantCSV checks GET path answers 200 text/csv with body want.
func wantCSV(t *testing.T, srv *httptest.Server, path, want string) {
	t.Helper()
	code, ctype, body := get(t, srv, path)
	if code != http.StatusOK || !strings.HasPrefix(ctype, "text/csv") {
		t.Fatalf("GET %s = %d %s, want 200 text/csv; body %s", path, code, ctype, body)
	}
	if body != want {
		t.Fatalf("GET %s body:\n%s\nwant:\n%s", path, body, want)
	}
}

// newTopProductsServer serves a real SQLite store holding
// storetest.ProductsPopulation, classified, with its catalog; with
// dashboard on it needs testUser's login. classify false leaves no run.
func newTopProductsServer(t *testing.T, classify, dashboard bool) *httptest.Server {
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
		if _, err := central.PublishCatalog(context.Background(), db, storetest.ProductsCatalog(), reportNow); err != nil {
			t.Fatalf("PublishCatalog: %v", err)
		}
	}
	s := centralhttp.NewServer(db, nil)
	if dashboard {
		users, err := centralhttp.ParseUsers(strings.NewReader(userLine(t, testUser, testPassword) + "\n"))
		if err != nil {
			t.Fatalf("ParseUsers: %v", err)
		}
		if err := s.EnableDashboard(centralhttp.DashboardOptions{Users: users, SessionKey: []byte(strings.Repeat("k", 32)),
			Now: func() time.Time { return reportNow }}); err != nil {
			t.Fatalf("EnableDashboard: %v", err)
		}
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return srv
}

func TestServer_ReportTopProducts(t *testing.T) {
	srv := newTopProductsServer(t, true, false)
	t.Run("OneClass", func(t *testing.T) {
		// storetest.ProductsWant's small class: MILK and APPLE tie on
		// spend, MILK has more members.
		wantJSON(t, getJSON(t, srv, "/v1/reports/top-products?class=small&limit=2", http.StatusOK), `{
			"run_id":1,"as_of":"2026-03-15T00:00:00Z","first_month":"2026-02","last_month":"2026-03",
			"classifier":"pyramid","limit":2,"classes":[{"class":"small","spend_fen":4200,"spend_yuan":"42.00","products":[
				{"rank":1,"sku":"MILK","name":"Milk 1L","quantity_milli":2600,"spend_fen":1300,"spend_yuan":"13.00",
					"members":2,"spend_share_bp":3095,"spend_share":"30.95 %"},
				{"rank":2,"sku":"APPLE","name":"","quantity_milli":1250,"spend_fen":1300,"spend_yuan":"13.00",
					"members":1,"spend_share_bp":3095,"spend_share":"30.95 %"}]}]}`)
	})
	t.Run("EveryClass", func(t *testing.T) {
		got := getJSON(t, srv, "/v1/reports/top-products", http.StatusOK).(map[string]any)
		var classes []string
		for _, c := range got["classes"].([]any) {
			classes = append(classes, c.(map[string]any)["class"].(string))
		}
		if strings.Join(classes, ",") != "vip,big,ordinary,small" || got["limit"] != float64(central.DefaultTopProducts) {
			t.Fatalf("classes %v, limit %v; want vip,big,ordinary,small and %d", classes, got["limit"], central.DefaultTopProducts)
		}
		wantJSON(t, got["classes"].([]any)[1], `{"class":"big","spend_fen":0,"spend_yuan":"0.00","products":[]}`)
	})
	t.Run("CSV", func(t *testing.T) {
		wantCSV(t, srv, "/v1/reports/top-products?class=vip&limit=1&format=csv",
			"run_id,as_of,first_month,last_month,classifier,class,class_spend_fen,rank,sku,name,quantity_milli,"+
				"spend_fen,spend_yuan,members,spend_share_bp,spend_share\n"+
				"1,2026-03-15T00:00:00Z,2026-02,2026-03,pyramid,vip,10600,1,WINE,Red wine 750ml,2000,6000,60.00,2,5660,56.60 %\n")
	})
	t.Run("BySegment", func(t *testing.T) {
		got := getJSON(t, srv, "/v1/reports/top-products?by=segment", http.StatusOK).(map[string]any)
		if got["classifier"] != "segment" || len(got["classes"].([]any)) != len(central.ClassNames(central.ClassifierSegment))-1 {
			t.Fatalf("by segment: %v", got)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		for _, tc := range []struct{ query, param string }{
			{"by=tier", `classifier "tier"`}, {"class=gold", `class "gold"`}, {"limit=0", `limit "0"`},
			{"limit=ten", `limit "ten"`}, {"limit=1001", "1 to 1000"}, {"format=xml", `format "xml"`},
		} {
			got := getJSON(t, srv, "/v1/reports/top-products?"+tc.query, http.StatusBadRequest).(map[string]any)["error"].(map[string]any)
			if got["code"] != central.EINVALID || !strings.Contains(got["message"].(string), tc.param) {
				t.Errorf("?%s: error = %v, want %s naming %s", tc.query, got, central.EINVALID, tc.param)
			}
		}
	})
	t.Run("ErrNoRun", func(t *testing.T) {
		empty := newTopProductsServer(t, false, false)
		got := getJSON(t, empty, "/v1/reports/top-products", http.StatusNotFound).(map[string]any)["error"].(map[string]any)
		if got["code"] != central.ENOTFOUND || !strings.Contains(got["message"].(string), "tillsync-central classify") {
			t.Fatalf("no run: error = %v", got)
		}
	})
}

func TestServer_ReportTopProducts_NeedsLogin(t *testing.T) {
	srv := newTopProductsServer(t, true, true)
	getJSON(t, srv, "/v1/reports/top-products", http.StatusUnauthorized)
	c := browser(t)
	login(t, c, srv, testUser, testPassword)
	resp, body := getPage(t, c, srv.URL+"/v1/reports/top-products?class=vip&limit=1&format=csv")
	wantStatus(t, resp, body, http.StatusOK, "")
	if !strings.Contains(body, ",vip,10600,1,WINE,") {
		t.Fatalf("logged in, the report is:\n%s", body)
	}
}
