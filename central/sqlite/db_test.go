package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tillsync/tillsync/central"
	"github.com/tillsync/tillsync/central/storetest"
)

func open(t *testing.T, path string, opts Options) *DB {
	t.Helper()
	db, err := Open(path, opts)
	if err != nil {
		t.Fatalf("Open(%q): %v", path, err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return db
}

func pragma(t *testing.T, pool *sql.DB, name string) string {
	t.Helper()
	var v string
	if err := pool.QueryRowContext(context.Background(), "PRAGMA "+name).Scan(&v); err != nil {
		t.Fatalf("PRAGMA %s: %v", name, err)
	}
	return v
}

func TestOpen(t *testing.T) {
	t.Run("DurabilityPragmas", func(t *testing.T) {
		db := open(t, filepath.Join(t.TempDir(), "c.db"), Options{})
		for name, want := range map[string]string{
			"journal_mode": "wal", "synchronous": "2" /* FULL */, "foreign_keys": "1", "busy_timeout": "10000",
		} {
			if got := pragma(t, db.write, name); got != want {
				t.Errorf("PRAGMA %s = %s, want %s", name, got, want)
			}
		}
		if got := pragma(t, db.read, "query_only"); got != "1" {
			t.Errorf("read pool query_only = %s, want 1", got)
		}
	})
	t.Run("ReopenKeepsData", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "c.db")
		db, err := Open(path, Options{})
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		if _, err := db.IngestBatch(context.Background(), storetest.SaleBatch("s1", "a1", 1, 3), time.Now()); err != nil {
			t.Fatalf("IngestBatch: %v", err)
		}
		if err := db.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		db = open(t, path, Options{})
		got, err := db.SalesByStore(context.Background())
		if err != nil || len(got) != 1 || got[0].Sales != 3 {
			t.Fatalf("SalesByStore after reopen = %+v, %v; want 3 sales", got, err)
		}
		if v := pragma(t, db.read, "user_version"); v != "0" {
			t.Errorf("user_version = %s", v) // versions live in schema_migrations, not user_version
		}
	})
	t.Run("ErrSchemaTooNew", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "c.db")
		db := open(t, path, Options{})
		if _, err := db.write.Exec(`INSERT INTO schema_migrations (version, applied_ms) VALUES (?, 0)`, len(migrations)+1); err != nil {
			t.Fatalf("insert version: %v", err)
		}
		for _, ro := range []bool{false, true} {
			_, err := Open(path, Options{ReadOnly: ro})
			if !errors.Is(err, central.ErrSchemaTooNew) {
				t.Errorf("Open(ReadOnly=%v) err = %v, want ErrSchemaTooNew", ro, err)
			}
		}
	})
	t.Run("ErrPath", func(t *testing.T) {
		_, err := Open(filepath.Join(t.TempDir(), "no-such-dir", "c.db"), Options{})
		if err == nil {
			t.Fatal("Open in a missing directory succeeded")
		}
	})
}

func TestOpen_ReadOnly(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "c.db")
		rw := open(t, path, Options{})
		if _, err := rw.IngestBatch(context.Background(), storetest.SaleBatch("s1", "a1", 1, 2), time.Now()); err != nil {
			t.Fatalf("IngestBatch: %v", err)
		}
		ro := open(t, path, Options{ReadOnly: true})
		got, err := ro.SalesByStore(context.Background())
		if err != nil || len(got) != 1 || got[0].Sales != 2 {
			t.Fatalf("SalesByStore = %+v, %v; want 2 sales", got, err)
		}
		_, err = ro.IngestBatch(context.Background(), storetest.SaleBatch("s1", "a1", 3, 3), time.Now())
		if code := central.ErrorCode(err); code != central.EUNAVAILABLE {
			t.Fatalf("IngestBatch on read-only err = %v, want %s", err, central.EUNAVAILABLE)
		}
	})
	t.Run("ErrMissingFile", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "missing.db")
		if _, err := Open(path, Options{ReadOnly: true}); err == nil {
			t.Fatal("read-only Open of a missing file succeeded")
		}
		if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("read-only Open created %s (stat err %v)", path, err)
		}
	})
}
