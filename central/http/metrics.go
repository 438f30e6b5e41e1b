package http

import (
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
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
