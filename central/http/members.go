package http

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/tillsync/tillsync/central"
)

// PointsReader is what the member points API reads. The store given to
// NewServer serves it when it implements it (every central.Store does);
// otherwise the routes answer unavailable.
type PointsReader interface {
	Balance(ctx context.Context, card string, now time.Time) (central.Balance, error)
	Debtors(ctx context.Context, limit int) ([]central.Debtor, error)
	OverdraftFlags(ctx context.Context, limit int) ([]central.OverdraftFlag, error)
}

// maxPointsLimit bounds ?limit= of the points listings.
const maxPointsLimit = 1000

// routeMembers registers the member points routes. Answers carry card
// numbers masked (DESIGN §3 privacy); the caller of the balance route
// already knows the full one. With the dashboard on they need a dashboard
// session (401 without); with it off they are the localhost API.
func (s *Server) routeMembers() {
	s.mux.HandleFunc("GET /v1/cards/{card}/balance", s.requireSession(s.handleBalance))
	s.mux.HandleFunc("GET /v1/debtors", s.requireSession(s.handleDebtors))
	s.mux.HandleFunc("GET /v1/overdrafts", s.requireSession(s.handleOverdrafts))
}

type balanceJSON struct {
	Card      string    `json:"card"`
	MemberID  string    `json:"member_id"`
	Total     int64     `json:"total"`
	Available int64     `json:"available"`
	Pending   int64     `json:"pending"`
	Debt      int64     `json:"debt"`
	Entries   int64     `json:"entries"`
	AsOf      time.Time `json:"as_of"`
}

type debtorJSON struct {
	Card     string `json:"card"`
	MemberID string `json:"member_id"`
	Balance  int64  `json:"balance"`
	Debt     int64  `json:"debt"`
}

type overdraftJSON struct {
	EntryID      string    `json:"entry_id"`
	Card         string    `json:"card"`
	SaleID       string    `json:"sale_id"`
	StoreID      string    `json:"store_id"`
	AgentID      string    `json:"agent_id"`
	Points       int64     `json:"points"`
	BalanceAfter int64     `json:"balance_after"`
	FlaggedAt    time.Time `json:"flagged_at"`
}

func (s *Server) points(w http.ResponseWriter, r *http.Request) (PointsReader, bool) {
	p, ok := s.store.(PointsReader)
	if !ok {
		s.writeError(w, r, central.Errorf(central.EUNAVAILABLE, "this store keeps no points ledger"))
	}
	return p, ok
}

// handleBalance answers a card's balance now, or as of ?at= (RFC 3339),
// which shows when pending points become available.
func (s *Server) handleBalance(w http.ResponseWriter, r *http.Request) {
	p, ok := s.points(w, r)
	if !ok {
		return
	}
	now := time.Now()
	if v := r.URL.Query().Get("at"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			s.writeError(w, r, central.Errorf(central.EINVALID, "at %q: use RFC 3339, e.g. 2026-03-01T10:00:00Z", v))
			return
		}
		now = t
	}
	b, err := p.Balance(r.Context(), r.PathValue("card"), now)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, balanceJSON{central.MaskCard(b.Card), b.MemberID, b.Total, b.Available,
		b.Pending, b.Debt, b.Entries, b.AsOf})
}

func (s *Server) handleDebtors(w http.ResponseWriter, r *http.Request) {
	p, ok := s.points(w, r)
	if !ok {
		return
	}
	limit, ok := s.limit(w, r)
	if !ok {
		return
	}
	rows, err := p.Debtors(r.Context(), limit)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := struct {
		Debtors []debtorJSON `json:"debtors"`
	}{Debtors: []debtorJSON{}}
	for _, d := range rows {
		out.Debtors = append(out.Debtors, debtorJSON{central.MaskCard(d.Card), d.MemberID, d.Balance, d.Debt})
	}
	s.writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleOverdrafts(w http.ResponseWriter, r *http.Request) {
	p, ok := s.points(w, r)
	if !ok {
		return
	}
	limit, ok := s.limit(w, r)
	if !ok {
		return
	}
	rows, err := p.OverdraftFlags(r.Context(), limit)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := struct {
		Overdrafts []overdraftJSON `json:"overdrafts"`
	}{Overdrafts: []overdraftJSON{}}
	for _, f := range rows {
		out.Overdrafts = append(out.Overdrafts, overdraftJSON{f.EntryID, central.MaskCard(f.Card), f.SaleID,
			f.StoreID, f.AgentID, f.Points, f.BalanceAfter, f.FlaggedAt})
	}
	s.writeJSON(w, http.StatusOK, out)
}

// limit reads ?limit= (default 100); on a bad one it answers invalid.
func (s *Server) limit(w http.ResponseWriter, r *http.Request) (int, bool) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return 100, true
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > maxPointsLimit {
		s.writeError(w, r, central.Errorf(central.EINVALID, "limit %q: use 1 to %d", v, maxPointsLimit))
		return 0, false
	}
	return n, true
}
