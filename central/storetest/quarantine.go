package storetest

import (
	"context"
	"strings"
	"testing"

	"github.com/tillsync/tillsync/central"
	"github.com/tillsync/tillsync/syncproto"
)

func testQuarantine(t *testing.T, open Opener) {
	sc := func(ev *syncproto.Event) *syncproto.SaleCommitted { return ev.GetSaleCommitted() }
	tests := []struct {
		name   string
		reason string
		spoil  func(ev *syncproto.Event) // applied to seq 2 of a batch 1..3
	}{
		{"UnknownKind", central.ReasonUnknownKind, func(ev *syncproto.Event) { ev.Payload = nil }},
		{"NoEventID", central.ReasonBadData, func(ev *syncproto.Event) { ev.EventId = "" }},
		{"TotalNotSumOfLines", central.ReasonBadData, func(ev *syncproto.Event) { sc(ev).TotalFen++ }},
		{"LineTotalWrong", central.ReasonBadData, func(ev *syncproto.Event) {
			sc(ev).Lines[0].LineTotalFen++
			sc(ev).TotalFen++
		}},
		{"NegativeQuantity", central.ReasonBadData, func(ev *syncproto.Event) {
			l := sc(ev).Lines[0]
			l.QuantityMilli, l.LineTotalFen = -l.QuantityMilli, -l.LineTotalFen
			sc(ev).TotalFen = l.LineTotalFen
		}},
		{"NoLines", central.ReasonBadData, func(ev *syncproto.Event) { sc(ev).Lines, sc(ev).TotalFen = nil, 0 }},
		{"StoreMismatch", central.ReasonBadData, func(ev *syncproto.Event) { sc(ev).StoreId = "s9" }},
		{"AgentSeqMismatch", central.ReasonBadData, func(ev *syncproto.Event) { sc(ev).AgentSeq = 7 }},
		{"SaleIDTaken", central.ReasonSaleIDConflict, func(ev *syncproto.Event) { sc(ev).SaleId = SaleID("a1", 1) }},
		{"EventIDTaken", central.ReasonEventIDConflict, func(ev *syncproto.Event) { ev.EventId = EventID("a1", 1) }},
		// PostgreSQL text cannot hold NUL; every store quarantines it alike.
		{"NULInText", central.ReasonBadData, func(ev *syncproto.Event) { sc(ev).Lines[0].Name = "rice\x001kg" }},
		{"NULInEventID", central.ReasonBadData, func(ev *syncproto.Event) { ev.EventId = "ev\x00-2" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			b := SaleBatch("s1", "a1", 1, 3)
			tt.spoil(b.Events[1])
			wantResult(t, ingest(t, s, b), central.IngestResult{Applied: 2, Quarantined: 1})
			// A redelivery neither re-applies nor re-quarantines.
			wantResult(t, ingest(t, s, b), central.IngestResult{Duplicates: 3})
			wantSales(t, s, []central.StoreSales{{StoreID: "s1", Sales: 2, TotalFen: SaleTotal(1) + SaleTotal(3)}})
			wantQuarantined(t, s, 2, tt.reason)
			// The quarantined event is stored: the agent's journal has no hole.
			if a := agents(t, s); len(a) != 1 || a[0].ContiguousThrough != 3 || a[0].Events != 3 {
				t.Fatalf("agents = %+v, want a1 with 3 events contiguous through 3", a)
			}
		})
	}
	t.Run("SeqReused", func(t *testing.T) {
		s := open(t)
		ingest(t, s, SaleBatch("s1", "a1", 1, 3))
		// A reset agent sends another sale under seq 2.
		ev := SaleEvent("s1", "a1", 2)
		ev.EventId, sc(ev).SaleId = "ev-other", "sale-other"
		b := Batch("s1", "a1", ev)
		wantResult(t, ingest(t, s, b), central.IngestResult{Quarantined: 1})
		wantResult(t, ingest(t, s, b), central.IngestResult{Duplicates: 1})
		wantSales(t, s, []central.StoreSales{{StoreID: "s1", Sales: 3, TotalFen: SumTotals(1, 3)}})
		wantQuarantined(t, s, 2, central.ReasonSeqConflict)
	})
}

// wantQuarantined checks that s holds exactly one quarantined event, agent
// a1's seq in store s1, with a reason of code.
func wantQuarantined(t *testing.T, s central.Store, seq uint64, code string) {
	t.Helper()
	q, err := s.Quarantined(context.Background(), 10)
	if err != nil {
		t.Fatalf("Quarantined: %v", err)
	}
	if len(q) != 1 {
		t.Fatalf("Quarantined = %+v, want one event", q)
	}
	got := q[0]
	if got.AgentID != "a1" || got.StoreID != "s1" || got.Seq != seq || !got.ReceivedAt.Equal(receivedAt) {
		t.Errorf("quarantined %+v, want a1/s1 seq %d received %v", got, seq, receivedAt)
	}
	if !strings.HasPrefix(got.Reason, code+": ") {
		t.Errorf("reason = %q, want code %q", got.Reason, code)
	}
}
