package central

import (
	"fmt"
	"math/big"
	"time"

	"github.com/tillsync/tillsync/syncproto"
	"google.golang.org/protobuf/proto"
)

// ReturnResolution is what ResolveReturn needs to resolve a return of
// another store's sale: the return, its original sale, and what earlier
// resolved returns of that sale took.
type ReturnResolution struct {
	ReturnID string
	At       time.Time // the return's wall time
	StoreID  string    // the store and agent that took the return
	AgentID  string
	Lines    []*syncproto.ReturnLine
	Sale     *syncproto.SaleCommitted // the original sale
	// Returned is the quantity of each original line (by line_no) that
	// earlier resolved returns of the sale took back.
	Returned map[uint32]int64
	// PendingReversed is the pending part of every reversal of the sale
	// already in the ledger.
	PendingReversed int64
}

// ResolveReturn computes the points entries of a foreign return the way
// the original store's agent would have (agent/returnpoints.go,
// till_return.go): earned points reversed pro rata per line on cumulative
// quantities, rounded up (returned goods never keep a point) and taken
// from the sale's pending points first; points that paid for the sale
// given back pro rata to the money returned, rounded down, plus the points
// of a gift line returned in full. Quantities are capped at what is left of
// each line. It returns the entries (ids derived from the return id, so a
// second resolution posts nothing) and the new cumulative Returned map.
// An anonymous original sale, or a line the sale does not have, gives no
// entries.
func ResolveReturn(r ReturnResolution) ([]PointsEntry, map[uint32]int64) {
	sc := r.Sale
	after := make(map[uint32]int64, len(r.Returned)+len(r.Lines))
	for no, q := range r.Returned {
		after[no] = q
	}
	var reversed, rewardBack, priorFen, nowFen int64
	for _, l := range sc.GetLines() {
		priorFen += share(l.GetLineTotalFen(), r.Returned[l.GetLineNo()], l.GetQuantityMilli())
	}
	nowFen = priorFen
	for _, rl := range r.Lines {
		l := saleLine(sc, rl.GetOriginalLineNo())
		if l == nil {
			continue
		}
		before := after[l.GetLineNo()]
		q := min(rl.GetQuantityMilli(), l.GetQuantityMilli()-before)
		if q <= 0 {
			continue
		}
		now := before + q
		after[l.GetLineNo()] = now
		nowFen += share(l.GetLineTotalFen(), now, l.GetQuantityMilli()) - share(l.GetLineTotalFen(), before, l.GetQuantityMilli())
		prev := ceilShare(l.GetPointsEarned(), before, l.GetQuantityMilli())
		reversed += reversePoints(l.GetPointsEarned(), l.GetQuantityMilli(), now, prev)
		if l.GetRewardId() != "" && now == l.GetQuantityMilli() {
			rewardBack += rewardPoints(sc, l.GetRewardId())
		}
	}
	var tenderPoints int64
	for _, t := range sc.GetTenders() {
		if t.GetKind() == syncproto.Tender_KIND_POINTS {
			tenderPoints += t.GetPoints()
		}
	}
	refunded := refundRedeemedPoints(tenderPoints, sc.GetTotalFen(), priorFen, 0)
	back := refundRedeemedPoints(tenderPoints, sc.GetTotalFen(), nowFen, refunded) + rewardBack
	card, member, pendingEarned := saleCard(sc, r.At)
	if card == "" {
		return nil, after
	}
	base := PointsEntry{Card: card, MemberID: member, SaleID: sc.GetSaleId(), StoreID: r.StoreID,
		AgentID: r.AgentID, At: r.At.UTC()}
	var out []PointsEntry
	if reversed > 0 {
		e := base
		e.ID, e.Kind, e.Points = ReturnReverseID(r.ReturnID), PointsReverseEarn, -reversed
		e.PendingPoints = min(reversed, max(0, pendingEarned-r.PendingReversed))
		out = append(out, e)
	}
	if back > 0 {
		// The agent sets the lot's expiry from its policy, which central
		// does not hold; points given back here never expire.
		e := base
		e.ID, e.Kind, e.Points, e.AvailableAt = ReturnRefundID(r.ReturnID), PointsRefundRedeem, back, base.At
		out = append(out, e)
	}
	return out, after
}

// saleCard returns the card the sale's points went to, its member, and
// the sale's earned points still pending at t.
func saleCard(sc *syncproto.SaleCommitted, t time.Time) (card, member string, pending int64) {
	card, member = sc.GetMemberCard(), sc.GetMemberId()
	for _, e := range sc.GetPoints() {
		if e.GetKind() != syncproto.PointsEntry_KIND_EARN {
			continue
		}
		if e.GetMemberCard() != "" {
			card = e.GetMemberCard()
		}
		if e.GetAvailableAtMs() > t.UnixMilli() {
			pending += e.GetPoints()
		}
	}
	return card, member, pending
}

func saleLine(sc *syncproto.SaleCommitted, no uint32) *syncproto.SaleLine {
	for _, l := range sc.GetLines() {
		if l.GetLineNo() == no {
			return l
		}
	}
	return nil
}

func rewardPoints(sc *syncproto.SaleCommitted, rewardID string) int64 {
	for _, e := range sc.GetPoints() {
		if e.GetKind() == syncproto.PointsEntry_KIND_REDEEM && e.GetRewardId() == rewardID {
			return -e.GetPoints()
		}
	}
	return 0
}

// reversePoints is the agent's ReversePoints (agent/returnpoints.go):
// ceil(earned × returnedSoFar / sold) − reversedSoFar, clamped to
// [0, earned − reversedSoFar]. The two must agree, so a return resolved
// here reverses what the original store would have.
func reversePoints(earned, sold, returnedSoFar, reversedSoFar int64) int64 {
	var target int64
	switch {
	case earned <= 0 || returnedSoFar <= 0:
	case returnedSoFar >= sold:
		target = earned
	default:
		target = ceilShare(earned, returnedSoFar, sold)
	}
	return max(0, min(target-reversedSoFar, earned-reversedSoFar))
}

// refundRedeemedPoints is the agent's RefundRedeemedPoints:
// floor(redeemed × returnedFenSoFar / saleTotalFen) − refundedSoFar,
// clamped to [0, redeemed − refundedSoFar].
func refundRedeemedPoints(redeemed, saleTotalFen, returnedFenSoFar, refundedSoFar int64) int64 {
	var target int64
	switch {
	case redeemed <= 0 || returnedFenSoFar <= 0:
	case returnedFenSoFar >= saleTotalFen:
		target = redeemed
	default:
		target = share(redeemed, returnedFenSoFar, saleTotalFen)
	}
	return max(0, min(target-refundedSoFar, redeemed-refundedSoFar))
}

// share is floor(total × part / whole) through big.Int, so the product
// cannot overflow; 0 when whole is 0.
func share(total, part, whole int64) int64 {
	if whole == 0 {
		return 0
	}
	n := new(big.Int).Mul(big.NewInt(total), big.NewInt(part))
	return n.Quo(n, big.NewInt(whole)).Int64()
}

// ceilShare is ceil(total × part / whole) for non-negative arguments.
func ceilShare(total, part, whole int64) int64 {
	if whole == 0 {
		return 0
	}
	n := new(big.Int).Mul(big.NewInt(total), big.NewInt(part))
	n.Add(n, big.NewInt(whole-1))
	return n.Quo(n, big.NewInt(whole)).Int64()
}

// ResolutionFor builds the ReturnResolution of u from the stored payloads
// of its return event and of its original sale's event, with what earlier
// returns of the sale took. It fails when a payload does not decode to the
// event kind expected (the store holds only payloads it checked).
func ResolutionFor(u UnresolvedReturn, returnPayload, salePayload []byte, returned map[uint32]int64, pendingReversed int64) (ReturnResolution, error) {
	var ret, sale syncproto.Event
	if err := proto.Unmarshal(returnPayload, &ret); err != nil || ret.GetReturnCommitted() == nil {
		return ReturnResolution{}, fmt.Errorf("return %s: stored event does not decode to a return (%v)", u.ReturnID, err)
	}
	if err := proto.Unmarshal(salePayload, &sale); err != nil || sale.GetSaleCommitted() == nil {
		return ReturnResolution{}, fmt.Errorf("sale %s: stored event does not decode to a sale (%v)", u.OriginalSaleID, err)
	}
	return ReturnResolution{
		ReturnID: u.ReturnID, At: time.UnixMilli(ret.GetWallTimeMs()).UTC(), StoreID: u.StoreID, AgentID: u.AgentID,
		Lines: ret.GetReturnCommitted().GetLines(), Sale: sale.GetSaleCommitted(),
		Returned: returned, PendingReversed: pendingReversed,
	}, nil
}
