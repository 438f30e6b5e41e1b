package postgres

import (
	"context"
	"crypto/rand"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/tillsync/tillsync/central"
	"github.com/tillsync/tillsync/central/storetest"
)

// testDSNEnv names the environment variable holding the DSN of the server
// the tests create their databases on; the role must be allowed to CREATE
// DATABASE.
const testDSNEnv = "TILLSYNC_TEST_POSTGRES"

const defaultTestDSN = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

func TestDB_Contract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) central.Store { return openDB(t, freshDSN(t)) })
}

func TestDB_StatsZone(t *testing.T) {
	storetest.RunStatsZone(t, func(t *testing.T, zone *time.Location) central.Store {
		db, err := Open(context.Background(), freshDSN(t), Options{StatsZone: zone})
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		t.Cleanup(func() {
			if err := db.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
		return db
	})
}

// adminDSN is the DSN of the test server's maintenance database.
func adminDSN() string {
	if dsn := os.Getenv(testDSNEnv); dsn != "" {
		return dsn
	}
	return defaultTestDSN
}

// adminExec runs sql on the maintenance database. An unreachable server
// fails the test, never skips it: the store must be tested.
func adminExec(t testing.TB, sql string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, adminDSN())
	if err != nil {
		t.Fatalf("connect to the test PostgreSQL at %s (set %s to use another): %v\n"+
			"Start one with scripts/test.sh, which installs and starts it, or by hand on Debian:\n"+
			"  apt-get install postgresql && pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
			redacted(adminDSN()), testDSNEnv, err)
	}
	defer func() {
		if err := conn.Close(context.Background()); err != nil {
			t.Errorf("close admin connection: %v", err)
		}
	}()
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// redacted returns dsn fit for a test log: a URL without its password, or
// a placeholder for a key=value DSN (which may hold one anywhere).
func redacted(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		return u.Redacted()
	}
	return "the key=value DSN in " + testDSNEnv
}

// freshDSN creates an empty database for the test, dropped at cleanup
// (after the stores opened on it are closed: cleanups run last-in
// first-out), and returns its DSN.
func freshDSN(t testing.TB) string {
	t.Helper()
	name := "tillsync_test_" + strings.ToLower(rand.Text())
	ident := pgx.Identifier{name}.Sanitize()
	adminExec(t, "CREATE DATABASE "+ident)
	t.Cleanup(func() { adminExec(t, "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)") })
	return withDatabase(t, adminDSN(), name)
}

// withDatabase returns dsn with its database replaced by name, for both
// DSN forms libpq reads.
func withDatabase(t testing.TB, dsn, name string) string {
	t.Helper()
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatalf("%s: %v", testDSNEnv, err)
		}
		u.Path = "/" + name
		return u.String()
	}
	return dsn + " dbname=" + name // a later key wins in key=value DSNs
}

func openDB(t testing.TB, dsn string) *DB {
	t.Helper()
	db, err := Open(context.Background(), dsn, Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return db
}
