package http_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	centralhttp "github.com/tillsync/tillsync/central/http"
	"github.com/tillsync/tillsync/central/sqlite"
	"github.com/tillsync/tillsync/central/storetest"
	"github.com/tillsync/tillsync/syncproto"
)

var receivedAt = time.Date(2026, 1, 1, 1, 0, 0, 0, time.UTC)

// newServer serves the API over a real SQLite store holding s1/a1's sales
// 1..3, s2/a2's sales 1..2 and 5 (a gap), and a2's seq 6 quarantined.
func newServer(t *testing.T) *httptest.Server {
	t.Helper()
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "central.db"), sqlite.Options{})
	if err != nil {
		t.Fatalf("sqlite.Open: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("db Close: %v", err)
		}
	})
	withBad := storetest.SaleBatch("s2", "a2", 5, 6)
	withBad.Events[1].GetSaleCommitted().TotalFen = 1
	for _, b := range []*syncproto.Batch{storetest.SaleBatch("s1", "a1", 1, 3), storetest.SaleBatch("s2", "a2", 1, 2), withBad} {
		if _, err := db.IngestBatch(context.Background(), b, receivedAt); err != nil {
			t.Fatalf("IngestBatch: %v", err)
		}
	}
	srv := httptest.NewServer(centralhttp.NewServer(db, nil))
	t.Cleanup(srv.Close)
	return srv
}

// get returns the status, content type and body of GET path.
func get(t *testing.T, srv *httptest.Server, path string) (int, string, string) {
	t.Helper()
	resp, err := srv.Client().Get(srv.URL + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer func() {
		if err := resp.Body.Close(); err != nil {
			t.Errorf("close body: %v", err)
		}
	}()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(body)
}

// getJSON decodes GET path into a generic value after checking its status.
func getJSON(t *testing.T, srv *httptest.Server, path string, status int) any {
	t.Helper()
	code, ctype, body := get(t, srv, path)
	if code != status || ctype != "application/json" {
		t.Fatalf("GET %s = %d %s, want %d application/json; body %s", path, code, ctype, status, body)
	}
	var v any
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("GET %s: bad JSON %q: %v", path, body, err)
	}
	return v
}

func wantJSON(t *testing.T, got any, wantJSON string) {
	t.Helper()
	var want any
	if err := json.Unmarshal([]byte(wantJSON), &want); err != nil {
		t.Fatalf("bad want JSON: %v", err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %#v\nwant %s", got, wantJSON)
	}
}

func TestServer_SalesByStore(t *testing.T) {
	srv := newServer(t)
	t.Run("OKJSON", func(t *testing.T) {
		wantJSON(t, getJSON(t, srv, "/v1/reports/sales-by-store", http.StatusOK), `{"stores":[
			{"store_id":"s1","sales":3,"total_fen":600,"total_yuan":"6.00"},
			{"store_id":"s2","sales":3,"total_fen":800,"total_yuan":"8.00"}]}`)
	})
	t.Run("OKCSV", func(t *testing.T) {
		code, ctype, body := get(t, srv, "/v1/reports/sales-by-store?format=csv")
		want := "store_id,sales,total_fen,total_yuan\ns1,3,600,6.00\ns2,3,800,8.00\n"
		if code != http.StatusOK || !strings.HasPrefix(ctype, "text/csv") || body != want {
			t.Fatalf("CSV = %d %s %q, want 200 text/csv %q", code, ctype, body, want)
		}
	})
	t.Run("ErrFormat", func(t *testing.T) {
		wantJSON(t, getJSON(t, srv, "/v1/reports/sales-by-store?format=xml", http.StatusBadRequest),
			`{"error":{"code":"invalid","message":"format \"xml\": use json or csv"}}`)
	})
}

func TestServer_Sale(t *testing.T) {
	srv := newServer(t)
	t.Run("OKCardMasked", func(t *testing.T) {
		wantJSON(t, getJSON(t, srv, "/v1/sales/sale-a1-2", http.StatusOK), `{
			"sale_id":"sale-a1-2","agent_id":"a1","seq":2,"store_id":"s1","lane_id":"lane-1",
			"receipt_no":"R000002","total_fen":200,"member_card_masked":"************7890",
			"agent_wall_time":"2026-01-01T00:00:02Z","received_at":"2026-01-01T01:00:00Z",
			"lines":[{"line_no":1,"sku":"SKU-1","barcode":"6901234567892","name":"rice 1kg",
				"quantity_milli":1000,"unit_price_fen":200,"line_total_fen":200}]}`)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		wantJSON(t, getJSON(t, srv, "/v1/sales/nope", http.StatusNotFound),
			`{"error":{"code":"not_found","message":"sale \"nope\" not found"}}`)
	})
}

func TestServer_Agents(t *testing.T) {
	srv := newServer(t)
	wantJSON(t, getJSON(t, srv, "/v1/agents", http.StatusOK), `{"agents":[
		{"agent_id":"a1","store_id":"s1","events":3,"max_seq":3,"contiguous_through":3,"missing":0,
		 "last_received_at":"2026-01-01T01:00:00Z","max_clock_skew_ms":0},
		{"agent_id":"a2","store_id":"s2","events":4,"max_seq":6,"contiguous_through":2,"missing":2,
		 "last_received_at":"2026-01-01T01:00:00Z","max_clock_skew_ms":0}]}`)
}

func TestServer_Quarantine(t *testing.T) {
	srv := newServer(t)
	t.Run("OK", func(t *testing.T) {
		wantJSON(t, getJSON(t, srv, "/v1/quarantine?limit=5", http.StatusOK), `{"events":[
			{"agent_id":"a2","store_id":"s2","seq":6,"event_id":"ev-a2-6",
			 "reason":"bad_data: sale sale-a2-6: total_fen 1 but lines sum to 600",
			 "received_at":"2026-01-01T01:00:00Z"}]}`)
	})
	t.Run("ErrLimit", func(t *testing.T) {
		for _, q := range []string{"0", "x", "1001"} {
			getJSON(t, srv, "/v1/quarantine?limit="+q, http.StatusBadRequest)
		}
	})
}

func TestServer_ErrInternal(t *testing.T) {
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "central.db"), sqlite.Options{})
	if err != nil {
		t.Fatalf("sqlite.Open: %v", err)
	}
	if err := db.Close(); err != nil { // every read now fails inside the store
		t.Fatalf("Close: %v", err)
	}
	srv := httptest.NewServer(centralhttp.NewServer(db, nil))
	defer srv.Close()
	for _, path := range []string{"/v1/sales/x", "/v1/agents", "/v1/reports/sales-by-store", "/v1/quarantine"} {
		wantJSON(t, getJSON(t, srv, path, http.StatusInternalServerError),
			`{"error":{"code":"internal","message":"internal error"}}`)
	}
}

func TestServer_Healthz(t *testing.T) {
	wantJSON(t, getJSON(t, newServer(t), "/healthz", http.StatusOK), `{"status":"ok"}`)
}

func TestServer_Open(t *testing.T) {
	s := centralhttp.NewServer(nil, nil)
	if err := s.Open("127.0.0.1:0"); err != nil {
		t.Fatalf("Open: %v", err)
	}
	resp, err := http.Get("http://" + s.Addr() + "/healthz")
	if err != nil {
		t.Fatalf("GET healthz: %v", err)
	}
	if err := resp.Body.Close(); err != nil {
		t.Errorf("close body: %v", err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz status %d", resp.StatusCode)
	}
	if err := s.Close(context.Background()); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Open(s.Addr()); err != nil { // the port is free again
		t.Fatalf("reopen on %s: %v", s.Addr(), err)
	}
	if err := s.Close(context.Background()); err != nil {
		t.Fatalf("Close: %v", err)
	}
}
