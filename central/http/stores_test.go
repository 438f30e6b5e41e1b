package http_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/tillsync/tillsync/central"
	centralhttp "github.com/tillsync/tillsync/central/http"
	"github.com/tillsync/tillsync/central/sqlite"
)

func TestServer_Stores(t *testing.T) {
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "central.db"), sqlite.Options{})
	if err != nil {
		t.Fatalf("sqlite.Open: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("db Close: %v", err)
		}
	})
	srv := httptest.NewServer(centralhttp.NewServer(db, nil))
	t.Cleanup(srv.Close)

	t.Run("Empty", func(t *testing.T) {
		wantJSON(t, getJSON(t, srv, "/v1/stores", http.StatusOK), `{"stores":[]}`)
	})
	t.Run("OnlineAndOffline", func(t *testing.T) {
		for _, p := range []central.Presence{
			{StoreID: "s1", AgentID: "a1", Session: 3, Online: true, LastSeen: receivedAt, OutboxDepth: 7,
				OldestUnsynced: receivedAt.Add(-time.Minute), ClockSkew: 1500 * time.Millisecond},
			{StoreID: "s1", AgentID: "a2", Session: 1, Online: false, LastSeen: receivedAt},
			{StoreID: "s2", AgentID: "a3", Session: 9, Online: false, LastSeen: receivedAt, OutboxDepth: 2,
				OldestUnsynced: receivedAt.Add(-time.Hour)},
		} {
			if _, err := db.RecordPresence(context.Background(), p); err != nil {
				t.Fatalf("RecordPresence: %v", err)
			}
		}
		wantJSON(t, getJSON(t, srv, "/v1/stores", http.StatusOK), `{"stores":[
			{"store_id":"s1","agents_online":1,"agents":[
				{"agent_id":"a1","online":true,"session":3,"last_seen":"2026-01-01T01:00:00Z","outbox_depth":7,
				 "oldest_unsynced":"2026-01-01T00:59:00Z","clock_skew_ms":1500},
				{"agent_id":"a2","online":false,"session":1,"last_seen":"2026-01-01T01:00:00Z","outbox_depth":0,
				 "clock_skew_ms":0}]},
			{"store_id":"s2","agents_online":0,"agents":[
				{"agent_id":"a3","online":false,"session":9,"last_seen":"2026-01-01T01:00:00Z","outbox_depth":2,
				 "oldest_unsynced":"2026-01-01T00:00:00Z","clock_skew_ms":0}]}]}`)
	})
}
