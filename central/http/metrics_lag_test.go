package http_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	centralhttp "github.com/tillsync/tillsync/central/http"
	"github.com/tillsync/tillsync/central/sqlite"
	"github.com/tillsync/tillsync/central/storetest"
	"github.com/tillsync/tillsync/syncproto"
)

// parseExposition parses Prometheus text exposition (format 0.0.4) into
// series → value and metric name → type, failing the test on a sample
// line that does not parse, a sample without a preceding TYPE line, or a
// TYPE repeated for one name.
func parseExposition(t *testing.T, body string) (map[string]float64, map[string]string) {
	t.Helper()
	values, types := map[string]float64{}, map[string]string{}
	for i, line := range strings.Split(strings.TrimSuffix(body, "\n"), "\n") {
		if rest, ok := strings.CutPrefix(line, "# TYPE "); ok {
			name, typ, _ := strings.Cut(rest, " ")
			if _, dup := types[name]; dup {
				t.Errorf("line %d: TYPE of %s repeated", i+1, name)
			}
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
		series, raw := line[:sp], line[sp+1:]
		v, err := strconv.ParseFloat(raw, 64)
		if err != nil {
			t.Fatalf("line %d %q: value: %v", i+1, line, err)
		}
		name, _, _ := strings.Cut(series, "{")
		base := name
		for _, suffix := range []string{"_bucket", "_sum", "_count"} {
			if b, ok := strings.CutSuffix(name, suffix); ok && types[b] == "histogram" {
				base = b
			}
		}
		if types[base] == "" {
			t.Errorf("line %d %q: sample without a TYPE line", i+1, line)
		}
		values[series] = v
	}
	return values, types
}

// TestServer_Metrics_StoreLag: /metrics reports each store's lag behind
// central's clock, the events its agents numbered that central lacks, and
// the quarantine's size, from the database.
func TestServer_Metrics_StoreLag(t *testing.T) {
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "central.db"), sqlite.Options{})
	if err != nil {
		t.Fatalf("sqlite.Open: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("db Close: %v", err)
		}
	})
	ctx := context.Background()
	hourAgo, dayAgo := time.Now().Add(-time.Hour), time.Now().Add(-24*time.Hour)
	withBad := storetest.SaleBatch("s2", "a2", 5, 6)
	withBad.Events[1].GetSaleCommitted().TotalFen = 1 // a wrong total: quarantined
	for _, in := range []struct {
		b  *syncproto.Batch
		at time.Time
	}{
		{storetest.SaleBatch("s1", "a1", 1, 3), hourAgo},
		{storetest.SaleBatch("s1", "a9", 1, 1), dayAgo},
		{storetest.SaleBatch("s2", "a2", 1, 2), dayAgo},
		{withBad, dayAgo},
	} {
		if _, err := db.IngestBatch(ctx, in.b, in.at); err != nil {
			t.Fatalf("IngestBatch: %v", err)
		}
	}
	srv := httptest.NewServer(centralhttp.NewServer(db, nil))
	t.Cleanup(srv.Close)
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d %v", resp.StatusCode, err)
	}
	body := string(raw)
	values, types := parseExposition(t, body)
	for name, typ := range map[string]string{
		"tillsync_central_store_lag_seconds": "gauge", "tillsync_central_store_missing_events": "gauge",
		"tillsync_central_quarantined_events": "gauge",
	} {
		if types[name] != typ {
			t.Errorf("TYPE of %s = %q, want %q", name, types[name], typ)
		}
	}
	// s1's freshest agent (a1) sent an hour ago; s2 a day ago. The clock
	// only moves forward, so these are lower bounds, with an upper bound
	// far beyond any test's run time.
	for store, want := range map[string]float64{"s1": 3600, "s2": 24 * 3600} {
		got := values[`tillsync_central_store_lag_seconds{store="`+store+`"}`]
		if got < want || got > want+3600 {
			t.Errorf("lag of %s = %v s, want about %v s:\n%s", store, got, want, body)
		}
	}
	for series, want := range map[string]float64{
		`tillsync_central_store_missing_events{store="s1"}`: 0,
		`tillsync_central_store_missing_events{store="s2"}`: 2, // seqs 3 and 4
		`tillsync_central_quarantined_events`:               1,
	} {
		if got, ok := values[series]; !ok || got != want {
			t.Errorf("%s = %v (present %v), want %v", series, got, ok, want)
		}
	}
}
