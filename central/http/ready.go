package http

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// SubscribedMetric is the gauge, among the samples SetMetrics installs,
// that says whether this instance's ingester is connected to the broker
// and subscribed (1) or not (0). /readyz reads it.
const SubscribedMetric = "tillsync_central_subscribed"

// readyTimeout bounds the database check of one /readyz request.
const readyTimeout = 2 * time.Second

// readyResponse is the /readyz answer: Status "ready" with 200, or
// "not_ready" with 503 and Reason naming the first check that failed.
// Checks holds each check's outcome ("ok" or what went wrong).
type readyResponse struct {
	Status string            `json:"status"`
	Reason string            `json:"reason,omitempty"`
	Checks map[string]string `json:"checks"`
}

// handleReady answers 200 when this instance can do its job: the database
// answers a cheap query, and the ingester (installed with SetMetrics) is
// connected to the broker and subscribed, so batches reach it and acks
// leave it. Otherwise it answers 503 with the reason. A load balancer or
// orchestrator should route to and wait for /readyz; /healthz only says
// the process serves HTTP.
func (s *Server) handleReady(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	out := readyResponse{Status: "ready", Checks: map[string]string{}}
	fail := func(check string, err error) {
		out.Checks[check] = err.Error()
		if out.Reason == "" {
			out.Status, out.Reason = "not_ready", fmt.Sprintf("%s: %v", check, err)
		}
	}
	// The presence table holds one row per agent: the cheapest read the
	// Reader offers, and it goes through the same pool as every query.
	if _, err := s.store.Presence(ctx); err != nil {
		fail("database", err)
	} else {
		out.Checks["database"] = "ok"
	}
	if err := s.ingestReady(); err != nil {
		fail("ingest", err)
	} else {
		out.Checks["ingest"] = "ok"
	}
	if out.Reason != "" {
		s.logger.Debug("not ready", "reason", out.Reason)
		s.writeJSON(w, http.StatusServiceUnavailable, out)
		return
	}
	s.writeJSON(w, http.StatusOK, out)
}

// ingestReady reports why the ingester cannot take batches, or nil. Before
// SetMetrics no ingester runs yet (central opens its API first); samples
// without SubscribedMetric carry no connection state, which then counts
// as ready.
func (s *Server) ingestReady() error {
	f := s.metrics.Load()
	if f == nil {
		return errors.New("ingester not started")
	}
	for _, m := range (*f)() {
		if m.Name == SubscribedMetric {
			if m.Value != 1 {
				return errors.New("not connected to the broker or not subscribed")
			}
			return nil
		}
	}
	return nil
}
