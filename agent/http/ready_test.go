package http_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tillsync/tillsync/agent"
	"github.com/tillsync/tillsync/agent/bolt"
	agenthttp "github.com/tillsync/tillsync/agent/http"
	"github.com/tillsync/tillsync/agent/importfile"
)

func TestServer_Ready(t *testing.T) {
	ctx := context.Background()
	ledger, err := bolt.Open(filepath.Join(t.TempDir(), "ledger.db"), bolt.Options{StoreID: "s1", AgentID: "a1"})
	if err != nil {
		t.Fatal(err)
	}
	svc := &agent.Service{StoreID: "s1", AgentID: "a1", Ledger: ledger, Now: time.Now}
	till := &agent.Till{StoreID: "s1", Store: ledger, Now: time.Now}
	srv := httptest.NewServer(agenthttp.NewServer(svc, till, agenthttp.NewHub(), nil).Handler())
	t.Cleanup(srv.Close)

	t.Run("ErrNoPolicy", func(t *testing.T) {
		code, got := do(t, "GET", srv.URL+"/readyz", "")
		if code != http.StatusServiceUnavailable || got["status"] != "not_ready" || !strings.Contains(got["reason"].(string), "no loyalty policy loaded") {
			t.Errorf("readyz = %d %v, want 503 for the policy", code, got)
		}
	})
	t.Run("OK", func(t *testing.T) {
		f, err := os.Open(filepath.Join("..", "..", "configs", "policy.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		p, err := importfile.ParsePolicyYAML(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := ledger.SetPolicy(ctx, p); err != nil {
			t.Fatal(err)
		}
		code, got := do(t, "GET", srv.URL+"/readyz", "")
		checks, _ := got["checks"].(map[string]any)
		if code != http.StatusOK || got["status"] != "ready" || checks["ledger"] != "ok" || checks["policy"] != "ok" || got["connected"] != false {
			t.Errorf("readyz = %d %v, want 200 ready", code, got)
		}
	})
	t.Run("ErrLedgerClosed", func(t *testing.T) {
		if err := ledger.Close(); err != nil {
			t.Fatal(err)
		}
		code, got := do(t, "GET", srv.URL+"/readyz", "")
		if code != http.StatusServiceUnavailable || !strings.HasPrefix(got["reason"].(string), "ledger: ") {
			t.Errorf("readyz = %d %v, want 503 for the ledger", code, got)
		}
		if code, _ := do(t, "GET", srv.URL+"/healthz", ""); code != http.StatusOK {
			t.Errorf("healthz = %d with the ledger closed, want 200 (liveness only)", code)
		}
	})
}

// TestServer_Ready_NoTill: without the till API (sales only through
// POST /v1/sales, which needs no policy) an open ledger is ready.
func TestServer_Ready_NoTill(t *testing.T) {
	srv, _ := newTestServer(t)
	if code, got := do(t, "GET", srv.URL+"/readyz", ""); code != http.StatusOK || got["status"] != "ready" {
		t.Errorf("readyz = %d %v, want 200", code, got)
	}
}
