package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tillsync/tillsync/central"
	"github.com/tillsync/tillsync/syncproto"
)

// StatsLine is one line of a StatsSale.
type StatsLine struct {
	SKU, Category string
	QuantityMilli int64
	UnitPriceFen  int64
}

// StatsSale describes a sale for StatsSaleEvent.
type StatsSale struct {
	Store, Agent string
	Seq          uint64
	Card         string // "" for an anonymous sale
	At           time.Time
	Lines        []StatsLine
}

// StatsSaleEvent returns the valid SaleCommitted event p describes, lines
// numbered from 1, with no points.
func StatsSaleEvent(p StatsSale) *syncproto.Event {
	wall := p.At.UnixMilli()
	sc := &syncproto.SaleCommitted{
		SaleId: SaleID(p.Agent, p.Seq), StoreId: p.Store, LaneId: "lane-1", AgentSeq: p.Seq,
		AgentWallTimeMs: wall, MemberCard: p.Card, ReceiptNo: fmt.Sprintf("R%06d", p.Seq),
	}
	for i, l := range p.Lines {
		lt := (l.QuantityMilli*l.UnitPriceFen + 500) / 1000
		sc.Lines = append(sc.Lines, &syncproto.SaleLine{LineNo: uint32(i + 1), Sku: l.SKU, Category: l.Category,
			Name: "goods", QuantityMilli: l.QuantityMilli, UnitPriceFen: l.UnitPriceFen, LineTotalFen: lt})
		sc.TotalFen += lt
	}
	return &syncproto.Event{Seq: p.Seq, EventId: EventID(p.Agent, p.Seq), WallTimeMs: wall,
		Payload: &syncproto.Event_SaleCommitted{SaleCommitted: sc}}
}

// StatsReturnEvent returns a return of agent at seq refunding refunds
// (fen by original line no, lines 1..16) of origSale; origStore "" makes it
// a foreign return (no points entries either way).
func StatsReturnEvent(store, agent string, seq uint64, origSale, origStore string, at time.Time, refunds map[uint32]int64) *syncproto.Event {
	rc := &syncproto.ReturnCommitted{ReturnId: fmt.Sprintf("ret-%s-%d", agent, seq), OriginalSaleId: origSale,
		OriginalStoreId: origStore, StoreId: store, LaneId: "lane-1"}
	for no := uint32(1); no <= 16; no++ { // line order fixed, so payloads are stable
		if fen, ok := refunds[no]; ok {
			rc.Lines = append(rc.Lines, &syncproto.ReturnLine{OriginalLineNo: no, QuantityMilli: 1000, RefundFen: fen})
			rc.RefundFen += fen
		}
	}
	return &syncproto.Event{Seq: seq, EventId: EventID(agent, seq), WallTimeMs: at.UnixMilli(),
		Payload: &syncproto.Event_ReturnCommitted{ReturnCommitted: rc}}
}

// benchCategories are the categories MemberSaleBatch's lines cycle through.
var benchCategories = []string{"dairy", "bakery", "produce"}

// MemberSaleBatch returns a batch of store's agent of sales at seqs
// first..last, each of five lines in three categories (SKUs from a
// catalog of 200) at one minute apart from 2026-01-01. With members the
// sales carry one of 1000 cards in turn; without, the very same sales
// are anonymous, so the two differ only in the statistics work.
func MemberSaleBatch(store, agent string, first, last uint64, members bool) *syncproto.Batch {
	start := time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)
	events := make([]*syncproto.Event, 0, last-first+1)
	for seq := first; seq <= last; seq++ {
		p := StatsSale{Store: store, Agent: agent, Seq: seq, At: start.Add(time.Duration(seq) * time.Minute)}
		if members {
			p.Card = fmt.Sprintf("62000000%08d", seq%1000)
		}
		for i := range uint64(5) {
			p.Lines = append(p.Lines, StatsLine{SKU: fmt.Sprintf("SKU-%03d", (seq*7+i*13)%200),
				Category: benchCategories[i%3], QuantityMilli: 1000 + int64(i)*500, UnitPriceFen: 100 + int64(seq%50)})
		}
		events = append(events, StatsSaleEvent(p))
	}
	return Batch(store, agent, events...)
}

// statsStore returns s's MemberStatsStore, failing the test when s has
// none.
func statsStore(t *testing.T, s central.Store) central.MemberStatsStore {
	t.Helper()
	ms, ok := s.(central.MemberStatsStore)
	if !ok {
		t.Fatalf("%T does not implement central.MemberStatsStore", s)
	}
	return ms
}

func memberStats(t *testing.T, s central.Store, card string, now time.Time, months int) central.MemberActivity {
	t.Helper()
	a, err := statsStore(t, s).MemberStats(context.Background(), card, now, months)
	if err != nil {
		t.Fatalf("MemberStats(%s, %s, %d): %v", card, now.Format(time.DateOnly), months, err)
	}
	return a
}

func allMemberStats(t *testing.T, s central.Store, now time.Time, months int) []central.MemberActivity {
	t.Helper()
	var out []central.MemberActivity
	err := statsStore(t, s).AllMemberStats(context.Background(), now, months, func(a central.MemberActivity) error {
		out = append(out, a)
		return nil
	})
	if err != nil {
		t.Fatalf("AllMemberStats: %v", err)
	}
	return out
}

func favourites(t *testing.T, s central.Store, card string, now time.Time, months, limit int) central.MemberFavourites {
	t.Helper()
	f, err := statsStore(t, s).Favourites(context.Background(), card, now, months, limit)
	if err != nil {
		t.Fatalf("Favourites(%s): %v", card, err)
	}
	return f
}

func wantNoStats(t *testing.T, s central.Store, card string, now time.Time) {
	t.Helper()
	_, err := statsStore(t, s).MemberStats(context.Background(), card, now, 0)
	if code := central.ErrorCode(err); code != central.ENOTFOUND {
		t.Fatalf("MemberStats(%q) err = %v (code %q), want %s", card, err, code, central.ENOTFOUND)
	}
}
