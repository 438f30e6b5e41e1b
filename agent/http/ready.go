package http

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/tillsync/tillsync/agent"
)

// readyTimeout bounds the checks of one /readyz request: a ledger that
// cannot answer a read within it is not ready to commit a sale either.
const readyTimeout = 2 * time.Second

// readyResponse is the /readyz answer: Status "ready" with 200, or
// "not_ready" with 503 and Reason naming the first check that failed.
// Checks holds each check's outcome ("ok" or what went wrong).
type readyResponse struct {
	Status string            `json:"status"`
	Reason string            `json:"reason,omitempty"`
	Checks map[string]string `json:"checks"`
	// Connected is informational: the agent sells without central, so
	// the link to it is no part of readiness.
	Connected bool `json:"connected"`
}

// handleReady answers 200 when the agent can take a sale: the ledger
// answers a read (it is open and not wedged), and, when the till API is
// served, a loyalty policy is loaded (without one the till refuses every
// basket with 503 unavailable). Otherwise it answers 503 with the reason.
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
	st, err := s.service.Status(ctx)
	if err != nil {
		fail("ledger", err)
	} else {
		out.Checks["ledger"] = "ok"
		out.Connected = st.Connected
	}
	if s.till != nil {
		if err := policyLoaded(ctx, s.till.Store); err != nil {
			fail("policy", err)
		} else {
			out.Checks["policy"] = "ok"
		}
	}
	if out.Reason != "" {
		s.logger.Debug("not ready", "reason", out.Reason)
		writeJSON(w, http.StatusServiceUnavailable, out)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// policyLoaded returns nil when store holds a loyalty policy.
func policyLoaded(ctx context.Context, store agent.Policies) error {
	_, err := store.CurrentPolicy(ctx)
	if agent.ErrorCode(err) == agent.EUNAVAILABLE {
		return errors.New("no loyalty policy loaded: publish one from central or run `tillsync-agent policy load`")
	}
	return err
}
