package http

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/tillsync/tillsync/central"
)

// Reader is what the API reads from central's database.
type Reader interface {
	Sale(ctx context.Context, id string) (*central.Sale, error)
	SalesByStore(ctx context.Context) ([]central.StoreSales, error)
	Agents(ctx context.Context) ([]central.AgentSync, error)
	Quarantined(ctx context.Context, limit int) ([]central.QuarantinedEvent, error)
	Presence(ctx context.Context) ([]central.Presence, error)
}

// Server serves the HQ API. It is an http.Handler; Open also serves it on
// a TCP address.
type Server struct {
	store  Reader
	logger *slog.Logger
	mux    *http.ServeMux
	srv    *http.Server
	addr   string
	// metrics is what SetMetrics installed.
	metrics metricsSource
	// dash is the HQ dashboard; nil when it is off (EnableDashboard).
	dash *dashboard
	// reports is the state of the /v1/reports routes (reports.go).
	reports *reportRoutes
	// products caches the customers page's best sellers per run.
	products *productsCache
}

// NewServer returns a Server reading from store; logger receives internal
// errors (nil discards them). The HQ dashboard is off until
// EnableDashboard.
func NewServer(store Reader, logger *slog.Logger) *Server {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{store: store, logger: logger.With("component", "http"), mux: http.NewServeMux(),
		products: newProductsCache(store)}
	s.mux.HandleFunc("GET /healthz", s.handleHealthz)
	s.mux.HandleFunc("GET /v1/reports/sales-by-store", s.handleSalesByStore)
	s.mux.HandleFunc("GET /v1/sales/{id}", s.handleSale)
	s.mux.HandleFunc("GET /v1/agents", s.handleAgents)
	s.mux.HandleFunc("GET /v1/quarantine", s.handleQuarantine)
	s.mux.HandleFunc("GET /v1/stores", s.handleStores)
	s.mux.HandleFunc("GET /metrics", s.handleMetrics)
	s.mux.HandleFunc("GET /readyz", s.handleReady)
	s.routeMembers()
	s.routeReports()
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Open listens on addr (port 0 picks a free port) and serves in the
// background until Close.
func (s *Server) Open(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("http listen on %s: %w", addr, err)
	}
	s.addr = ln.Addr().String()
	s.srv = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second, // a stalled client cannot hold a connection open forever
		ErrorLog:          slog.NewLogLogger(s.logger.Handler(), slog.LevelWarn),
	}
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.logger.Error("http serve", "addr", s.addr, "err", err)
		}
	}()
	return nil
}

// Addr returns the address Open listens on, with the actual port.
func (s *Server) Addr() string { return s.addr }

// Close stops listening and waits for requests in progress until ctx ends.
func (s *Server) Close(ctx context.Context) error {
	if s.srv == nil {
		return nil
	}
	if err := s.srv.Shutdown(ctx); err != nil {
		return fmt.Errorf("http shutdown on %s: %w", s.addr, err)
	}
	return nil
}
