package http

import (
	"net/http"
	"strconv"

	"github.com/tillsync/tillsync/agent"
)

func (s *Server) tillRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /v1/lanes/{lane}/basket", s.handleBasket)
	mux.HandleFunc("DELETE /v1/lanes/{lane}/basket", s.handleCancel)
	mux.HandleFunc("POST /v1/lanes/{lane}/scan", s.handleScan)
	mux.HandleFunc("POST /v1/lanes/{lane}/items", s.handleAddItem)
	mux.HandleFunc("PATCH /v1/lanes/{lane}/lines/{no}", s.handleSetQuantity)
	mux.HandleFunc("DELETE /v1/lanes/{lane}/lines/{no}", s.handleVoid)
	mux.HandleFunc("POST /v1/lanes/{lane}/member", s.handleAttach)
	mux.HandleFunc("POST /v1/lanes/{lane}/rewards", s.handleReward)
	mux.HandleFunc("POST /v1/lanes/{lane}/tenders", s.handleTender)
	mux.HandleFunc("POST /v1/lanes/{lane}/commit", s.handleCommit)
	mux.HandleFunc("POST /v1/returns", s.handleReturn)
	mux.HandleFunc("POST /v1/enrollments", s.handleEnroll)
	mux.HandleFunc("GET /v1/events", s.handleEvents)
}

// basketOp runs a basket operation and answers with the basket.
func (s *Server) basketOp(w http.ResponseWriter, r *http.Request, op func() (*agent.Basket, error)) {
	b, err := op()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toBasketJSON(b))
}

func (s *Server) handleBasket(w http.ResponseWriter, r *http.Request) {
	s.basketOp(w, r, func() (*agent.Basket, error) { return s.till.Basket(r.Context(), r.PathValue("lane")) })
}

func (s *Server) handleCancel(w http.ResponseWriter, r *http.Request) {
	if err := s.till.Cancel(r.Context(), r.PathValue("lane")); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "cancelled"})
}

func (s *Server) handleScan(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Data string `json:"data"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.basketOp(w, r, func() (*agent.Basket, error) {
		b, _, err := s.till.Scan(r.Context(), r.PathValue("lane"), req.Data)
		return b, err
	})
}

func (s *Server) handleAddItem(w http.ResponseWriter, r *http.Request) {
	var req struct {
		SKU           string `json:"sku"`
		QuantityMilli int64  `json:"quantity_milli"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.basketOp(w, r, func() (*agent.Basket, error) {
		return s.till.AddSKU(r.Context(), r.PathValue("lane"), req.SKU, req.QuantityMilli)
	})
}

func lineNo(r *http.Request) (int, error) {
	n, err := strconv.Atoi(r.PathValue("no"))
	if err != nil || n < 1 {
		return 0, agent.Errorf(agent.EINVALID, "line number %q must be a positive integer", r.PathValue("no"))
	}
	return n, nil
}

func (s *Server) handleSetQuantity(w http.ResponseWriter, r *http.Request) {
	var req struct {
		QuantityMilli int64 `json:"quantity_milli"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.basketOp(w, r, func() (*agent.Basket, error) {
		n, err := lineNo(r)
		if err != nil {
			return nil, err
		}
		return s.till.SetQuantity(r.Context(), r.PathValue("lane"), n, req.QuantityMilli)
	})
}

func (s *Server) handleVoid(w http.ResponseWriter, r *http.Request) {
	s.basketOp(w, r, func() (*agent.Basket, error) {
		n, err := lineNo(r)
		if err != nil {
			return nil, err
		}
		return s.till.VoidLine(r.Context(), r.PathValue("lane"), n)
	})
}

func (s *Server) handleAttach(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Card string `json:"card"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.basketOp(w, r, func() (*agent.Basket, error) { return s.till.AttachCard(r.Context(), r.PathValue("lane"), req.Card) })
}

func (s *Server) handleReward(w http.ResponseWriter, r *http.Request) {
	var req struct {
		RewardID string `json:"reward_id"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.basketOp(w, r, func() (*agent.Basket, error) {
		return s.till.RedeemReward(r.Context(), r.PathValue("lane"), req.RewardID)
	})
}

func (s *Server) handleTender(w http.ResponseWriter, r *http.Request) {
	var req tenderJSON
	if err := decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.basketOp(w, r, func() (*agent.Basket, error) {
		kind := tenderKind(req.Kind)
		if kind == 0 {
			return nil, agent.Errorf(agent.EINVALID, "kind %q must be cash, bank_card or points", req.Kind)
		}
		return s.till.AddTender(r.Context(), r.PathValue("lane"), agent.Tender{
			Kind: kind, AmountFen: req.AmountFen, Reference: req.Reference, Points: req.Points})
	})
}

func (s *Server) handleCommit(w http.ResponseWriter, r *http.Request) {
	rc, err := s.till.Commit(r.Context(), r.PathValue("lane"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, toReceiptJSON(rc))
}

func (s *Server) handleReturn(w http.ResponseWriter, r *http.Request) {
	var req struct {
		ReturnID  string `json:"return_id"`
		Lane      string `json:"lane"`
		SaleID    string `json:"sale_id"`
		Refund    string `json:"refund"`
		Reference string `json:"reference"`
		Lines     []struct {
			LineNo        int    `json:"line_no"`
			QuantityMilli int64  `json:"quantity_milli"`
			SKU           string `json:"sku"`
			RefundFen     int64  `json:"refund_fen"`
		} `json:"lines"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	in := agent.ReturnInput{ReturnID: req.ReturnID, LaneID: req.Lane, SaleID: req.SaleID,
		Refund: tenderKind(req.Refund), Reference: req.Reference}
	for _, l := range req.Lines {
		in.Lines = append(in.Lines, agent.ReturnLineInput{LineNo: l.LineNo, QuantityMilli: l.QuantityMilli, SKU: l.SKU, RefundFen: l.RefundFen})
	}
	rr, err := s.till.Return(r.Context(), in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, toReturnJSON(rr))
}
