package http_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tillsync/tillsync/agent"
	"github.com/tillsync/tillsync/agent/bolt"
	agenthttp "github.com/tillsync/tillsync/agent/http"
)

// scrapeSeries GETs /metrics and parses the Prometheus text exposition
// (format 0.0.4) into series → value, failing on a sample line that does
// not parse or comes before its metric's TYPE line.
func scrapeSeries(t *testing.T, url string) (map[string]float64, map[string]string) {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d %v", resp.StatusCode, err)
	}
	values, types := map[string]float64{}, map[string]string{}
	for i, line := range strings.Split(strings.TrimSuffix(string(body), "\n"), "\n") {
		if rest, ok := strings.CutPrefix(line, "# TYPE "); ok {
			name, typ, _ := strings.Cut(rest, " ")
			types[name] = typ
			continue
		}
		if strings.HasPrefix(line, "#") {
			continue
		}
		sp := strings.LastIndexByte(line, ' ')
		if sp < 0 {
			t.Fatalf("line %d %q: no value", i+1, line)
		}
		v, err := strconv.ParseFloat(line[sp+1:], 64)
		if err != nil {
			t.Fatalf("line %d %q: %v", i+1, line, err)
		}
		name, _, _ := strings.Cut(line[:sp], "{")
		base := name
		for _, suffix := range []string{"_bucket", "_sum", "_count"} {
			if b, ok := strings.CutSuffix(name, suffix); ok && types[b] == "histogram" {
				base = b
			}
		}
		if types[base] == "" {
			t.Errorf("line %d %q: sample before its TYPE line", i+1, line)
		}
		values[line[:sp]] = v
	}
	return values, types
}

func TestHistogram_Observe(t *testing.T) {
	h := agenthttp.NewHistogram([]time.Duration{10 * time.Millisecond, time.Millisecond, 100 * time.Millisecond})
	for _, d := range []time.Duration{500 * time.Microsecond, time.Millisecond, 7 * time.Millisecond, 2 * time.Second} {
		h.Observe(d)
	}
	values, types := scrapeSeries(t, newTestServerWithLatency(t, h))
	const name = "tillsync_sale_commit_duration_seconds"
	if types[name] != "histogram" {
		t.Fatalf("TYPE of %s = %q", name, types[name])
	}
	// Buckets are cumulative and "less than or equal": 1 ms falls in le="0.001".
	for series, want := range map[string]float64{
		name + `_bucket{le="0.001"}`: 2,
		name + `_bucket{le="0.01"}`:  3,
		name + `_bucket{le="0.1"}`:   3,
		name + `_bucket{le="+Inf"}`:  4,
		name + `_count`:              4,
		name + `_sum`:                2.0085,
	} {
		if got, ok := values[series]; !ok || got != want {
			t.Errorf("%s = %v (present %v), want %v", series, got, ok, want)
		}
	}
}

// newTestServerWithLatency serves the API over a real ledger with h
// installed as the commit latency histogram, and returns its URL.
func newTestServerWithLatency(t *testing.T, h *agenthttp.Histogram) string {
	t.Helper()
	ledger, err := bolt.Open(filepath.Join(t.TempDir(), "ledger.db"), bolt.Options{StoreID: "s1", AgentID: "a1"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := ledger.Close(); err != nil {
			t.Error(err)
		}
	})
	api := agenthttp.NewServer(&agent.Service{StoreID: "s1", AgentID: "a1", Ledger: ledger, Now: time.Now}, nil, nil, nil)
	api.SetCommitLatency(h)
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(srv.Close)
	return srv.URL
}
