package e2e

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestOps_SIGTERMWhileSelling sends SIGTERM to the agent, as systemd stop
// does, while three lanes post sales. Each stop must be graceful (exit 0,
// within the unit's TimeoutStopSec), every sale the API answered 201 for
// must be in the ledger after the restart, and in the end every sale is
// at central exactly once.
func TestOps_SIGTERMWhileSelling(t *testing.T) {
	rounds := 5
	if testing.Short() {
		rounds = 2
	}
	dir := t.TempDir()
	c := startCentral(t, centralOpts{dir: dir})
	waitFor(t, time.Minute, "central to be ready", func() bool { return ready(c.http) })
	a := newOpsAgent(t, dir, c.brokerURL)
	book := newBook()
	for i := 0; i < rounds; i++ {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			opsSellUntil(ctx, t, a.api, 3, book)
		}()
		time.Sleep(time.Duration(300+rand.IntN(700)) * time.Millisecond)
		a.terminate(t)
		cancel()
		<-done
		a.launch(t)
		opsCheckLedger(t, a, book)
	}
	book.settleUncertain(t, a.api)
	n, _ := book.total()
	t.Logf("%d SIGTERMs, %d sales confirmed", rounds, n)
	checkExactlyOnce(t, c, a, book)
}

// TestOps_MetricsThroughOutage scrapes the agent's /metrics while central
// (and with it the embedded broker) is down: the outbox depth rises and
// the oldest unsynced age is above zero while the agent keeps selling and
// stays ready; after central is back both return to 0.
func TestOps_MetricsThroughOutage(t *testing.T) {
	dir := t.TempDir()
	c := startCentral(t, centralOpts{dir: dir})
	a := newOpsAgent(t, dir, c.brokerURL)
	book := newBook()
	sellN(t, a.api, 20, book)
	waitFor(t, syncTimeout, "outbox to drain before the outage", func() bool {
		m := scrapeMetrics(t, a.api)
		return m["tillsync_outbox_depth"] == 0 && m["tillsync_uplink_connected"] == 1
	})

	c.kill(t)
	waitFor(t, time.Minute, "agent to notice central is gone", func() bool {
		return scrapeMetrics(t, a.api)["tillsync_uplink_connected"] == 0
	})
	sellN(t, a.api, 30, book)
	// The age gauge counts whole seconds: it is above 0 once the oldest
	// unsynced sale is a second old.
	waitFor(t, time.Minute, "oldest unsynced age to pass 0", func() bool {
		return scrapeMetrics(t, a.api)["tillsync_outbox_oldest_age_seconds"] > 0
	})
	down := scrapeMetrics(t, a.api)
	if down["tillsync_outbox_depth"] < 30 {
		t.Errorf("outbox depth while central is down = %v, want at least the 30 sales made meanwhile", down["tillsync_outbox_depth"])
	}
	if !ready(a.api) {
		t.Errorf("agent not ready while central is down: it sells offline, so it must stay ready")
	}
	t.Logf("while down: depth %v, oldest age %v s", down["tillsync_outbox_depth"], down["tillsync_outbox_oldest_age_seconds"])

	back := time.Now()
	c.restart(t, dir)
	waitFor(t, syncTimeout, "outbox to drain after central is back", func() bool {
		m := scrapeMetrics(t, a.api)
		return m["tillsync_outbox_depth"] == 0 && m["tillsync_outbox_oldest_age_seconds"] == 0 && m["tillsync_uplink_connected"] == 1
	})
	t.Logf("outbox of %v drained %v after central restarted", down["tillsync_outbox_depth"], time.Since(back).Round(time.Millisecond))
	waitFor(t, time.Minute, "central to be ready again", func() bool { return ready(c.http) })
	checkExactlyOnce(t, c, a, book)
	opsLogCommitLatency(t, scrapeMetrics(t, a.api))
}

// newOpsAgent starts an agent whose ledger holds the example catalog,
// members and policy, so that /readyz can answer 200.
func newOpsAgent(t *testing.T, dir, brokerURL string) *agentProc {
	t.Helper()
	addr := freeAddr(t)
	a := &agentProc{api: "http://" + addr, storeID: "store-1", agentID: "store-1-a1", dir: dir,
		env: agentEnv(dir, "store-1", "store-1-a1", addr, brokerURL)}
	a.loadExamples(t)
	a.launch(t)
	waitFor(t, time.Minute, "agent to be ready", func() bool { return ready(a.api) })
	return a
}

// terminate sends SIGTERM and waits for a clean exit within 30 s, the
// TimeoutStopSec of configs/tillsync-agent.service.
func (a *agentProc) terminate(t *testing.T) {
	t.Helper()
	if err := a.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM %s: %v", a.name, err)
	}
	select {
	case <-a.done:
	case <-time.After(30 * time.Second):
		a.kill(t)
		t.Fatalf("%s did not stop within 30s of SIGTERM", a.name)
	}
	if code := a.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("%s exited with %d after SIGTERM, want 0 (a graceful stop)", a.name, code)
	}
}

// opsSellUntil posts sales from lanes concurrent clients until ctx ends;
// a lane stops at its first unanswered request (the agent is stopping),
// so that a stop does not turn into a storm of refused connections.
func opsSellUntil(ctx context.Context, t *testing.T, api string, lanes int, book *ledgerBook) {
	var wg sync.WaitGroup
	for l := 1; l <= lanes; l++ {
		wg.Add(1)
		go func(lane string) {
			defer wg.Done()
			for ctx.Err() == nil {
				s := newSale(t, lane)
				o := postSale(ctx, t, api, s)
				book.record(s, o)
				if o != confirmed {
					return
				}
			}
		}(fmt.Sprintf("lane-%d", l))
	}
	wg.Wait()
}

// opsCheckLedger checks that the restarted agent holds every sale it had
// confirmed, with the total it answered.
func opsCheckLedger(t *testing.T, a *agentProc, book *ledgerBook) {
	t.Helper()
	book.mu.Lock()
	defer book.mu.Unlock()
	for id, s := range book.confirmed {
		var got struct {
			TotalFen int64 `json:"total_fen"`
		}
		if code, err := getJSON(a.api+"/v1/sales/"+id, &got); err != nil || code != http.StatusOK || got.TotalFen != s.TotalFen {
			t.Errorf("confirmed sale %s after SIGTERM and restart: %d %v total %d, want total %d", id, code, err, got.TotalFen, s.TotalFen)
		}
	}
}

// ready reports whether GET base/readyz answers 200.
func ready(base string) bool {
	code, err := getJSON(base+"/readyz", nil)
	return err == nil && code == http.StatusOK
}

// scrapeMetrics GETs base/metrics and parses the Prometheus text format
// into series (name with labels) → value.
func scrapeMetrics(t *testing.T, base string) map[string]float64 {
	t.Helper()
	resp, err := httpClient.Get(base + "/metrics")
	if err != nil {
		t.Fatalf("GET %s/metrics: %v", base, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s/metrics: %d %v", base, resp.StatusCode, err)
	}
	out := map[string]float64{}
	for _, line := range strings.Split(string(body), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		sp := strings.LastIndexByte(line, ' ')
		if sp < 0 {
			t.Fatalf("metrics line %q has no value", line)
		}
		v, err := strconv.ParseFloat(line[sp+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q does not parse: %v", line, err)
		}
		out[line[:sp]] = v
	}
	return out
}

// opsLogCommitLatency logs the commit latency histogram's count, mean and
// the bucket bounds under which half and 99 % of the commits fell.
func opsLogCommitLatency(t *testing.T, m map[string]float64) {
	const name = "tillsync_sale_commit_duration_seconds"
	count := m[name+"_count"]
	if count == 0 {
		t.Errorf("%s_count = 0 after the test's sales", name)
		return
	}
	type bucket struct{ le, n float64 }
	var buckets []bucket
	for series, v := range m {
		if rest, ok := strings.CutPrefix(series, name+`_bucket{le="`); ok {
			le := math.Inf(1)
			if s := strings.TrimSuffix(rest, `"}`); s != "+Inf" {
				le, _ = strconv.ParseFloat(s, 64)
			}
			buckets = append(buckets, bucket{le, v})
		}
	}
	sort.Slice(buckets, func(i, j int) bool { return buckets[i].le < buckets[j].le })
	quantile := func(q float64) float64 {
		for _, b := range buckets {
			if b.n >= q*count {
				return b.le
			}
		}
		return math.Inf(1)
	}
	t.Logf("sale commits: %v, mean %.2f ms, p50 ≤ %v s, p99 ≤ %v s", count, 1000*m[name+"_sum"]/count, quantile(0.5), quantile(0.99))
}
