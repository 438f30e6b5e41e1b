package agent

import (
	"fmt"
	"time"

	"github.com/tillsync/tillsync/syncproto"
	"google.golang.org/protobuf/proto"
)

// ReturnEvent returns the journal event of a committed return (r.Seq and
// r.ReceiptNo set). The event's seq and wall time are the return's: the
// ReturnCommitted payload itself carries neither.
func ReturnEvent(r *Return, eventID string) *syncproto.Event {
	lines := make([]*syncproto.ReturnLine, len(r.Lines))
	for i, l := range r.Lines {
		lines[i] = &syncproto.ReturnLine{
			OriginalLineNo: uint32(l.OriginalLineNo), Sku: l.SKU,
			QuantityMilli: l.QuantityMilli, RefundFen: l.RefundFen,
		}
	}
	return &syncproto.Event{
		Seq: r.Seq, EventId: eventID, WallTimeMs: r.WallTime.UnixMilli(),
		Payload: &syncproto.Event_ReturnCommitted{ReturnCommitted: &syncproto.ReturnCommitted{
			ReturnId: r.ID, OriginalSaleId: r.OriginalSaleID, OriginalStoreId: r.OriginalStoreID,
			StoreId: r.StoreID, LaneId: r.LaneID, Lines: lines, RefundFen: r.RefundFen,
			MemberCard: r.Card, MemberId: r.MemberID,
			Points: PointsEntriesToWire(r.Points), Refunds: TendersToWire(r.Refunds),
			ReceiptNo: r.ReceiptNo,
		}},
	}
}

// EncodeReturnEvent returns the wire bytes of ReturnEvent(r, eventID).
func EncodeReturnEvent(r *Return, eventID string) ([]byte, error) {
	b, err := proto.Marshal(ReturnEvent(r, eventID))
	if err != nil {
		return nil, fmt.Errorf("encode return %s event: %w", r.ID, err)
	}
	return b, nil
}

// ReturnFromEvent rebuilds a return from its journal event. It fails for
// an event of another kind. The wire carries no time per points entry, so
// every entry's At is the event's wall time (the time it was committed).
func ReturnFromEvent(ev *syncproto.Event) (*Return, error) {
	rc := ev.GetReturnCommitted()
	if rc == nil {
		return nil, fmt.Errorf("event %d is not a return", ev.GetSeq())
	}
	wt := time.UnixMilli(ev.GetWallTimeMs()).UTC()
	r := &Return{
		ID: rc.ReturnId, OriginalSaleID: rc.OriginalSaleId, OriginalStoreID: rc.OriginalStoreId,
		StoreID: rc.StoreId, LaneID: rc.LaneId, Seq: ev.GetSeq(), ReceiptNo: rc.ReceiptNo,
		WallTime: wt, RefundFen: rc.RefundFen, Card: rc.MemberCard, MemberID: rc.MemberId,
		Points: PointsEntriesFromWire(rc.Points), Refunds: TendersFromWire(rc.Refunds),
	}
	for i := range r.Points {
		r.Points[i].At = wt
	}
	for _, l := range rc.Lines {
		r.Lines = append(r.Lines, ReturnLine{OriginalLineNo: int(l.OriginalLineNo), SKU: l.Sku,
			QuantityMilli: l.QuantityMilli, RefundFen: l.RefundFen})
	}
	return r, nil
}
