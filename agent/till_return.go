package agent

import (
	"context"
	"fmt"
	"math/big"
)

// ReturnInput is goods brought back. SaleID is the original sale's id
// (the receipt barcode carries it).
type ReturnInput struct {
	ReturnID string // optional client UUID: a retry returns the same return
	LaneID   string
	SaleID   string
	Lines    []ReturnLineInput
	// Refund says how money goes back: TenderCash or TenderBankCard
	// (with Reference).
	Refund    TenderKind
	Reference string
}

// ReturnLineInput is one line brought back. For a sale this store holds,
// LineNo and QuantityMilli (0 = all that is left) are enough; for another
// store's sale the till cannot see, SKU, QuantityMilli and RefundFen are
// taken as given and central resolves the rest.
type ReturnLineInput struct {
	LineNo        int
	QuantityMilli int64
	SKU           string
	RefundFen     int64
}

// ReturnReceipt is what the till shows after a return.
type ReturnReceipt struct {
	Return         *Return
	MoneyFen       int64 // refunded in cash or to the bank card
	PointsReversed int64 // earned points taken back
	PointsRefunded int64 // points that had paid for the goods, given back
	// The member's points as this store knows them after the return; a
	// negative balance is a debt later earnings repay.
	Balance, Available, Pending int64
	Foreign                     bool // the original sale is not in this store
}

// Return takes goods back against their original sale: earned points are
// reversed pro rata (pending first), points that paid for the goods are
// credited back, and the balance may go negative (a debt, never clamped).
// A line can never be returned beyond what was sold.
func (t *Till) Return(ctx context.Context, in ReturnInput) (*ReturnReceipt, error) {
	if err := checkLane(in.LaneID); err != nil {
		return nil, err
	}
	if in.Refund != TenderCash && in.Refund != TenderBankCard {
		return nil, Errorf(EINVALID, "refund must be cash or bank_card")
	}
	if in.ReturnID != "" && !uuidPattern.MatchString(in.ReturnID) {
		return nil, Errorf(EINVALID, "return_id must be a UUID in lowercase canonical form")
	}
	if len(in.Lines) == 0 || len(in.Lines) > MaxLines {
		return nil, Errorf(EINVALID, "a return needs 1 to %d lines", MaxLines)
	}
	p, _, err := t.policy(ctx)
	if err != nil {
		return nil, err
	}
	orig, err := t.Store.Sale(ctx, in.SaleID)
	switch {
	case ErrorCode(err) == ENOTFOUND:
		return t.foreignReturn(ctx, in)
	case err != nil:
		return nil, fmt.Errorf("original sale %s: %w", in.SaleID, err)
	}
	if orig.MemberCard != "" {
		defer t.lockCard(orig.MemberCard)()
	}
	r, rr, err := t.buildReturn(ctx, in, orig, p)
	if err != nil {
		return nil, err
	}
	return t.commitReturn(ctx, r, rr)
}

func (t *Till) commitReturn(ctx context.Context, r *Return, rr *ReturnReceipt) (*ReturnReceipt, error) {
	if err := t.Store.CommitReturn(ctx, r); err != nil {
		return nil, fmt.Errorf("commit return: %w", err)
	}
	if t.Uplink != nil {
		t.Uplink.Notify()
	}
	if r.Card != "" {
		w, err := t.wallet(ctx, r.Card)
		if err != nil {
			return nil, err
		}
		now := t.Now()
		rr.Balance, rr.Available, rr.Pending = w.Balance(now), w.Available(now), w.Pending(now)
	}
	t.emit(LaneEvent{Lane: r.LaneID, Kind: EventReturn, Return: rr})
	return rr, nil
}

func (t *Till) newReturn(in ReturnInput) (*Return, error) {
	id := in.ReturnID
	if id == "" {
		var err error
		if id, err = t.NewID(); err != nil {
			return nil, fmt.Errorf("new return id: %w", err)
		}
	}
	return &Return{ID: id, OriginalSaleID: in.SaleID, StoreID: t.StoreID, LaneID: in.LaneID, WallTime: t.Now()}, nil
}

// buildReturn prices a return of a sale this store holds.
func (t *Till) buildReturn(ctx context.Context, in ReturnInput, orig *Sale, p *Policy) (*Return, *ReturnReceipt, error) {
	r, err := t.newReturn(in)
	if err != nil {
		return nil, nil, err
	}
	r.OriginalStoreID, r.Card, r.MemberID = orig.StoreID, orig.MemberCard, orig.MemberID
	returned, err := t.Store.Returned(ctx, orig.ID)
	if err != nil {
		return nil, nil, fmt.Errorf("returned lines of sale %s: %w", orig.ID, err)
	}
	var reversed, rewardBack, priorFen int64
	for _, ol := range orig.Lines {
		priorFen += share(ol.LineTotalFen, returned[ol.No], ol.QuantityMilli)
	}
	seen := map[int]bool{}
	for _, li := range in.Lines {
		ol, err := origLine(orig, li.LineNo)
		if err != nil {
			return nil, nil, err
		}
		if seen[li.LineNo] {
			return nil, nil, Errorf(EINVALID, "line %d is listed twice", li.LineNo)
		}
		seen[li.LineNo] = true
		before := returned[ol.No]
		left := ol.QuantityMilli - before
		qty := li.QuantityMilli
		if qty == 0 {
			qty = left
		}
		switch {
		case left <= 0:
			return nil, nil, Errorf(ECONFLICT, "line %d of sale %s was already returned", ol.No, orig.ID)
		case qty < 0 || qty > left:
			return nil, nil, Errorf(ECONFLICT, "line %d: only %d thousandths are left to return, %d asked", ol.No, left, qty)
		}
		after := before + qty
		refund := share(ol.LineTotalFen, after, ol.QuantityMilli) - share(ol.LineTotalFen, before, ol.QuantityMilli)
		r.Lines = append(r.Lines, ReturnLine{OriginalLineNo: ol.No, SKU: ol.SKU, QuantityMilli: qty, RefundFen: refund})
		r.RefundFen += refund
		prevRev := ceilShare(ol.PointsEarned, before, ol.QuantityMilli)
		reversed += ReversePoints(ol.PointsEarned, ol.QuantityMilli, after, prevRev)
		if ol.RewardID != "" && after == ol.QuantityMilli {
			rewardBack += rewardPoints(orig, ol.RewardID)
		}
	}
	if orig.MemberCard == "" {
		if reversed, err = t.enrollmentReversal(ctx, r, orig, priorFen); err != nil {
			return nil, nil, err
		}
	}
	rr := &ReturnReceipt{Return: r}
	if err := t.returnPoints(ctx, r, rr, orig, p, reversed, rewardBack, priorFen); err != nil {
		return nil, nil, err
	}
	r.Refunds = []Tender{{Kind: in.Refund, AmountFen: rr.MoneyFen, Reference: in.Reference}}
	return r, rr, nil
}

// returnPoints adds the return's points entries and splits the refund
// between money and points that had paid for the goods.
func (t *Till) returnPoints(ctx context.Context, r *Return, rr *ReturnReceipt, orig *Sale, p *Policy, reversed, rewardBack, priorFen int64) error {
	var tenderPoints, tenderFen int64
	for _, tn := range orig.Tenders {
		if tn.Kind == TenderPoints {
			tenderPoints += tn.Points
			tenderFen += tn.AmountFen
		}
	}
	nowFen := priorFen + r.RefundFen
	refundedBefore := RefundRedeemedPoints(tenderPoints, orig.TotalFen, priorFen, 0)
	pointsBack := RefundRedeemedPoints(tenderPoints, orig.TotalFen, nowFen, refundedBefore)
	pointsFenBack := share(tenderFen, nowFen, orig.TotalFen) - share(tenderFen, priorFen, orig.TotalFen)
	rr.MoneyFen = r.RefundFen - pointsFenBack
	rr.PointsReversed, rr.PointsRefunded = reversed, pointsBack+rewardBack
	if r.Card == "" {
		return nil
	}
	now := r.WallTime
	if reversed > 0 {
		w, err := t.wallet(ctx, r.Card)
		if err != nil {
			return err
		}
		pending, debt := w.Debit(reversed, orig.ID, true, now)
		if err := t.addReturnEntry(r, PointsEntry{Kind: PointsReverseEarn, Points: -reversed, PendingPoints: pending, DebtPoints: debt}); err != nil {
			return err
		}
	}
	if back := pointsBack + rewardBack; back > 0 {
		if err := t.addReturnEntry(r, PointsEntry{Kind: PointsRefundRedeem, Points: back, ExpiresAt: p.ExpiresAt(now)}); err != nil {
			return err
		}
	}
	return nil
}

func (t *Till) addReturnEntry(r *Return, e PointsEntry) error {
	id, err := t.NewID()
	if err != nil {
		return fmt.Errorf("new points entry id: %w", err)
	}
	e.ID, e.Card, e.MemberID, e.SaleID, e.At = id, r.Card, r.MemberID, r.OriginalSaleID, r.WallTime
	if e.Kind == PointsRefundRedeem {
		e.AvailableAt = r.WallTime
	}
	r.Points = append(r.Points, e)
	return nil
}

// enrollmentReversal handles an anonymous sale that later qualified an
// enrollment: its points went to the new card, so a return takes them
// back from that card, pro rata to the money returned (cumulative, so the
// whole sale returned takes back exactly what was credited).
func (t *Till) enrollmentReversal(ctx context.Context, r *Return, orig *Sale, priorFen int64) (int64, error) {
	es, ok := t.Store.(EnrollStore)
	if !ok {
		return 0, nil
	}
	card, err := es.EnrolledBySale(ctx, orig.ID)
	switch {
	case ErrorCode(err) == ENOTFOUND:
		return 0, nil
	case err != nil:
		return 0, fmt.Errorf("enrollment of sale %s: %w", orig.ID, err)
	}
	local, err := t.Store.LocalEntries(ctx, card)
	if err != nil {
		return 0, fmt.Errorf("points of card %s: %w", MaskCard(card), err)
	}
	var credited int64
	for _, e := range local {
		if e.Kind == PointsEarn && e.SaleID == orig.ID {
			credited += e.Points
			r.MemberID = e.MemberID
		}
	}
	r.Card = card
	before := ceilShare(credited, priorFen, orig.TotalFen)
	return ReversePoints(credited, orig.TotalFen, priorFen+r.RefundFen, before), nil
}

// foreignReturn accepts a return of a sale this store does not hold (it
// was sold in another store): the lines are taken as given and central
// resolves points and checks against the original.
func (t *Till) foreignReturn(ctx context.Context, in ReturnInput) (*ReturnReceipt, error) {
	if !uuidPattern.MatchString(in.SaleID) {
		return nil, Errorf(ENOTFOUND, "sale %q is unknown: scan the receipt barcode again", in.SaleID)
	}
	r, err := t.newReturn(in)
	if err != nil {
		return nil, err
	}
	for i, li := range in.Lines {
		if msg := checkID(li.SKU); msg != "" {
			return nil, Errorf(EINVALID, "lines[%d].sku: %s (another store's sale: give sku, quantity and refund)", i, msg)
		}
		if li.QuantityMilli <= 0 || li.QuantityMilli > MaxQuantityMilli || li.RefundFen < 0 || li.RefundFen > MaxUnitPriceFen {
			return nil, Errorf(EINVALID, "lines[%d]: quantity_milli and refund_fen must be positive and in range", i)
		}
		r.Lines = append(r.Lines, ReturnLine{OriginalLineNo: li.LineNo, SKU: li.SKU, QuantityMilli: li.QuantityMilli, RefundFen: li.RefundFen})
		r.RefundFen += li.RefundFen
	}
	r.Refunds = []Tender{{Kind: in.Refund, AmountFen: r.RefundFen, Reference: in.Reference}}
	return t.commitReturn(ctx, r, &ReturnReceipt{Return: r, MoneyFen: r.RefundFen, Foreign: true})
}

func origLine(s *Sale, no int) (*Line, error) {
	for i := range s.Lines {
		if s.Lines[i].No == no {
			return &s.Lines[i], nil
		}
	}
	return nil, Errorf(ENOTFOUND, "sale %s has no line %d", s.ID, no)
}

func rewardPoints(s *Sale, rewardID string) int64 {
	for _, e := range s.Points {
		if e.Kind == PointsRedeem && e.RewardID == rewardID {
			return -e.Points
		}
	}
	return 0
}

// share is floor(total × part / whole) without overflow; cumulative use
// (share of everything returned so far minus share before) makes several
// partial returns add up exactly to the whole.
func share(total, part, whole int64) int64 {
	if whole == 0 {
		return 0
	}
	var n big.Int
	n.Mul(big.NewInt(total), big.NewInt(part))
	n.Quo(&n, big.NewInt(whole))
	return n.Int64()
}

// ceilShare is ceil(total × part / whole) for non-negative arguments.
func ceilShare(total, part, whole int64) int64 {
	if whole == 0 {
		return 0
	}
	var n big.Int
	n.Mul(big.NewInt(total), big.NewInt(part))
	n.Add(&n, big.NewInt(whole-1))
	n.Quo(&n, big.NewInt(whole))
	return n.Int64()
}
