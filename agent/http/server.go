package http

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/tillsync/tillsync/agent"
)

// maxBodyBytes bounds a request body; a 500-line sale is far below it.
const maxBodyBytes = 1 << 20

// Server serves the local API. Create it with NewServer, then call Open.
type Server struct {
	service *agent.Service
	till    *agent.Till
	hub     *Hub
	devices DeviceLister
	logger  *slog.Logger
	ln      net.Listener
	srv     *http.Server
	// commitLatency is what SetCommitLatency installed; nil leaves it out of /metrics.
	commitLatency *Histogram
}

// NewServer returns a server for service and till; till's lane events
// should be published to hub. Till and hub may be nil (no till routes);
// logger may be nil.
func NewServer(service *agent.Service, till *agent.Till, hub *Hub, logger *slog.Logger) *Server {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{service: service, till: till, hub: hub, logger: logger}
	s.srv = &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	return s
}

// Handler returns the API's routes.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/sales", s.handleRecordSale)
	mux.HandleFunc("GET /v1/sales/{id}", s.handleGetSale)
	mux.HandleFunc("GET /v1/status", s.handleStatus)
	mux.HandleFunc("GET /v1/devices", s.handleDevices)
	mux.HandleFunc("GET /metrics", s.handleMetrics)
	mux.HandleFunc("GET /readyz", s.handleReady)
	if s.till != nil && s.hub != nil {
		s.tillRoutes(mux)
		s.tillScreenRoutes(mux)
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	return mux
}

// Open listens on addr ("127.0.0.1:0" picks a free port) and serves in the
// background. A taken address is an error naming it.
func (s *Server) Open(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("api listen %s: %w", addr, err)
	}
	s.ln = ln
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.logger.Error("api server stopped", "err", err)
		}
	}()
	return nil
}

// Addr returns the address the server listens on, or "" before Open.
func (s *Server) Addr() string {
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// Close stops accepting requests and waits up to five seconds for the ones
// in progress (a sale being committed finishes its commit).
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil {
		return fmt.Errorf("api shutdown: %w", err)
	}
	return nil
}
