package http

import (
	"net/http"

	"github.com/tillsync/tillsync/agent"
)

// enrollRequest is POST /v1/enrollments. The personal fields pass through
// to the till, which seals them for central; the API never logs a body.
type enrollRequest struct {
	Lane             string `json:"lane"`
	Name             string `json:"name"`
	Phone            string `json:"phone"`
	IDNumber         string `json:"id_number"`
	IncomeBracket    string `json:"income_bracket"`
	MarketingOptOut  bool   `json:"marketing_opt_out"`
	QualifyingSaleID string `json:"qualifying_sale_id"`
}

// enrollmentJSON answers an enrollment. Card is the full new card number:
// the till prints it for the member, who has no other way to learn it.
type enrollmentJSON struct {
	Card                  string `json:"card"`
	MemberID              string `json:"member_id"`
	MaskedName            string `json:"masked_name"`
	PhoneLast4            string `json:"phone_last4"`
	Tier                  string `json:"tier"`
	PointsCreditedPending int64  `json:"points_credited_pending"`
	Seq                   uint64 `json:"seq"`
}

func (s *Server) handleEnroll(w http.ResponseWriter, r *http.Request) {
	var req enrollRequest
	if err := decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	e, err := s.till.Enroll(r.Context(), agent.EnrollInput{
		Lane: req.Lane, MarketingOptOut: req.MarketingOptOut, QualifyingSaleID: req.QualifyingSaleID,
		Personal: agent.PersonalData{Name: req.Name, Phone: req.Phone, IDNumber: req.IDNumber, IncomeBracket: req.IncomeBracket},
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, enrollmentJSON{
		Card: e.Member.Card, MemberID: e.Member.MemberID, MaskedName: e.Member.MaskedName,
		PhoneLast4: e.Member.PhoneLast4, Tier: e.Member.Tier,
		PointsCreditedPending: e.PointsCreditedPending(), Seq: e.Seq,
	})
}
