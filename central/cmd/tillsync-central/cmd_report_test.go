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
