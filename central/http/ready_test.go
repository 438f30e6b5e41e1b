package http_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	centralhttp "github.com/tillsync/tillsync/central/http"
	"github.com/tillsync/tillsync/central/sqlite"
)

func readyz(t *testing.T, srv *httptest.Server) (int, map[string]any) {
	t.Helper()
	code, ctype, body := get(t, srv, "/readyz")
	if ctype != "application/json" {
		t.Fatalf("GET /readyz: content type %q", ctype)
	}
	var out map[string]any
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		t.Fatalf("GET /readyz: bad JSON %q: %v", body, err)
	}
	return code, out
}

func subscribed(v int64) func() []centralhttp.Sample {
	return func() []centralhttp.Sample {
		return []centralhttp.Sample{{Name: centralhttp.SubscribedMetric, Help: "h", Type: "gauge", Value: v}}
	}
}

func TestServer_Ready(t *testing.T) {
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "central.db"), sqlite.Options{})
	if err != nil {
		t.Fatalf("sqlite.Open: %v", err)
	}
	api := centralhttp.NewServer(db, nil)
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)

	t.Run("ErrIngesterNotStarted", func(t *testing.T) {
		code, out := readyz(t, srv)
		if code != http.StatusServiceUnavailable || out["status"] != "not_ready" || !strings.HasPrefix(out["reason"].(string), "ingest: ") {
			t.Errorf("readyz = %d %v, want 503 for the ingester", code, out)
		}
	})
	t.Run("ErrNotSubscribed", func(t *testing.T) {
		api.SetMetrics(subscribed(0))
		code, out := readyz(t, srv)
		if code != http.StatusServiceUnavailable || !strings.Contains(out["reason"].(string), "not connected to the broker") {
			t.Errorf("readyz = %d %v, want 503 not connected", code, out)
		}
	})
	t.Run("OK", func(t *testing.T) {
		api.SetMetrics(subscribed(1))
		code, out := readyz(t, srv)
		checks, _ := out["checks"].(map[string]any)
		if code != http.StatusOK || out["status"] != "ready" || checks["database"] != "ok" || checks["ingest"] != "ok" {
			t.Errorf("readyz = %d %v, want 200 ready", code, out)
		}
	})
	t.Run("ErrDatabaseClosed", func(t *testing.T) {
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		code, out := readyz(t, srv)
		if code != http.StatusServiceUnavailable || !strings.HasPrefix(out["reason"].(string), "database: ") {
			t.Errorf("readyz = %d %v, want 503 for the database", code, out)
		}
		if code, _, _ := get(t, srv, "/healthz"); code != http.StatusOK {
			t.Errorf("healthz = %d with the database closed, want 200 (liveness only)", code)
		}
	})
}
