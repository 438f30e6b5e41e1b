package http

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/tillsync/tillsync/agent"
)

// saleRequest is the JSON body of POST /v1/sales. Totals are optional and,
// when present, checked against what the agent computes.
type saleRequest struct {
	SaleID     string        `json:"sale_id"`
	Lane       string        `json:"lane"`
	MemberCard string        `json:"member_card"`
	Lines      []lineRequest `json:"lines"`
	TotalFen   *int64        `json:"total_fen"`
}

type lineRequest struct {
	SKU           string `json:"sku"`
	Barcode       string `json:"barcode"`
	Name          string `json:"name"`
	QuantityMilli int64  `json:"quantity_milli"`
	UnitPriceFen  int64  `json:"unit_price_fen"`
	LineTotalFen  *int64 `json:"line_total_fen"`
}

type saleResponse struct {
	SaleID     string         `json:"sale_id"`
	StoreID    string         `json:"store_id"`
	Lane       string         `json:"lane"`
	Seq        uint64         `json:"seq"`
	ReceiptNo  string         `json:"receipt_no"`
	Time       time.Time      `json:"time"`
	MemberCard string         `json:"member_card,omitempty"`
	Lines      []lineResponse `json:"lines"`
	TotalFen   int64          `json:"total_fen"`
}

type lineResponse struct {
	LineNo        int    `json:"line_no"`
	SKU           string `json:"sku,omitempty"`
	Barcode       string `json:"barcode,omitempty"`
	Name          string `json:"name,omitempty"`
	QuantityMilli int64  `json:"quantity_milli"`
	UnitPriceFen  int64  `json:"unit_price_fen"`
	LineTotalFen  int64  `json:"line_total_fen"`

	RegularUnitPriceFen int64  `json:"regular_unit_price_fen,omitempty"`
	MemberSavingFen     int64  `json:"member_saving_fen,omitempty"`
	RewardID            string `json:"reward_id,omitempty"`
	PointsEarned        int64  `json:"points_earned,omitempty"`
}

func (s *Server) handleRecordSale(w http.ResponseWriter, r *http.Request) {
	var req saleRequest
	if err := decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	in := &agent.SaleInput{SaleID: req.SaleID, LaneID: req.Lane, MemberCard: req.MemberCard, TotalFen: req.TotalFen}
	for _, l := range req.Lines {
		in.Lines = append(in.Lines, agent.LineInput{
			SKU: l.SKU, Barcode: l.Barcode, Name: l.Name,
			QuantityMilli: l.QuantityMilli, UnitPriceFen: l.UnitPriceFen, LineTotalFen: l.LineTotalFen,
		})
	}
	sale, err := s.service.RecordSale(r.Context(), in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, toSaleResponse(sale))
}

func (s *Server) handleGetSale(w http.ResponseWriter, r *http.Request) {
	sale, err := s.service.Sale(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toSaleResponse(sale))
}

func toSaleResponse(s *agent.Sale) saleResponse {
	out := saleResponse{
		SaleID: s.ID, StoreID: s.StoreID, Lane: s.LaneID, Seq: s.Seq, ReceiptNo: s.ReceiptNo,
		Time: s.WallTime.UTC(), MemberCard: agent.MaskCard(s.MemberCard), TotalFen: s.TotalFen,
	}
	out.Lines = toLinesJSON(s.Lines)
	return out
}

// decodeJSON reads one JSON object into v, refusing unknown fields, bodies
// over maxBodyBytes and trailing data, with a message that says where.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return agent.Errorf(agent.EINVALID, "request body is larger than %d bytes", maxBodyBytes)
		}
		return agent.Errorf(agent.EINVALID, "cannot read request body: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return agent.Errorf(agent.EINVALID, "invalid JSON: %s", jsonProblem(err))
	}
	if dec.More() {
		return agent.Errorf(agent.EINVALID, "invalid JSON: data after the object")
	}
	return nil
}

func jsonProblem(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("%v (at byte %d)", syn, syn.Offset)
	case errors.As(err, &typ):
		return fmt.Sprintf("field %q must be %s, not %s", typ.Field, typ.Type, typ.Value)
	case errors.Is(err, io.EOF):
		return "empty body"
	default:
		return err.Error()
	}
}
