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
			Category: l.Category, RegularUnitPriceFen: l.RegularUnitPriceFen, MemberSavingFen: l.MemberSavingFen,
			RewardId: l.RewardID, PointsEarned: l.PointsEarned,
			PointsEligible: l.PointsEligible, PointsMultiplier: l.PointsMultiplier, LabelPrice: l.LabelPrice,
		}
	}
	ms := s.WallTime.UnixMilli()
	return &syncproto.Event{
		Seq: s.Seq, EventId: eventID, WallTimeMs: ms,
		Payload: &syncproto.Event_SaleCommitted{SaleCommitted: &syncproto.SaleCommitted{
			SaleId: s.ID, StoreId: s.StoreID, LaneId: s.LaneID, AgentSeq: s.Seq,
			AgentWallTimeMs: ms, Lines: lines, TotalFen: s.TotalFen,
			MemberCard: s.MemberCard, ReceiptNo: s.ReceiptNo,
			MemberId: s.MemberID, Tier: s.Tier, MemberSavingFen: s.MemberSavingFen,
			Points: PointsEntriesToWire(s.Points), Tenders: TendersToWire(s.Tenders), ChangeFen: s.ChangeFen,
			PolicyVersion: s.PolicyVersion, CatalogVersion: s.CatalogVersion,
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
		MemberID: sc.MemberId, Tier: sc.Tier, MemberSavingFen: sc.MemberSavingFen,
		Points: PointsEntriesFromWire(sc.Points), Tenders: TendersFromWire(sc.Tenders), ChangeFen: sc.ChangeFen,
		PolicyVersion: sc.PolicyVersion, CatalogVersion: sc.CatalogVersion,
	}
	for _, l := range sc.Lines {
		s.Lines = append(s.Lines, Line{No: int(l.LineNo), SKU: l.Sku, Barcode: l.Barcode, Name: l.Name,
			QuantityMilli: l.QuantityMilli, UnitPriceFen: l.UnitPriceFen, LineTotalFen: l.LineTotalFen,
			Category: l.Category, RegularUnitPriceFen: l.RegularUnitPriceFen, MemberSavingFen: l.MemberSavingFen,
			RewardID: l.RewardId, PointsEarned: l.PointsEarned,
			PointsEligible: l.PointsEligible, PointsMultiplier: l.PointsMultiplier, LabelPrice: l.LabelPrice})
	}
	return s, nil
}

// PointsEntriesToWire converts points entries for the journal.
func PointsEntriesToWire(es []PointsEntry) []*syncproto.PointsEntry {
	if len(es) == 0 {
		return nil
	}
	out := make([]*syncproto.PointsEntry, len(es))
	for i, e := range es {
		out[i] = &syncproto.PointsEntry{
			EntryId: e.ID, Kind: syncproto.PointsEntry_Kind(e.Kind), Points: e.Points,
			MemberCard: e.Card, MemberId: e.MemberID, SaleId: e.SaleID,
			AvailableAtMs: unixMilli(e.AvailableAt), ExpiresAtMs: unixMilli(e.ExpiresAt),
			RewardId: e.RewardID, PendingPoints: e.PendingPoints, DebtPoints: e.DebtPoints,
		}
	}
	return out
}

// PointsEntriesFromWire converts journal points entries back; at is the
// time of the event that carried them.
func PointsEntriesFromWire(ws []*syncproto.PointsEntry) []PointsEntry {
	if len(ws) == 0 {
		return nil
	}
	out := make([]PointsEntry, len(ws))
	for i, w := range ws {
		out[i] = PointsEntry{
			ID: w.EntryId, Kind: PointsKind(w.Kind), Points: w.Points,
			Card: w.MemberCard, MemberID: w.MemberId, SaleID: w.SaleId,
			AvailableAt: fromMilli(w.AvailableAtMs), ExpiresAt: fromMilli(w.ExpiresAtMs),
			RewardID: w.RewardId, PendingPoints: w.PendingPoints, DebtPoints: w.DebtPoints,
		}
	}
	return out
}

// TendersToWire converts tenders for the journal.
func TendersToWire(ts []Tender) []*syncproto.Tender {
	if len(ts) == 0 {
		return nil
	}
	out := make([]*syncproto.Tender, len(ts))
	for i, t := range ts {
		out[i] = &syncproto.Tender{Kind: syncproto.Tender_Kind(t.Kind), AmountFen: t.AmountFen, Reference: t.Reference, Points: t.Points}
	}
	return out
}

// TendersFromWire converts journal tenders back.
func TendersFromWire(ws []*syncproto.Tender) []Tender {
	if len(ws) == 0 {
		return nil
	}
	out := make([]Tender, len(ws))
	for i, w := range ws {
		out[i] = Tender{Kind: TenderKind(w.Kind), AmountFen: w.AmountFen, Reference: w.Reference, Points: w.Points}
	}
	return out
}

// unixMilli is t in Unix milliseconds, 0 for the zero time.
func unixMilli(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// fromMilli is the inverse of unixMilli.
func fromMilli(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}
