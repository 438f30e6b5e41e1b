package http_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	centralhttp "github.com/tillsync/tillsync/central/http"
	"github.com/tillsync/tillsync/central/sqlite"
	"github.com/tillsync/tillsync/central/storetest"
)

func TestServer_Members(t *testing.T) {
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
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for _, p := range []storetest.PointsSale{
		{Store: "s1", Agent: "a1", Seq: 1, Card: "6200001234567890", Member: "M-1", At: at, Earn: []int64{40, 2},
			AvailableAt: at.Add(7 * 24 * time.Hour)},
		{Store: "s1", Agent: "a1", Seq: 2, Card: "6200009999990001", At: at, Earn: []int64{0}, Redeem: 25},
	} {
		if _, err := db.IngestBatch(context.Background(), storetest.Batch("s1", "a1", storetest.PointsSaleEvent(p)), receivedAt); err != nil {
			t.Fatalf("IngestBatch: %v", err)
		}
	}

	t.Run("BalancePending", func(t *testing.T) {
		wantJSON(t, getJSON(t, srv, "/v1/cards/6200001234567890/balance?at=2026-03-02T00:00:00Z", http.StatusOK),
			`{"card":"************7890","member_id":"M-1","total":42,"available":0,"pending":42,"debt":0,
			  "entries":1,"as_of":"2026-03-02T00:00:00Z"}`)
	})
	t.Run("BalanceAvailable", func(t *testing.T) {
		wantJSON(t, getJSON(t, srv, "/v1/cards/6200001234567890/balance?at=2026-03-09T00:00:00Z", http.StatusOK),
			`{"card":"************7890","member_id":"M-1","total":42,"available":42,"pending":0,"debt":0,
			  "entries":1,"as_of":"2026-03-09T00:00:00Z"}`)
	})
	t.Run("Debtors", func(t *testing.T) {
		wantJSON(t, getJSON(t, srv, "/v1/debtors", http.StatusOK),
			`{"debtors":[{"card":"************0001","member_id":"","balance":-25,"debt":25}]}`)
	})
	t.Run("Overdrafts", func(t *testing.T) {
		wantJSON(t, getJSON(t, srv, "/v1/overdrafts?limit=10", http.StatusOK),
			`{"overdrafts":[{"entry_id":"redeem-a1-2","card":"************0001","sale_id":"sale-a1-2","store_id":"s1",
			  "agent_id":"a1","points":-25,"balance_after":-25,"flagged_at":"2026-01-01T01:00:00Z"}]}`)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		got := getJSON(t, srv, "/v1/cards/6200000000000000/balance", http.StatusNotFound)
		wantJSON(t, got, `{"error":{"code":"not_found","message":"card ************0000 has no points"}}`)
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		wantJSON(t, getJSON(t, srv, "/v1/debtors?limit=0", http.StatusBadRequest),
			`{"error":{"code":"invalid","message":"limit \"0\": use 1 to 1000"}}`)
		wantJSON(t, getJSON(t, srv, "/v1/cards/1/balance?at=yesterday", http.StatusBadRequest),
			`{"error":{"code":"invalid","message":"at \"yesterday\": use RFC 3339, e.g. 2026-03-01T10:00:00Z"}}`)
	})
}
