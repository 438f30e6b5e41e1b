package main

import (
	"context"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tillsync/tillsync/central"
	"github.com/tillsync/tillsync/central/sqlite"
	"github.com/tillsync/tillsync/central/storetest"
	"github.com/tillsync/tillsync/syncproto"
)

func TestCommand_Points(t *testing.T) {
	t.Chdir(t.TempDir()) // no ./central.yaml
	path := filepath.Join(t.TempDir(), "central.db")
	db, err := sqlite.Open(path, sqlite.Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, p := range []storetest.PointsSale{
		{Store: "s1", Agent: "a1", Seq: 1, Card: "6200001234567890", At: at, Earn: []int64{50}, AvailableAt: at,
			ExpiresAt: at.Add(24 * time.Hour)},
		{Store: "s1", Agent: "a1", Seq: 2, Card: "6200009999990001", At: at, Earn: []int64{0}, Redeem: 25},
	} {
		if _, err := db.IngestBatch(context.Background(), storetest.Batch("s1", "a1", storetest.PointsSaleEvent(p)), at); err != nil {
			t.Fatalf("IngestBatch: %v", err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	run := func(args ...string) string {
		t.Helper()
		out, errOut, err := execute(t, context.Background(), "", append(args, "--db", path)...)
		if err != nil {
			t.Fatalf("%v: %v (stderr %q)", args, err, errOut)
		}
		if strings.Contains(out, "6200001234567890") || strings.Contains(out, "6200009999990001") {
			t.Fatalf("%v printed a full card number:\n%s", args, out)
		}
		return out
	}
	if out := run("points", "balance", "--card", "6200001234567890"); !strings.Contains(out, "************7890") ||
		!regexpLine(out, `total\s+50`) {
		t.Fatalf("balance output:\n%s", out)
	}
	if out := run("points", "debtors"); !regexpLine(out, `\*+0001\s+25`) {
		t.Fatalf("debtors output:\n%s", out)
	}
	if out := run("points", "expire"); !strings.Contains(out, "expired 50 points in 1 entries on 1 cards") {
		t.Fatalf("expire output:\n%s", out)
	}
	if out := run("points", "expire"); !strings.Contains(out, "expired 0 points in 0 entries on 0 cards") {
		t.Fatalf("second expire output:\n%s", out)
	}
	if out := run("points", "balance", "--card", "6200001234567890"); !regexpLine(out, `total\s+0`) {
		t.Fatalf("balance after expiry:\n%s", out)
	}
	if _, _, err := execute(t, context.Background(), "", "points", "balance", "--card", "0000", "--db", path); err == nil ||
		!strings.Contains(err.Error(), "not_found") {
		t.Fatalf("unknown card: err %v, want not_found", err)
	}
}

func regexpLine(out, pattern string) bool {
	return regexp.MustCompile(`(?m)^` + pattern + `\s*$`).MatchString(out)
}

func TestCommand_PointsAdjust(t *testing.T) {
	t.Chdir(t.TempDir()) // no ./central.yaml
	path := filepath.Join(t.TempDir(), "central.db")
	const card = "6200001234567890"
	run := func(args ...string) (string, error) {
		t.Helper()
		out, _, err := execute(t, context.Background(), "", append(args, "--db", path)...)
		if strings.Contains(out, card) {
			t.Fatalf("%v printed a full card number:\n%s", args, out)
		}
		return out, err
	}
	adjust := func(id, points string) (string, error) {
		return run("points", "adjust", "--card", card, "--points", points, "--reason", "goodwill", "--id", id)
	}
	if out, err := adjust("T-1", "500"); err != nil || !strings.Contains(out, "adjusted card ************7890 by 500 points; available now 500") {
		t.Fatalf("adjust: %v\n%s", err, out)
	}
	// The same --id again (an operator retrying) posts nothing.
	if out, err := adjust("T-1", "500"); err != nil || !strings.Contains(out, "already posted") ||
		!strings.Contains(out, "available now 500") {
		t.Fatalf("repeated adjust: %v\n%s", err, out)
	}
	if out, err := adjust("T-2", "-120"); err != nil || !strings.Contains(out, "available now 380") {
		t.Fatalf("debit: %v\n%s", err, out)
	}
	if out, err := run("points", "balance", "--card", card); err != nil || !regexpLine(out, `total\s+380`) {
		t.Fatalf("balance after adjustments: %v\n%s", err, out)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--points", "5", "--reason", "r", "--id", "x"}, "--card"},
		{[]string{"--card", card, "--reason", "r", "--id", "x"}, "--points"},
		{[]string{"--card", card, "--points", "5", "--id", "x"}, "--reason"},
		{[]string{"--card", card, "--points", "5", "--reason", "r"}, "--id"},
		{[]string{"--card", card, "--points", "5", "--reason", "r", "--id", strings.Repeat("x", 65)}, "invalid"},
	} {
		if _, err := run(append([]string{"points", "adjust"}, tc.args...)...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Fatalf("adjust %v: err %v, want one naming %s", tc.args, err, tc.want)
		}
	}
}

func TestCommand_PointsRebate(t *testing.T) {
	t.Chdir(t.TempDir()) // no ./central.yaml
	path := filepath.Join(t.TempDir(), "central.db")
	db, err := sqlite.Open(path, sqlite.Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	const gold, plain = "6200001234567890", "6200009999990001"
	// Two years back, so the year has ended whenever the test runs.
	year := time.Now().Year() - 2
	at := time.Date(year, 6, 1, 10, 0, 0, 0, time.UTC)
	sale := func(seq uint64, card string, fen int64) *syncproto.Event {
		return storetest.StatsSaleEvent(storetest.StatsSale{Store: "s1", Agent: "a1", Seq: seq, Card: card, At: at,
			Lines: []storetest.StatsLine{{SKU: "SKU-1", QuantityMilli: 1000, UnitPriceFen: fen}}})
	}
	if _, err := db.IngestBatch(context.Background(), storetest.Batch("s1", "a1", sale(1, gold, 1_000_000),
		sale(2, plain, 1_000_000)), at); err != nil {
		t.Fatalf("IngestBatch: %v", err)
	}
	if _, err := db.SetTierFloor(context.Background(), gold, "gold", central.DefaultTierPolicy(), at); err != nil {
		t.Fatalf("SetTierFloor: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	cfg := writeFile(t, "central.yaml", "rebate:\n  rates:\n    gold: 300\n")
	run := func(args ...string) (string, error) {
		t.Helper()
		out, _, err := execute(t, context.Background(), "", append(args, "--db", path, "--config", cfg)...)
		if strings.Contains(out, gold) || strings.Contains(out, plain) {
			t.Fatalf("%v printed a full card number:\n%s", args, out)
		}
		return out, err
	}
	y := strconv.Itoa(year)
	// gold at the configured 3 % of ¥10,000 = 300; plain, untiered, is
	// rated as regular, which the file's rates (replacing the defaults)
	// leave out: nothing.
	if out, err := run("points", "rebate", "--year", y); err != nil ||
		!strings.Contains(out, "rebate "+y+": posted 300 points on 1 cards; 0 cards already had it") {
		t.Fatalf("rebate: %v\n%s", err, out)
	}
	if out, err := run("points", "rebate", "--year", y); err != nil ||
		!strings.Contains(out, "posted 0 points on 0 cards; 1 cards already had it") {
		t.Fatalf("second rebate: %v\n%s", err, out)
	}
	if out, err := run("points", "balance", "--card", gold); err != nil || !regexpLine(out, `total\s+300`) {
		t.Fatalf("balance after rebate: %v\n%s", err, out)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "--year"},
		{[]string{"--year", strconv.Itoa(time.Now().Year())}, "has not ended"},
	} {
		if _, err := run(append([]string{"points", "rebate"}, tc.args...)...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Fatalf("rebate %v: err %v, want one naming %s", tc.args, err, tc.want)
		}
	}
	bad := writeFile(t, "bad.yaml", "rebate:\n  rates:\n    platinum: 100\n")
	if _, _, err := execute(t, context.Background(), "", "points", "rebate", "--year", y, "--db", path, "--config", bad); err == nil ||
		!strings.Contains(err.Error(), "rebate.rates.platinum") {
		t.Fatalf("rebate with a rate of an unknown tier: err %v, want one naming rebate.rates.platinum", err)
	}
}
