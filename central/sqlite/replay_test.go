package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/tillsync/tillsync/central"
	"github.com/tillsync/tillsync/central/storetest"
)

func TestDB_ReplayQuarantined(t *testing.T) {
	open := func(t *testing.T) central.Store {
		db, err := Open(filepath.Join(t.TempDir(), "central.db"), Options{})
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
	storetest.RunReplay(t, open, func(t *testing.T, s central.Store, seq uint64, payload []byte) {
		t.Helper()
		db := s.(*DB)
		for _, q := range []string{
			`UPDATE events SET payload = ? WHERE agent_id = 'a1' AND seq = ?`,
			`UPDATE quarantine SET payload = ? WHERE agent_id = 'a1' AND seq = ?`,
		} {
			if _, err := db.write.ExecContext(context.Background(), q, payload, int64(seq)); err != nil {
				t.Fatalf("upgrade payload: %v", err)
			}
		}
	})
}
