package main

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tillsync/tillsync/central"
	"github.com/tillsync/tillsync/central/sqlite"
	"github.com/tillsync/tillsync/central/storetest"
	"github.com/tillsync/tillsync/syncproto"
)

// reportDB writes a SQLite file holding: for s1/a1 an anonymous sale of
// 1000 fen at 23:30 Shanghai on Jan 10 2026 and a member sale of 3000 fen
// at 00:30 on Jan 11; card 1 earning 500 points 40 days ago (expired 10
// days ago) and redeeming 100 of them 20 days ago; card 2 earning 1000
// points 5 days ago; a1 online with 2 events unsynced for 90 s. Points
// are relative to now so the 12-month breakage window always holds them.
func reportDB(t *testing.T, now time.Time) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "central.db")
	db, err := sqlite.Open(path, sqlite.Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	sale := func(seq uint64, card string, at time.Time, fen int64) *syncproto.Event {
		return storetest.StatsSaleEvent(storetest.StatsSale{Store: "s1", Agent: "a1", Seq: seq, Card: card, At: at,
			Lines: []storetest.StatsLine{{SKU: "SKU-1", QuantityMilli: 1000, UnitPriceFen: fen}}})
	}
	points := func(seq uint64, card string, daysAgo int, earn, redeem int64, expires time.Time) *syncproto.Event {
		return storetest.PointsSaleEvent(storetest.PointsSale{Store: "s1", Agent: "a1", Seq: seq, Card: card,
			At: now.AddDate(0, 0, -daysAgo), Earn: []int64{earn}, Redeem: redeem, ExpiresAt: expires})
	}
	const card1, card2 = "6201000000000001", "6201000000000002"
	ctx := context.Background()
	b := storetest.Batch("s1", "a1",
		sale(1, "", time.Date(2026, 1, 10, 15, 30, 0, 0, time.UTC), 1000),
		sale(2, card1, time.Date(2026, 1, 10, 16, 30, 0, 0, time.UTC), 3000),
		points(3, card1, 40, 500, 0, now.AddDate(0, 0, -10)),
		points(4, card1, 20, 0, 100, time.Time{}),
		points(5, card2, 5, 1000, 0, time.Time{}))
	if _, err := db.IngestBatch(ctx, b, now); err != nil {
		t.Fatalf("IngestBatch: %v", err)
	}
	if _, err := db.ExpirePoints(ctx, now); err != nil {
		t.Fatalf("ExpirePoints: %v", err)
	}
	if _, err := db.RecordPresence(ctx, central.Presence{StoreID: "s1", AgentID: "a1", Session: 1, Online: true,
		LastSeen: now, OutboxDepth: 2, OldestUnsynced: now.Add(-90 * time.Second)}); err != nil {
		t.Fatalf("RecordPresence: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	return path
}

func TestCommand_ReportHQ(t *testing.T) {
	now := time.Now().UTC()
	path := reportDB(t, now)
	utcConfig := writeFile(t, "utc.yaml", "reports:\n  time_zone: UTC\n")
	from := now.AddDate(0, 0, -60).Format(time.RFC3339)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"SalesByDayCSV", []string{"sales-by-day", "--from", "2026-01-10", "--to", "2026-01-12", "--format", "csv"},
			"store_id,period_start,sales,total_fen,total_yuan\ns1,2026-01-10,1,1000,10.00\ns1,2026-01-11,1,3000,30.00\n"},
		{"SalesByDayUTCFromConfig", []string{"sales-by-day", "--config", utcConfig, "--from", "2026-01-10",
			"--to", "2026-01-12", "--format", "csv"}, "store_id,period_start,sales,total_fen,total_yuan\ns1,2026-01-10,2,4000,40.00\n"},
		{"SalesByHourTable", []string{"sales-by-hour", "--from", "2026-01-10", "--to", "2026-01-12"},
			"STORE ID  PERIOD START      SALES  TOTAL FEN  TOTAL YUAN  \n" +
				"s1        2026-01-10 23:00  1      1000       10.00       \n" +
				"s1        2026-01-11 00:00  1      3000       30.00       \n"},
		{"MemberContributionCSV", []string{"member-contribution", "--from", "2026-01-01", "--to", "2026-02-01", "--format", "csv"},
			"store_id,month,sales,total_fen,member_sales,member_fen,rate_bp,rate\ns1,2026-01,2,4000,1,3000,7500,75.00 %\n"},
		// Card 2's 1000 points; breakage 400 ÷ (400 + 100) = 80 %: 1000 × 1 fen × 20 % = 2.00 yuan.
		{"LiabilityCSV", []string{"liability", "--format", "csv"},
			",1000,1,100,"},
		{"LiabilityCSVBreakage", []string{"liability", "--format", "csv"},
			",400,100,8000,80.00 %,1000,200,2.00\n"},
		// 100 of 1500 earned.
		{"RedemptionCSV", []string{"redemption", "--from", from, "--format", "csv"}, ",1500,100,667,6.67 %\n"},
		{"SyncStatusCSV", []string{"sync-status", "--format", "csv"}, "\ns1,a1,true,"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"report"}, tc.args...)
			out, errOut, err := execute(t, context.Background(), "", append(args, "--db", path)...)
			if err != nil || !strings.Contains(out, tc.want) {
				t.Fatalf("%v: err %v, stderr %q, output:\n%s\nwant it to contain:\n%s", tc.args, err, errOut, out, tc.want)
			}
		})
	}
	t.Run("SyncStatusLag", func(t *testing.T) {
		out, _, err := execute(t, context.Background(), "", "report", "sync-status", "--db", path, "--format", "csv")
		rows := strings.Split(strings.TrimSpace(out), "\n")
		if err != nil || len(rows) != 2 {
			t.Fatalf("err %v, output:\n%s", err, out)
		}
		// lag_seconds is the 7th column: at least the 90 s recorded.
		if lag, err := strconv.Atoi(strings.Split(rows[1], ",")[6]); err != nil || lag < 90 {
			t.Fatalf("lag_seconds in %q: %d, %v; want at least 90", rows[1], lag, err)
		}
	})
}

func TestCommand_ReportHQ_Err(t *testing.T) {
	path := reportDB(t, time.Now().UTC())
	badZone := writeFile(t, "bad.yaml", "reports:\n  time_zone: Mars/Olympus\n")
	for _, tc := range []struct {
		name string
		args []string
		want string // in the error or stderr
	}{
		{"BadFrom", []string{"sales-by-day", "--from", "last week"}, `--from "last week"`},
		{"Reversed", []string{"redemption", "--from", "2026-02-01", "--to", "2026-01-01"}, "--from/--to"},
		{"BadFormat", []string{"liability", "--format", "xml"}, `--format "xml"`},
		{"BadZone", []string{"sales-by-hour", "--config", badZone}, "reports.time_zone"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"report"}, tc.args...)
			_, errOut, err := execute(t, context.Background(), "", append(args, "--db", path)...)
			if err == nil || !strings.Contains(err.Error()+errOut, tc.want) {
				t.Fatalf("%v: err %v, stderr %q; want a failure naming %s", tc.args, err, errOut, tc.want)
			}
		})
	}
}

// topProductsDB writes a SQLite file holding storetest.ProductsPopulation,
// classified, and its catalog; with classify false it holds no run.
func topProductsDB(t *testing.T, classify bool) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "central.db")
	db, err := sqlite.Open(path, sqlite.Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if classify {
		storetest.ProductsPopulation(t, db)
		if _, err := central.PublishCatalog(context.Background(), db, storetest.ProductsCatalog(), time.Now()); err != nil {
			t.Fatalf("PublishCatalog: %v", err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	return path
}

func TestCommand_ReportTopProducts(t *testing.T) {
	path := topProductsDB(t, true)
	const head = "run_id,as_of,first_month,last_month,classifier,class,class_spend_fen,rank,sku,name,quantity_milli," +
		"spend_fen,spend_yuan,members,spend_share_bp,spend_share\n"
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		// storetest.ProductsWant, hand-computed.
		{"CSV", []string{"--format", "csv"}, head +
			"1,2026-03-15T00:00:00Z,2026-02,2026-03,pyramid,vip,10600,1,WINE,Red wine 750ml,2000,6000,60.00,2,5660,56.60 %\n" +
			"1,2026-03-15T00:00:00Z,2026-02,2026-03,pyramid,vip,10600,2,MILK,Milk 1L,6000,3000,30.00,2,2830,28.30 %\n" +
			"1,2026-03-15T00:00:00Z,2026-02,2026-03,pyramid,vip,10600,3,BREAD,,2000,1600,16.00,2,1509,15.09 %\n" +
			"1,2026-03-15T00:00:00Z,2026-02,2026-03,pyramid,small,4200,1,MILK,Milk 1L,2600,1300,13.00,2,3095,30.95 %\n" +
			"1,2026-03-15T00:00:00Z,2026-02,2026-03,pyramid,small,4200,2,APPLE,,1250,1300,13.00,1,3095,30.95 %\n" +
			"1,2026-03-15T00:00:00Z,2026-02,2026-03,pyramid,small,4200,3,BREAD,,1000,800,8.00,1,1905,19.05 %\n" +
			"1,2026-03-15T00:00:00Z,2026-02,2026-03,pyramid,small,4200,4,EGGS,,1000,800,8.00,1,1905,19.05 %\n"},
		{"OneClassTable", []string{"--class", "small", "--limit", "2", "--format", "text"},
			"classification run 1 as of 2026-03-15T00:00:00Z, window 2026-02 to 2026-03, by pyramid\n" +
				"CLASS  RANK  SKU    NAME     QUANTITY  SPEND (YUAN)  MEMBERS  SHARE OF CLASS  \n" +
				"small  1     MILK   Milk 1L  2.600     13.00         2        30.95 %         \n" +
				"small  2     APPLE           1.250     13.00         1        30.95 %         \n"},
		{"EmptyClassTable", []string{"--class", "big"}, "big    -     (none)"},
		{"BySegment", []string{"--by", "segment", "--format", "csv"}, head},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"report", "top-products", "--db", path}, tc.args...)
			out, errOut, err := execute(t, context.Background(), "", args...)
			if err != nil || !strings.Contains(out, tc.want) {
				t.Fatalf("%v: err %v, stderr %q, output:\n%s\nwant it to contain:\n%s", tc.args, err, errOut, out, tc.want)
			}
			if tc.name == "CSV" && out != tc.want {
				t.Fatalf("output:\n%s\nwant exactly:\n%s", out, tc.want)
			}
		})
	}
	t.Run("BySegmentCoversEveryMember", func(t *testing.T) {
		out, _, err := execute(t, context.Background(), "", "report", "top-products", "--db", path, "--by", "segment", "--format", "csv")
		if err != nil {
			t.Fatalf("err %v", err)
		}
		// The segments split the non-staff members: their product spends
		// add up to the pyramid classes' 10600 + 4200.
		var spend int64
		for _, rec := range strings.Split(strings.TrimSpace(out), "\n")[1:] {
			f := strings.Split(rec, ",")
			if f[4] != "segment" {
				t.Fatalf("record %q is not by segment", rec)
			}
			fen, err := strconv.ParseInt(f[11], 10, 64)
			if err != nil {
				t.Fatalf("spend_fen of %q: %v", rec, err)
			}
			spend += fen
		}
		if spend != 14_800 {
			t.Fatalf("segments spend %d fen, want 14800:\n%s", spend, out)
		}
	})
}

func TestCommand_ReportTopProducts_Err(t *testing.T) {
	path := topProductsDB(t, true)
	for _, tc := range []struct {
		name string
		args []string
		want string // in the error or stderr
	}{
		{"BadBy", []string{"--by", "tier"}, `classifier "tier"`},
		{"BadClass", []string{"--class", "gold"}, `pyramid class "gold"`},
		{"ClassOfAnotherClassifier", []string{"--by", "segment", "--class", "vip"}, `segment class "vip"`},
		{"ZeroLimit", []string{"--limit", "0"}, "--limit 0"},
		{"BigLimit", []string{"--limit", "1001"}, "limit must be 1 to 1000"},
		{"BadFormat", []string{"--format", "xml"}, `--format "xml"`},
		{"NoRun", []string{"--db", topProductsDB(t, false)}, "no classification run stored"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"report", "top-products", "--db", path}, tc.args...)
			_, errOut, err := execute(t, context.Background(), "", args...)
			if err == nil || !strings.Contains(err.Error()+errOut, tc.want) {
				t.Fatalf("%v: err %v, stderr %q; want a failure naming %s", tc.args, err, errOut, tc.want)
			}
		})
	}
}
