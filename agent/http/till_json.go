package http

import (
	"time"

	"github.com/tillsync/tillsync/agent"
)

// basketJSON is an open basket as the till screen shows it.
type basketJSON struct {
	BasketID  string         `json:"basket_id"`
	Lane      string         `json:"lane"`
	Rev       int64          `json:"rev"`
	OpenedAt  *time.Time     `json:"opened_at,omitempty"`
	Lines     []lineResponse `json:"lines"`
	TotalFen  int64          `json:"total_fen"`
	SavingFen int64          `json:"member_saving_fen"`
	DueFen    int64          `json:"due_fen"`
	Tenders   []tenderJSON   `json:"tenders"`
	Member    *memberJSON    `json:"member,omitempty"`
	RewardPts int64          `json:"reward_points,omitempty"`
}

type memberJSON struct {
	Card       string `json:"card"` // masked
	MaskedName string `json:"name,omitempty"`
	Tier       string `json:"tier,omitempty"`
	Known      bool   `json:"known"`
}

type tenderJSON struct {
	Kind      string `json:"kind"`
	AmountFen int64  `json:"amount_fen"`
	Reference string `json:"reference,omitempty"`
	Points    int64  `json:"points,omitempty"`
}

var tenderNames = map[agent.TenderKind]string{
	agent.TenderCash: "cash", agent.TenderBankCard: "bank_card", agent.TenderPoints: "points",
}

func tenderKind(name string) agent.TenderKind {
	for k, n := range tenderNames {
		if n == name {
			return k
		}
	}
	return 0
}

func toTendersJSON(ts []agent.Tender) []tenderJSON {
	out := make([]tenderJSON, 0, len(ts))
	for _, t := range ts {
		out = append(out, tenderJSON{Kind: tenderNames[t.Kind], AmountFen: t.AmountFen, Reference: t.Reference, Points: t.Points})
	}
	return out
}

func toLinesJSON(lines []agent.Line) []lineResponse {
	out := make([]lineResponse, 0, len(lines))
	for _, l := range lines {
		out = append(out, lineResponse{LineNo: l.No, SKU: l.SKU, Barcode: l.Barcode, Name: l.Name,
			QuantityMilli: l.QuantityMilli, UnitPriceFen: l.UnitPriceFen, LineTotalFen: l.LineTotalFen,
			RegularUnitPriceFen: l.RegularUnitPriceFen, MemberSavingFen: l.MemberSavingFen,
			RewardID: l.RewardID, PointsEarned: l.PointsEarned})
	}
	return out
}

func toBasketJSON(b *agent.Basket) basketJSON {
	pb := agent.PriceBasket(b)
	out := basketJSON{
		BasketID: b.ID, Lane: b.LaneID, Rev: b.Rev, Lines: toLinesJSON(pb.Lines),
		TotalFen: pb.TotalFen, SavingFen: pb.SavingFen, DueFen: agent.Due(b),
		Tenders: toTendersJSON(b.Tenders), RewardPts: pb.RewardPoints,
	}
	if !b.OpenedAt.IsZero() {
		t := b.OpenedAt.UTC()
		out.OpenedAt = &t
	}
	if b.Card != "" {
		m := &memberJSON{Card: agent.MaskCard(b.Card)}
		if b.Member != nil {
			m.MaskedName, m.Tier, m.Known = b.Member.MaskedName, b.Member.Tier, true
		}
		out.Member = m
	}
	return out
}

type pointsJSON struct {
	Balance   int64 `json:"balance"`
	Available int64 `json:"available"`
	Pending   int64 `json:"pending"`
}

type receiptJSON struct {
	Sale           saleResponse `json:"sale"`
	SavingFen      int64        `json:"member_saving_fen"`
	ChangeFen      int64        `json:"change_fen"`
	PointsEarned   int64        `json:"points_earned_pending"`
	PointsRedeemed int64        `json:"points_redeemed"`
	Member         *memberJSON  `json:"member,omitempty"`
	Points         *pointsJSON  `json:"points,omitempty"`
}

func toReceiptJSON(r *agent.Receipt) receiptJSON {
	out := receiptJSON{Sale: toSaleResponse(r.Sale), SavingFen: r.SavingFen, ChangeFen: r.Sale.ChangeFen,
		PointsEarned: r.PointsEarned, PointsRedeemed: r.PointsRedeemed}
	if r.Sale.MemberCard != "" {
		out.Member = &memberJSON{Card: agent.MaskCard(r.Sale.MemberCard), MaskedName: r.MaskedName, Tier: r.Tier, Known: !r.UnknownCard}
		out.Points = &pointsJSON{Balance: r.Balance, Available: r.Available, Pending: r.Pending}
	}
	return out
}

type returnJSON struct {
	ReturnID       string           `json:"return_id"`
	ReceiptNo      string           `json:"receipt_no"`
	OriginalSaleID string           `json:"original_sale_id"`
	Lines          []returnLineJSON `json:"lines"`
	RefundFen      int64            `json:"refund_fen"`
	MoneyFen       int64            `json:"money_refund_fen"`
	PointsReversed int64            `json:"points_reversed"`
	PointsRefunded int64            `json:"points_refunded"`
	Foreign        bool             `json:"other_store"`
	Points         *pointsJSON      `json:"points,omitempty"`
}

type returnLineJSON struct {
	LineNo        int    `json:"line_no"`
	SKU           string `json:"sku"`
	QuantityMilli int64  `json:"quantity_milli"`
	RefundFen     int64  `json:"refund_fen"`
}

func toReturnJSON(rr *agent.ReturnReceipt) returnJSON {
	r := rr.Return
	out := returnJSON{ReturnID: r.ID, ReceiptNo: r.ReceiptNo, OriginalSaleID: r.OriginalSaleID,
		RefundFen: r.RefundFen, MoneyFen: rr.MoneyFen, PointsReversed: rr.PointsReversed,
		PointsRefunded: rr.PointsRefunded, Foreign: rr.Foreign}
	for _, l := range r.Lines {
		out.Lines = append(out.Lines, returnLineJSON{l.OriginalLineNo, l.SKU, l.QuantityMilli, l.RefundFen})
	}
	if r.Card != "" {
		out.Points = &pointsJSON{Balance: rr.Balance, Available: rr.Available, Pending: rr.Pending}
	}
	return out
}
