package http

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

// Sample is one Prometheus series central exposes on /metrics: a counter
// or gauge with an optional label set, e.g. `{reason="bad_signature"}`.
type Sample struct {
	Name, Help, Type string // Type is "counter" or "gauge"
	Labels           string
	Value            int64
}

// SetMetrics installs what /metrics reports besides the database gauges:
// the running ingester's counters. It is safe to call at any time; until
// it is called /metrics reports the database gauges only.
func (s *Server) SetMetrics(f func() []Sample) { s.metrics.Store(&f) }

// metricsSource holds the function SetMetrics installed.
type metricsSource = atomic.Pointer[func() []Sample]

// handleMetrics serves central's counters and gauges in the Prometheus text
// exposition format (version 0.0.4), written directly: a few dozen series
// do not need a client library.
func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	presence, err := s.store.Presence(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var online, offline, depth int64
	for _, p := range presence {
		if p.Online {
			online++
		} else {
			offline++
		}
		depth += int64(p.OutboxDepth)
	}
	samples := []Sample{
		{Name: "tillsync_central_agents", Help: "Agents by their last presence message.", Type: "gauge", Labels: `{state="online"}`, Value: online},
		{Name: "tillsync_central_agents", Help: "Agents by their last presence message.", Type: "gauge", Labels: `{state="offline"}`, Value: offline},
		{Name: "tillsync_central_agents_outbox_depth", Help: "Events the agents reported unsynced in their last presence, summed.", Type: "gauge", Value: depth},
	}
	lag, err := s.storeLagSamples(r.Context(), time.Now())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	samples = append(samples, lag...)
	if f := s.metrics.Load(); f != nil {
		samples = append(samples, (*f)()...)
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	if _, err := fmt.Fprint(w, renderSamples(samples)); err != nil {
		s.logger.Warn("write metrics", "err", err)
	}
}

// renderSamples writes samples, one HELP and TYPE line per metric name
// (samples of one name must be adjacent).
func renderSamples(samples []Sample) string {
	var b strings.Builder
	last := ""
	for _, m := range samples {
		if m.Name != last {
			fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s %s\n", m.Name, m.Help, m.Name, m.Type)
			last = m.Name
		}
		fmt.Fprintf(&b, "%s%s %d\n", m.Name, m.Labels, m.Value)
	}
	return b.String()
}

// quarantineCountLimit bounds how many quarantined events /metrics reads
// to count them; the gauge shows the limit when more are held. Quarantine
// is meant to stay near empty (replay clears it), so the bound is never
// met by a chain whose operators watch this gauge.
const quarantineCountLimit = 100_000

// storeLagSamples returns the per-store sync gauges from central's own
// database, so every instance sharing it reports the same values
// (DESIGN §7): seconds since central last stored a batch from each store,
// the events its agents numbered below their highest seq that central
// does not hold yet (they fill in when the agent resends), and the number
// of quarantined events. It reads every agent's coverage, the same query
// as GET /v1/agents.
func (s *Server) storeLagSamples(ctx context.Context, now time.Time) ([]Sample, error) {
	agents, err := s.store.Agents(ctx)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	const lagHelp = "Seconds since central last stored a batch from the store (it grows while the store is cut off, or idle)."
	const missingHelp = "Events the store's agents numbered below their highest seq that central does not hold yet."
	var lag, missing []Sample
	index := map[string]int{} // store → its position in lag and missing
	for _, a := range agents {
		labels := fmt.Sprintf("{store=%q}", a.StoreID)
		secs := max(int64(now.Sub(a.LastReceivedAt)/time.Second), 0)
		gap := max(int64(a.MaxSeq)-a.Events, 0)
		if i, ok := index[a.StoreID]; ok {
			lag[i].Value = min(lag[i].Value, secs) // the store's freshest agent
			missing[i].Value += gap
			continue
		}
		index[a.StoreID] = len(lag)
		lag = append(lag, Sample{Name: "tillsync_central_store_lag_seconds", Help: lagHelp, Type: "gauge", Labels: labels, Value: secs})
		missing = append(missing, Sample{Name: "tillsync_central_store_missing_events", Help: missingHelp, Type: "gauge", Labels: labels, Value: gap})
	}
	q, err := s.store.Quarantined(ctx, quarantineCountLimit)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	out := append(lag, missing...)
	return append(out, Sample{Name: "tillsync_central_quarantined_events",
		Help: "Events held in quarantine (not applied) until replayed; counted up to 100000.", Type: "gauge", Value: int64(len(q))}), nil
}
