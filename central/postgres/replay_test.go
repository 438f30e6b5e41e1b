package postgres

import (
	"context"
	"testing"

	"github.com/tillsync/tillsync/central"
	"github.com/tillsync/tillsync/central/storetest"
)

func TestDB_ReplayQuarantined(t *testing.T) {
	open := func(t *testing.T) central.Store { return openDB(t, freshDSN(t)) }
	storetest.RunReplay(t, open, func(t *testing.T, s central.Store, seq uint64, payload []byte) {
		t.Helper()
		db := s.(*DB)
		for _, q := range []string{
			`UPDATE events SET payload = $1 WHERE agent_id = 'a1' AND seq = $2`,
			`UPDATE quarantine SET payload = $1 WHERE agent_id = 'a1' AND seq = $2`,
		} {
			if _, err := db.pool.Exec(context.Background(), q, payload, int64(seq)); err != nil {
				t.Fatalf("upgrade payload: %v", err)
			}
		}
	})
}
