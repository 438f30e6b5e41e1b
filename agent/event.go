package agent

import (
	"fmt"
	"time"

	"github.com/tillsync/tillsync/syncproto"
	"google.golang.org/protobuf/proto"
)

// SaleEvent returns the journal event of a committed sale (s.Seq set).
func SaleEvent(s *Sale, eventID string) *syncproto.Event {
	lines := make([]*syncproto.SaleLine, len(s.Lines))
	for i, l := range s.Lines {
		lines[i] = &syncproto.SaleLine{
			LineNo: uint32(l.No), Sku: l.SKU, Barcode: l.Barcode, Name: l.Name,
			QuantityMilli: l.QuantityMilli, UnitPriceFen: l.UnitPriceFen, LineTotalFen: l.LineTotalFen,
		}
	}
	ms := s.WallTime.UnixMilli()
	return &syncproto.Event{
		Seq: s.Seq, EventId: eventID, WallTimeMs: ms,
		Payload: &syncproto.Event_SaleCommitted{SaleCommitted: &syncproto.SaleCommitted{
			SaleId: s.ID, StoreId: s.StoreID, LaneId: s.LaneID, AgentSeq: s.Seq,
			AgentWallTimeMs: ms, Lines: lines, TotalFen: s.TotalFen,
			MemberCard: s.MemberCard, ReceiptNo: s.ReceiptNo,
		}},
	}
}

// EncodeSaleEvent returns the wire bytes of SaleEvent(s, eventID).
func EncodeSaleEvent(s *Sale, eventID string) ([]byte, error) {
	b, err := proto.Marshal(SaleEvent(s, eventID))
	if err != nil {
		return nil, fmt.Errorf("encode sale %s event: %w", s.ID, err)
	}
	return b, nil
}

// SaleFromEvent rebuilds a sale from its journal event. It fails for an
// event of another kind.
func SaleFromEvent(ev *syncproto.Event) (*Sale, error) {
	sc := ev.GetSaleCommitted()
	if sc == nil {
		return nil, fmt.Errorf("event %d is not a sale", ev.GetSeq())
	}
	s := &Sale{
		ID: sc.SaleId, StoreID: sc.StoreId, LaneID: sc.LaneId, Seq: sc.AgentSeq,
		WallTime: time.UnixMilli(sc.AgentWallTimeMs).UTC(), ReceiptNo: sc.ReceiptNo,
		TotalFen: sc.TotalFen, MemberCard: sc.MemberCard,
	}
	for _, l := range sc.Lines {
		s.Lines = append(s.Lines, Line{No: int(l.LineNo), SKU: l.Sku, Barcode: l.Barcode, Name: l.Name,
			QuantityMilli: l.QuantityMilli, UnitPriceFen: l.UnitPriceFen, LineTotalFen: l.LineTotalFen})
	}
	return s, nil
}
