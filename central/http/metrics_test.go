package http_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tillsync/tillsync/central"
	centralhttp "github.com/tillsync/tillsync/central/http"
	"github.com/tillsync/tillsync/central/sqlite"
)

func TestServer_Metrics(t *testing.T) {
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "central.db"), sqlite.Options{})
	if err != nil {
		t.Fatalf("sqlite.Open: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("db Close: %v", err)
		}
	})
	for _, p := range []central.Presence{
		{StoreID: "s1", AgentID: "a1", Session: 1, Online: true, LastSeen: receivedAt, OutboxDepth: 7},
		{StoreID: "s2", AgentID: "a2", Session: 1, Online: false, LastSeen: receivedAt, OutboxDepth: 2},
	} {
		if _, err := db.RecordPresence(context.Background(), p); err != nil {
			t.Fatal(err)
		}
	}
	api := centralhttp.NewServer(db, nil)
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	scrape := func() string {
		resp, err := http.Get(srv.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
			t.Fatalf("GET /metrics: %d %v %s", resp.StatusCode, err, body)
		}
		return string(body)
	}
	body := scrape()
	for _, want := range []string{
		"# TYPE tillsync_central_agents gauge\n",
		`tillsync_central_agents{state="online"} 1` + "\n",
		`tillsync_central_agents{state="offline"} 1` + "\n",
		"tillsync_central_agents_outbox_depth 9\n",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q:\n%s", want, body)
		}
	}
	if strings.Count(body, "# TYPE tillsync_central_agents gauge") != 1 {
		t.Errorf("a metric's TYPE line is repeated:\n%s", body)
	}
	api.SetMetrics(func() []centralhttp.Sample {
		return []centralhttp.Sample{{Name: "tillsync_central_events_total", Help: "h", Type: "counter", Labels: `{result="applied"}`, Value: 42}}
	})
	if body := scrape(); !strings.Contains(body, `tillsync_central_events_total{result="applied"} 42`) {
		t.Errorf("installed samples missing:\n%s", body)
	}
}
