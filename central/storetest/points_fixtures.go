package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tillsync/tillsync/central"
	"github.com/tillsync/tillsync/syncproto"
)

// t0 is the wall time of the suite's points events.
var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

// day is one calendar day in UTC.
const day = 24 * time.Hour

// PointsSale describes a member sale for PointsSaleEvent.
type PointsSale struct {
	Store, Agent string
	Seq          uint64
	Card         string
	Member       string
	At           time.Time
	// Earn is the points each line earned (one line per element, each of
	// 2.000 × 500 fen); their sum is one EARN entry, pending until
	// AvailableAt and expiring at ExpiresAt (zero: never).
	Earn        []int64
	AvailableAt time.Time
	ExpiresAt   time.Time
	// Redeem is points tendered (a REDEEM entry and a points tender).
	Redeem int64
}

// EarnID is the id of the EARN entry PointsSaleEvent gives agent's sale at seq.
func EarnID(agent string, seq uint64) string { return fmt.Sprintf("earn-%s-%d", agent, seq) }

// RedeemID is the id of the REDEEM entry PointsSaleEvent gives agent's sale at seq.
func RedeemID(agent string, seq uint64) string { return fmt.Sprintf("redeem-%s-%d", agent, seq) }

// PointsSaleEvent returns the valid SaleCommitted event p describes.
func PointsSaleEvent(p PointsSale) *syncproto.Event {
	wall := p.At.UnixMilli()
	sc := &syncproto.SaleCommitted{
		SaleId: SaleID(p.Agent, p.Seq), StoreId: p.Store, LaneId: "lane-1", AgentSeq: p.Seq,
		AgentWallTimeMs: wall, MemberCard: p.Card, MemberId: p.Member, ReceiptNo: fmt.Sprintf("R%06d", p.Seq),
	}
	var earned int64
	for i, e := range p.Earn {
		sc.Lines = append(sc.Lines, &syncproto.SaleLine{LineNo: uint32(i + 1), Sku: fmt.Sprintf("SKU-%d", i+1),
			Name: "goods", QuantityMilli: 2000, UnitPriceFen: 500, LineTotalFen: 1000, PointsEarned: e, PointsEligible: true})
		sc.TotalFen += 1000
		earned += e
	}
	if earned > 0 {
		sc.Points = append(sc.Points, &syncproto.PointsEntry{EntryId: EarnID(p.Agent, p.Seq),
			Kind: syncproto.PointsEntry_KIND_EARN, Points: earned, MemberCard: p.Card, SaleId: sc.SaleId,
			AvailableAtMs: milli(p.AvailableAt), ExpiresAtMs: milli(p.ExpiresAt)})
	}
	if p.Redeem > 0 {
		sc.Points = append(sc.Points, &syncproto.PointsEntry{EntryId: RedeemID(p.Agent, p.Seq),
			Kind: syncproto.PointsEntry_KIND_REDEEM, Points: -p.Redeem, MemberCard: p.Card, SaleId: sc.SaleId})
		sc.Tenders = append(sc.Tenders, &syncproto.Tender{Kind: syncproto.Tender_KIND_POINTS, Points: p.Redeem,
			AmountFen: min(p.Redeem, sc.TotalFen)})
	}
	return &syncproto.Event{Seq: p.Seq, EventId: EventID(p.Agent, p.Seq), WallTimeMs: wall,
		Payload: &syncproto.Event_SaleCommitted{SaleCommitted: sc}}
}

// ReturnEvent returns a ReturnCommitted event of agent at seq taking back
// quantity (thousandths) of each original line no in lines. With points
// nil and origStore "" it is a foreign return: central resolves it.
func ReturnEvent(store, agent string, seq uint64, returnID, origSale, origStore, card string, at time.Time,
	lines map[uint32]int64, points ...*syncproto.PointsEntry) *syncproto.Event {
	rc := &syncproto.ReturnCommitted{ReturnId: returnID, OriginalSaleId: origSale, OriginalStoreId: origStore,
		StoreId: store, LaneId: "lane-1", MemberCard: card, Points: points}
	for no := uint32(1); no <= 16; no++ { // line order fixed, so payloads are stable
		if q, ok := lines[no]; ok {
			rc.Lines = append(rc.Lines, &syncproto.ReturnLine{OriginalLineNo: no, QuantityMilli: q, RefundFen: q / 2})
			rc.RefundFen += q / 2
		}
	}
	return &syncproto.Event{Seq: seq, EventId: EventID(agent, seq), WallTimeMs: at.UnixMilli(),
		Payload: &syncproto.Event_ReturnCommitted{ReturnCommitted: rc}}
}

// EnrollEvent returns a MemberEnrolled event linking card to member.
func EnrollEvent(agent string, seq uint64, store, card, member string, at time.Time) *syncproto.Event {
	return &syncproto.Event{Seq: seq, EventId: EventID(agent, seq), WallTimeMs: at.UnixMilli(),
		Payload: &syncproto.Event_MemberEnrolled{MemberEnrolled: &syncproto.MemberEnrolled{
			MemberCard: card, MemberId: member, StoreId: store}}}
}

func milli(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func balance(t *testing.T, s central.Store, card string, now time.Time) central.Balance {
	t.Helper()
	b, err := s.Balance(context.Background(), card, now)
	if err != nil {
		t.Fatalf("Balance(%s): %v", central.MaskCard(card), err)
	}
	return b
}

// wantBalance checks card's total, available and pending at now, and that
// the total is the sum of the card's entries (DESIGN §8.2).
func wantBalance(t *testing.T, s central.Store, card string, now time.Time, total, available, pending int64) {
	t.Helper()
	b := balance(t, s, card, now)
	if b.Total != total || b.Available != available || b.Pending != pending || b.Debt != max(0, -total) {
		t.Fatalf("Balance(%s, %s) = total %d available %d pending %d debt %d; want %d %d %d",
			card, now.Format(time.DateOnly), b.Total, b.Available, b.Pending, b.Debt, total, available, pending)
	}
	var sum int64
	for _, e := range entries(t, s, card) {
		sum += e.Points
	}
	if sum != b.Total {
		t.Fatalf("card %s: entries sum to %d, balance %d", card, sum, b.Total)
	}
}

func entries(t *testing.T, s central.Store, card string) []central.PointsEntry {
	t.Helper()
	es, err := s.CardEntries(context.Background(), card, 10000)
	if err != nil {
		t.Fatalf("CardEntries: %v", err)
	}
	return es
}

func debtors(t *testing.T, s central.Store) []central.Debtor {
	t.Helper()
	d, err := s.Debtors(context.Background(), 100)
	if err != nil {
		t.Fatalf("Debtors: %v", err)
	}
	return d
}

func flags(t *testing.T, s central.Store) []central.OverdraftFlag {
	t.Helper()
	f, err := s.OverdraftFlags(context.Background(), 100)
	if err != nil {
		t.Fatalf("OverdraftFlags: %v", err)
	}
	return f
}

func expire(t *testing.T, s central.Store, now time.Time) central.ExpireResult {
	t.Helper()
	r, err := s.ExpirePoints(context.Background(), now)
	if err != nil {
		t.Fatalf("ExpirePoints: %v", err)
	}
	return r
}
