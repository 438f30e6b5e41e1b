package postgres

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/tillsync/tillsync/central"
)

// walkCards is enough cards for several ranges (statsRangeCards), so the
// walk runs with helper connections, which the contract suite's few cards
// never start.
const walkCards = 30000

// walkNow is mid-June 2026, the end of seedMemberStats's year.
var walkNow = time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)

// TestDB_AllMemberStats_Ranges checks the walk in card ranges against one
// statement summing the same rows, for windows shorter and longer than the
// annual one, with helpers, without them and over the text protocol.
func TestDB_AllMemberStats_Ranges(t *testing.T) {
	ctx := context.Background()
	dsn := freshDSN(t)
	db := openDB(t, dsn)
	seedWalk(t, db)
	if n := len(walkRanges(t, db)); n < 3 {
		t.Fatalf("%d cards split into %d ranges, want at least 3 (helpers read them)", walkCards, n)
	}
	want := map[int][]central.MemberActivity{}
	for _, months := range []int{3, 12, 24} {
		want[months] = walkOracle(t, db, months)
	}
	check := func(t *testing.T, db *DB) {
		for months, w := range want {
			got := walkAll(t, db, months)
			if len(got) != len(w) {
				t.Fatalf("AllMemberStats(%d months) walked %d cards, want %d", months, len(got), len(w))
			}
			for i := range w {
				if got[i] != w[i] {
					t.Fatalf("AllMemberStats(%d months) card %d = %+v, want %+v", months, i, got[i], w[i])
				}
			}
		}
	}
	t.Run("OK", func(t *testing.T) {
		check(t, db)
		for _, a := range want[3] {
			if !strings.HasPrefix(a.Card, "63") {
				continue
			}
			got, err := db.MemberStats(ctx, a.Card, walkNow, 3)
			if err != nil || got != a {
				t.Fatalf("MemberStats(%s) = %+v, %v; want the walk's %+v", a.Card, got, err, a)
			}
		}
	})
	t.Run("OneConnection", func(t *testing.T) {
		// No helper gets a connection; the lead reads every range.
		one, err := Open(ctx, dsn, Options{MaxConns: 1})
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		t.Cleanup(func() { mustClose(t, one) })
		check(t, one)
	})
	t.Run("SimpleProtocol", func(t *testing.T) {
		// Numbers come as text; the walk scans them the slow way.
		check(t, openDB(t, dsnParam(t, dsn, "default_query_exec_mode", "simple_protocol")))
	})
	t.Run("ErrFn", func(t *testing.T) {
		stop := errors.New("enough")
		seen := 0
		err := db.AllMemberStats(ctx, walkNow, 12, func(central.MemberActivity) error {
			if seen++; seen == walkCards/2 {
				return stop
			}
			return nil
		})
		if err != stop || seen != walkCards/2 {
			t.Fatalf("AllMemberStats with fn failing at card %d = %v after %d cards; want fn's error as is, at once",
				walkCards/2, err, seen)
		}
		check(t, db) // the pool's connections came back usable
	})
	t.Run("HelperSnapshot", func(t *testing.T) {
		// A helper reads in the snapshot it is given, not in one of its
		// own taken after a write.
		lead, err := db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
		if err != nil {
			t.Fatalf("begin: %v", err)
		}
		defer db.rollback(ctx, lead)
		var snapshot string
		if err := lead.QueryRow(ctx, `SELECT pg_export_snapshot()`).Scan(&snapshot); err != nil {
			t.Fatalf("export snapshot: %v", err)
		}
		last := want[12][walkCards-1] // the last seeded card, in the last range
		if _, err := db.pool.Exec(ctx, `UPDATE member_months SET visits = visits + 100 WHERE card = $1`, last.Card); err != nil {
			t.Fatalf("write after the snapshot: %v", err)
		}
		w, err := central.NewStatsWindow(walkNow, 12)
		if err != nil {
			t.Fatal(err)
		}
		walk := newMonthsWalk(w, []statsRange{{}}, make(chan struct{}))
		db.helpWalk(ctx, ctx, walk, snapshot)
		p := <-walk.parts[0]
		var got cardMonths
		for _, m := range p.rows {
			if m.card == last.Card {
				got = m
			}
		}
		if p.err != nil || got.visits != last.Visits {
			t.Fatalf("helper read card %s as %+v, %v; want %d visits as of the snapshot", last.Card, got, p.err, last.Visits)
		}
		if _, err := db.pool.Exec(ctx, `UPDATE member_months SET visits = visits - 100 WHERE card = $1`, last.Card); err != nil {
			t.Fatalf("undo the write: %v", err)
		}
	})
	t.Run("OneSnapshot", func(t *testing.T) {
		// Writes committed once the walk has begun, before the helpers
		// read their ranges, are not seen.
		other := openDB(t, dsn)
		last := want[12][len(want[12])-1].Card
		first := true
		got := walkAllFn(t, db, 12, func() {
			if !first {
				return
			}
			first = false
			if _, err := other.pool.Exec(ctx, `WITH bumped AS (UPDATE member_months SET visits = visits + 100
					WHERE card = $1 RETURNING card)
				INSERT INTO member_stats (card, visits, spend_fen, largest_fen, points_earned, points_redeemed)
				SELECT '69', 0, 0, 0, 0, 0 FROM bumped LIMIT 1`, last); err != nil {
				t.Fatalf("write during the walk: %v", err)
			}
		})
		if len(got) != len(want[12]) || got[len(got)-1] != want[12][len(want[12])-1] {
			t.Fatalf("walk saw a write committed after it began: last card %+v of %d, want %+v of %d",
				got[len(got)-1], len(got), want[12][len(want[12])-1], len(want[12]))
		}
	})
}

// seedWalk writes walkCards seeded cards, a member linked to about every
// third, and cards at the edges: only old months, no months (points only),
// months with no lifetime row (never written by ingest; the walk skips
// them).
func seedWalk(t *testing.T, db *DB) {
	t.Helper()
	ctx := context.Background()
	if err := seedMemberStats(ctx, db, walkCards); err != nil {
		t.Fatalf("seed: %v", err)
	}
	_, err := db.pool.Exec(ctx, `
		DELETE FROM points_cards WHERE right(card, 1) NOT IN ('1', '4', '7');
		INSERT INTO member_stats (card, first_ms, last_ms, visits, spend_fen, largest_fen, points_earned, points_redeemed)
			VALUES ('6300000000000001', 1700000000000, 1700000000000, 1, 900, 900, 9, 0),
				('6300000000000002', NULL, NULL, 0, 0, 0, 50, 20);
		INSERT INTO member_months (card, month, visits, spend_fen, largest_fen)
			VALUES ('6300000000000001', 202311, 1, 900, 900), ('6200000000015000x', 202606, 5, 5000, 1000);
		INSERT INTO points_cards (card, member_id, enrolled, balance, entries)
			VALUES ('6300000000000002', 'M-points-only', 1, 30, 2)`)
	if err != nil {
		t.Fatalf("seed edge cards: %v", err)
	}
}

// walkRanges returns the ranges AllMemberStats splits the cards into.
func walkRanges(t *testing.T, db *DB) []statsRange {
	t.Helper()
	var ranges []statsRange
	err := pgx.BeginFunc(context.Background(), db.pool, func(tx pgx.Tx) error {
		var err error
		ranges, err = statsRanges(context.Background(), tx)
		return err
	})
	if err != nil {
		t.Fatalf("statsRanges: %v", err)
	}
	return ranges
}

// walkOracle reads every card's statistics in one statement of another
// shape: the months joined first and grouped after.
func walkOracle(t *testing.T, db *DB, months int) []central.MemberActivity {
	t.Helper()
	w, err := central.NewStatsWindow(walkNow, months)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := db.pool.Query(context.Background(), `SELECT s.card, COALESCE(MIN(c.member_id), ''),
		s.first_ms, s.last_ms, s.visits, s.spend_fen, s.largest_fen, s.points_earned, s.points_redeemed,
		COALESCE(SUM(m.visits) FILTER (WHERE m.month >= $1), 0)::bigint,
		COALESCE(SUM(m.spend_fen) FILTER (WHERE m.month >= $1), 0)::bigint,
		COALESCE(MAX(m.largest_fen) FILTER (WHERE m.month >= $1), 0)::bigint,
		COALESCE(SUM(m.spend_fen) FILTER (WHERE m.month >= $2), 0)::bigint
	FROM member_stats s
	LEFT JOIN member_months m ON m.card = s.card AND m.month BETWEEN $3 AND $4
	LEFT JOIN points_cards c ON c.card = s.card COLLATE "default"
	GROUP BY s.card ORDER BY s.card`, windowArgs(w)...)
	if err != nil {
		t.Fatalf("oracle: %v", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (central.MemberActivity, error) {
		return scanActivity(row, w)
	})
	if err != nil {
		t.Fatalf("oracle: %v", err)
	}
	return out
}

func walkAll(t *testing.T, db *DB, months int) []central.MemberActivity {
	t.Helper()
	return walkAllFn(t, db, months, func() {})
}

// walkAllFn collects AllMemberStats, calling each before taking a card.
func walkAllFn(t *testing.T, db *DB, months int, each func()) []central.MemberActivity {
	t.Helper()
	var out []central.MemberActivity
	err := db.AllMemberStats(context.Background(), walkNow, months, func(a central.MemberActivity) error {
		each()
		out = append(out, a)
		return nil
	})
	if err != nil {
		t.Fatalf("AllMemberStats(%d months): %v", months, err)
	}
	return out
}

// dsnParam returns dsn with a connection parameter added, in either DSN
// form.
func dsnParam(t *testing.T, dsn, key, value string) string {
	t.Helper()
	if u, err := url.Parse(dsn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		q := u.Query()
		q.Set(key, value)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return fmt.Sprintf("%s %s=%s", dsn, key, value)
}
