package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tillsync/tillsync/central/sqlite"
	"github.com/tillsync/tillsync/central/storetest"
	"github.com/tillsync/tillsync/syncproto"
)

// classifyDB writes a SQLite file with members 1..5 buying twice k×1000
// fen in January 2026, and a staff card 9 buying 50,000 fen twice.
func classifyDB(t *testing.T) (path string, cards []string) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "central.db")
	db, err := sqlite.Open(path, sqlite.Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	var evs []*syncproto.Event
	seq := uint64(1)
	for _, k := range []int64{1, 2, 3, 4, 5, 9} {
		card := fmt.Sprintf("62020000000000%02d", k)
		cards = append(cards, card)
		fen := k * 1000
		if k == 9 {
			fen = 50_000
		}
		for range 2 {
			evs = append(evs, storetest.StatsSaleEvent(storetest.StatsSale{Store: "s1", Agent: "a1", Seq: seq, Card: card,
				At:    time.Date(2026, 1, 10, 9, int(seq), 0, 0, time.UTC),
				Lines: []storetest.StatsLine{{SKU: "SKU-1", Category: "dairy", QuantityMilli: 1000, UnitPriceFen: fen}}}))
			seq++
		}
	}
	if _, err := db.IngestBatch(context.Background(), storetest.Batch("s1", "a1", evs...), time.Now()); err != nil {
		t.Fatalf("IngestBatch: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	return path, cards
}

func TestCommand_Classify(t *testing.T) {
	t.Chdir(t.TempDir()) // no ./central.yaml
	path, cards := classifyDB(t)
	run := func(args ...string) (string, error) {
		t.Helper()
		out, _, err := execute(t, context.Background(), "", append(args, "--db", path)...)
		for _, c := range cards {
			if strings.Contains(out, c) {
				t.Fatalf("%v printed a full card number:\n%s", args, out)
			}
		}
		return out, err
	}
	if _, err := run("report", "classes"); err == nil || !strings.Contains(err.Error(), "not_found") {
		t.Fatalf("report before any run: err %v, want not_found", err)
	}
	out, err := run("classify", "--as-of", "2026-02-01", "--exclude-card", cards[5])
	if err != nil {
		t.Fatalf("classify: %v", err)
	}
	// Five classified members: cuts at 0, 0 and 1 member (1 %, 5 %, 20 %
	// of 5, rounded down), so the top key is ordinary and the rest small.
	if !strings.Contains(out, "classification run 1 as of 2026-02-01T00:00:00Z: 6 members (1 excluded), 12-month window") ||
		!regexpLine(out, `\s*pyramid\s+ordinary\s+1\s+100\.00\s+7\.69`) || !regexpLine(out, `\s*pyramid\s+small\s+4\s+200\.00\s+15\.39`) ||
		!regexpLine(out, `\s*pyramid\s+excluded\s+1\s+1000\.00\s+76\.92`) {
		t.Fatalf("classify output:\n%s", out)
	}
	if out, err = run("classify", "--as-of", "2026-02-02T00:00:00Z", "--keep", "1"); err != nil ||
		!strings.Contains(out, "classification run 2 as of 2026-02-02T00:00:00Z: 6 members (0 excluded)") {
		t.Fatalf("second classify: err %v, output:\n%s", err, out)
	}
	if out, err = run("report", "classes"); err != nil || !strings.Contains(out, "classification run 2 ") ||
		!regexpLine(out, `\s*segment\s+champions\s+\d+\s+[0-9.]+\s+[0-9.]+`) {
		t.Fatalf("report classes: err %v, output:\n%s", err, out)
	}
	out, err = run("report", "classes", "--format", "csv")
	if err != nil {
		t.Fatalf("report classes --format csv: %v", err)
	}
	checkClassCSV(t, out, 6)
}

// checkClassCSV parses a class CSV export and checks each classifier's
// members sum to members and its shares to 10000 basis points.
func checkClassCSV(t *testing.T, out string, members int64) {
	t.Helper()
	records, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatalf("parse CSV: %v\n%s", err, out)
	}
	if strings.Join(records[0], ",") != "run_id,as_of,classifier,class,members,spend_fen,spend_yuan,spend_share_bp" {
		t.Fatalf("CSV header %v", records[0])
	}
	n, bp := map[string]int64{}, map[string]int64{}
	for _, r := range records[1:] {
		if r[0] != "2" || r[1] != "2026-02-02T00:00:00Z" {
			t.Errorf("row %v: want run 2 as of 2026-02-02T00:00:00Z", r)
		}
		m, err1 := strconv.ParseInt(r[4], 10, 64)
		s, err2 := strconv.ParseInt(r[7], 10, 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("row %v: bad numbers", r)
		}
		n[r[2]] += m
		bp[r[2]] += s
	}
	for _, c := range []string{"pyramid", "segment", "quadrant", "abc"} {
		if n[c] != members || bp[c] != 10_000 {
			t.Errorf("%s: %d members, %d bp; want %d and 10000", c, n[c], bp[c], members)
		}
	}
}

func TestCommand_ClassifyErr(t *testing.T) {
	t.Chdir(t.TempDir())
	path, _ := classifyDB(t)
	for _, args := range [][]string{
		{"classify", "--months", "0"},
		{"classify", "--months", "121"},
		{"classify", "--keep", "0"},
		{"classify", "--as-of", "yesterday"},
		{"report", "classes", "--format", "xml"},
	} {
		t.Run(strings.Join(args, "_"), func(t *testing.T) {
			if _, _, err := execute(t, context.Background(), "", append(args, "--db", path)...); err == nil {
				t.Fatalf("%v succeeded", args)
			}
		})
	}
	for _, args := range [][]string{{"classify", "--help"}, {"report", "classes", "--help"}} {
		if out, _, err := execute(t, context.Background(), "", args...); err != nil || !strings.Contains(out, "Usage:") {
			t.Errorf("%v: err %v, output %q", args, err, out)
		}
	}
}
