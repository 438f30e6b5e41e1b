package sqlite_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/tillsync/tillsync/central"
	"github.com/tillsync/tillsync/central/sqlite"
	"github.com/tillsync/tillsync/central/storetest"
)

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) central.Store { return openDB(t, filepath.Join(t.TempDir(), "central.db")) })
}

func TestStore_StatsZone(t *testing.T) {
	storetest.RunStatsZone(t, func(t *testing.T, zone *time.Location) central.Store {
		db, err := sqlite.Open(filepath.Join(t.TempDir(), "central.db"), sqlite.Options{StatsZone: zone})
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

func openDB(t testing.TB, path string) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(path, sqlite.Options{})
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
