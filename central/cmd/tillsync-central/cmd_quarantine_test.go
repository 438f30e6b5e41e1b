package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/tillsync/tillsync/central"
	"github.com/tillsync/tillsync/central/postgres"
	"github.com/tillsync/tillsync/central/sqlite"
	"github.com/tillsync/tillsync/central/storetest"
	"github.com/tillsync/tillsync/syncproto"
	"google.golang.org/protobuf/proto"
)

// quarantineFixture ingests into db: s1/a1 sales 1..3 with seq 2 of an
// unknown kind (quarantine id 1), and a sale of a reset agent reusing a1's
// seq 3 (quarantine id 2, a cause no replay fixes).
func quarantineFixture(t *testing.T, db central.Store) {
	t.Helper()
	b := storetest.SaleBatch("s1", "a1", 1, 3)
	b.Events[1].Payload = nil
	reused := storetest.SaleEvent("s1", "a1", 3)
	reused.EventId, reused.GetSaleCommitted().SaleId = "ev-other", "sale-other"
	for _, b := range []*syncproto.Batch{b, storetest.Batch("s1", "a1", reused)} {
		if _, err := db.IngestBatch(context.Background(), b, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil {
			t.Fatalf("IngestBatch: %v", err)
		}
	}
}

// upgradedPayload is a1's seq 2 as a newer central would decode it.
func upgradedPayload(t *testing.T) []byte {
	t.Helper()
	p, err := proto.MarshalOptions{Deterministic: true}.Marshal(storetest.SaleEvent("s1", "a1", 2))
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return p
}

func TestCommand_Quarantine(t *testing.T) {
	t.Chdir(t.TempDir()) // no ./central.yaml
	path := filepath.Join(t.TempDir(), "central.db")
	db, err := sqlite.Open(path, sqlite.Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	quarantineFixture(t, db)
	if err := db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	run := func(args ...string) (string, error) {
		t.Helper()
		out, _, err := execute(t, context.Background(), "", append(args, "--db", path)...)
		return out, err
	}
	t.Run("ListTable", func(t *testing.T) {
		out, err := run("quarantine", "list")
		if err != nil || !strings.Contains(out, "unknown_kind: ") || !strings.Contains(out, "seq_conflict: ") ||
			!strings.Contains(out, `"ev-a1-2"`) {
			t.Fatalf("err %v, output:\n%s", err, out)
		}
	})
	t.Run("ListJSONLimit", func(t *testing.T) {
		out, err := run("quarantine", "list", "--format", "json", "--limit", "1")
		if err != nil || !strings.Contains(out, `"id": 1,`) || strings.Contains(out, `"id": 2,`) {
			t.Fatalf("err %v, output:\n%s", err, out)
		}
	})
	t.Run("ReplayStillQuarantined", func(t *testing.T) {
		out, err := run("quarantine", "replay", "2")
		var ex exitError
		if !errors.As(err, &ex) || ex != 1 || !strings.Contains(out, "2: agent a1 seq 3 still quarantined: seq_conflict: ") {
			t.Fatalf("err %v, output:\n%s", err, out)
		}
	})
	// The upgrade: a newer central decodes seq 2's stored bytes.
	rawExec(t, path, upgradedPayload(t))
	t.Run("ReplayAll", func(t *testing.T) {
		out, err := run("quarantine", "replay", "--all")
		var ex exitError
		if !errors.As(err, &ex) || ex != 1 || !strings.Contains(out, "1: agent a1 seq 2 applied") ||
			!strings.Contains(out, "applied 1, still quarantined 1") {
			t.Fatalf("err %v, output:\n%s", err, out)
		}
		if out, err := run("report", "sales", "--format", "csv"); err != nil || !strings.Contains(out, "s1,3,600,6.00") {
			t.Fatalf("report after replay: err %v, output:\n%s", err, out)
		}
	})
	t.Run("ErrReplayedTwice", func(t *testing.T) {
		if _, err := run("quarantine", "replay", "1"); central.ErrorCode(err) != central.ENOTFOUND {
			t.Fatalf("second replay: err %v, want %s", err, central.ENOTFOUND)
		}
		if out, err := run("report", "sales", "--format", "csv"); err != nil || !strings.Contains(out, "s1,3,600,6.00") {
			t.Fatalf("report after second replay: err %v, output:\n%s", err, out)
		}
	})
	for _, args := range [][]string{
		{"quarantine", "replay"}, {"quarantine", "replay", "x"}, {"quarantine", "replay", "1", "--all"},
		{"quarantine", "list", "--limit", "0"}, {"quarantine", "list", "--format", "csv"},
	} {
		t.Run("Err_"+strings.Join(args[1:], "_"), func(t *testing.T) {
			if _, err := run(args...); err == nil {
				t.Fatalf("%v succeeded", args)
			}
		})
	}
}

// rawExec rewrites a1's seq 2 payload in the SQLite file at path, in its
// events and quarantine rows.
func rawExec(t *testing.T, path string, payload []byte) {
	t.Helper()
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer func() {
		if err := raw.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	}()
	for _, table := range []string{"events", "quarantine"} {
		if _, err := raw.Exec(`UPDATE `+table+` SET payload = ? WHERE agent_id = 'a1' AND seq = 2`, payload); err != nil {
			t.Fatalf("upgrade %s: %v", table, err)
		}
	}
}

// TestCommand_QuarantinePostgres runs report sales and quarantine on
// database.driver postgres, on a fresh database of the test server
// (TILLSYNC_TEST_POSTGRES, as in package postgres).
func TestCommand_QuarantinePostgres(t *testing.T) {
	t.Chdir(t.TempDir())
	dsn := freshPostgres(t)
	db, err := postgres.Open(context.Background(), dsn, postgres.Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	quarantineFixture(t, db)
	if err := db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	cfg := writeFile(t, "central.yaml", "database:\n  driver: postgres\n  dsn: \""+dsn+"\"\n")
	run := func(args ...string) (string, error) {
		t.Helper()
		out, _, err := execute(t, context.Background(), "", append(args, "--config", cfg)...)
		return out, err
	}
	if out, err := run("report", "sales", "--format", "csv"); err != nil || !strings.Contains(out, "s1,2,400,4.00") {
		t.Fatalf("report sales: err %v, output:\n%s", err, out)
	}
	if out, err := run("quarantine", "list", "--format", "json"); err != nil || !strings.Contains(out, `"reason": "unknown_kind: `) {
		t.Fatalf("quarantine list: err %v, output:\n%s", err, out)
	}
	out, err := run("quarantine", "replay", "--all")
	var ex exitError
	if !errors.As(err, &ex) || !strings.Contains(out, "applied 0, still quarantined 2") {
		t.Fatalf("quarantine replay --all: err %v, output:\n%s", err, out)
	}
}

// freshPostgres creates an empty database on the test server, dropped at
// cleanup, and returns its DSN. An unreachable server fails the test.
func freshPostgres(t *testing.T) string {
	t.Helper()
	admin := os.Getenv("TILLSYNC_TEST_POSTGRES")
	if admin == "" {
		admin = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	}
	u, err := url.Parse(admin)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("TILLSYNC_TEST_POSTGRES must be a postgres:// URL here")
	}
	name := "tillsync_cli_" + strings.ToLower(rand.Text())
	adminSQL := func(sql string) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Fatalf("connect to the test PostgreSQL (scripts/test.sh starts one): %v", err)
		}
		defer func() {
			if err := conn.Close(context.Background()); err != nil {
				t.Errorf("close: %v", err)
			}
		}()
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	ident := pgx.Identifier{name}.Sanitize()
	adminSQL("CREATE DATABASE " + ident)
	t.Cleanup(func() { adminSQL("DROP DATABASE IF EXISTS " + ident + " WITH (FORCE)") })
	u.Path = "/" + name
	return u.String()
}
