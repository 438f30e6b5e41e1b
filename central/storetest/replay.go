package storetest

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/tillsync/tillsync/central"
	"github.com/tillsync/tillsync/syncproto"
	"google.golang.org/protobuf/proto"
)

// Upgrader rewrites the stored payload of agent a1's quarantined event at
// seq — in its events row and its quarantine row — to payload. It stands
// in for the upgrade that is replay's main use: a newer central decodes,
// from the very bytes stored, an event of a kind this build did not know
// (reason unknown_kind). One process cannot run two builds, so the suite
// swaps the bytes for ones this build decodes instead.
type Upgrader func(t *testing.T, s central.Store, seq uint64, payload []byte)

// RunReplay runs the part of the ReplayQuarantined contract that needs an
// upgrade: the backend's test passes an Upgrader writing its own tables.
func RunReplay(t *testing.T, open Opener, upgrade Upgrader) {
	t.Run("Store_ReplayQuarantined_AfterUpgrade", func(t *testing.T) { testReplayUpgrade(t, open, upgrade) })
}

// testReplay is the part of the ReplayQuarantined contract needing no
// upgrade: an event whose cause is not fixed stays with its reason.
func testReplay(t *testing.T, open Opener) {
	tests := []struct {
		name   string
		reason string
		sales  int64 // sales applied: seqs 1 and 3, or all three
		setup  func(t *testing.T, s central.Store)
	}{
		{"StillUnknownKind", central.ReasonUnknownKind, 2, func(t *testing.T, s central.Store) {
			ingestSpoiled(t, s, func(ev *syncproto.Event) { ev.Payload = nil })
		}},
		{"StillBadData", central.ReasonBadData, 2, func(t *testing.T, s central.Store) {
			ingestSpoiled(t, s, func(ev *syncproto.Event) { ev.GetSaleCommitted().TotalFen++ })
		}},
		{"StillSeqReused", central.ReasonSeqConflict, 3, func(t *testing.T, s central.Store) {
			ingest(t, s, SaleBatch("s1", "a1", 1, 3))
			ev := SaleEvent("s1", "a1", 2)
			ev.EventId, ev.GetSaleCommitted().SaleId = "ev-other", "sale-other"
			ingest(t, s, Batch("s1", "a1", ev))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			tt.setup(t, s)
			q := quarantinedOne(t, s)
			for range 2 {
				res, err := s.ReplayQuarantined(context.Background(), q.ID)
				if err != nil {
					t.Fatalf("ReplayQuarantined(%d): %v", q.ID, err)
				}
				if res.Applied || !strings.HasPrefix(res.Reason, tt.reason+": ") || res.ID != q.ID ||
					res.AgentID != "a1" || res.Seq != 2 {
					t.Fatalf("ReplayQuarantined = %+v, want a1 seq 2 kept with reason %s", res, tt.reason)
				}
			}
			wantQuarantined(t, s, 2, tt.reason)
			total := SaleTotal(1) + SaleTotal(3)
			if tt.sales == 3 {
				total += SaleTotal(2)
			}
			wantSales(t, s, []central.StoreSales{{StoreID: "s1", Sales: tt.sales, TotalFen: total}})
		})
	}
	t.Run("ErrNotFound", func(t *testing.T) {
		s := open(t)
		_, err := s.ReplayQuarantined(context.Background(), 12345)
		if code := central.ErrorCode(err); code != central.ENOTFOUND {
			t.Fatalf("ReplayQuarantined(12345) = %v (code %q), want %s", err, code, central.ENOTFOUND)
		}
	})
}

// testReplayUpgrade: an unknown_kind event whose bytes a newer build
// decodes is applied by replay exactly once, however often it is replayed,
// also concurrently; one that then conflicts stays with its new reason.
func testReplayUpgrade(t *testing.T, open Opener, upgrade Upgrader) {
	applyOnce := func(t *testing.T, s central.Store, id int64, replays int) {
		t.Helper()
		results := make([]central.ReplayResult, replays)
		errs := make([]error, replays)
		var wg sync.WaitGroup
		for i := range replays {
			wg.Go(func() { results[i], errs[i] = s.ReplayQuarantined(context.Background(), id) })
		}
		wg.Wait()
		var applied int
		for i := range replays {
			switch {
			case errs[i] == nil && results[i].Applied:
				applied++
			case central.ErrorCode(errs[i]) != central.ENOTFOUND:
				t.Fatalf("replay %d = %+v, %v; want applied or %s", i, results[i], errs[i], central.ENOTFOUND)
			}
		}
		if applied != 1 {
			t.Fatalf("%d of %d replays applied the event, want 1", applied, replays)
		}
	}
	t.Run("AppliedOnce", func(t *testing.T) {
		for _, replays := range []int{1, 4} {
			s := open(t)
			ingestSpoiled(t, s, func(ev *syncproto.Event) { ev.Payload = nil })
			upgrade(t, s, 2, payload(t, SaleEvent("s1", "a1", 2)))
			q := quarantinedOne(t, s)
			applyOnce(t, s, q.ID, replays)
			// Twice: the row is gone, so a second replay applies nothing.
			if _, err := s.ReplayQuarantined(context.Background(), q.ID); central.ErrorCode(err) != central.ENOTFOUND {
				t.Fatalf("second replay: %v, want %s", err, central.ENOTFOUND)
			}
			want := []central.StoreSales{{StoreID: "s1", Sales: 3, TotalFen: SumTotals(1, 3)}}
			wantSales(t, s, want)
			if got, err := s.Quarantined(context.Background(), 10); err != nil || len(got) != 0 {
				t.Fatalf("Quarantined = %+v, %v; want none", got, err)
			}
			sale, err := s.Sale(context.Background(), SaleID("a1", 2))
			if err != nil || sale.Seq != 2 || sale.TotalFen != SaleTotal(2) || !sale.ReceivedAt.Equal(receivedAt) {
				t.Fatalf("Sale = %+v, %v; want seq 2 received %v", sale, err, receivedAt)
			}
			// A redelivery of the batch is a duplicate and changes nothing.
			b := SaleBatch("s1", "a1", 1, 3)
			wantResult(t, ingest(t, s, b), central.IngestResult{Duplicates: 3})
			wantSales(t, s, want)
		}
	})
	t.Run("SaleIDTakenKeepsNewReason", func(t *testing.T) {
		s := open(t)
		ingestSpoiled(t, s, func(ev *syncproto.Event) { ev.Payload = nil })
		ev := SaleEvent("s1", "a1", 2)
		ev.GetSaleCommitted().SaleId = SaleID("a1", 1)
		upgrade(t, s, 2, payload(t, ev))
		q := quarantinedOne(t, s)
		res, err := s.ReplayQuarantined(context.Background(), q.ID)
		if err != nil || res.Applied || !strings.HasPrefix(res.Reason, central.ReasonSaleIDConflict+": ") {
			t.Fatalf("ReplayQuarantined = %+v, %v; want kept as %s", res, err, central.ReasonSaleIDConflict)
		}
		wantQuarantined(t, s, 2, central.ReasonSaleIDConflict)
		wantSales(t, s, []central.StoreSales{{StoreID: "s1", Sales: 2, TotalFen: SaleTotal(1) + SaleTotal(3)}})
	})
}

// ingestSpoiled ingests sales 1..3 of s1/a1 with seq 2 spoiled, which must
// quarantine it.
func ingestSpoiled(t *testing.T, s central.Store, spoil func(ev *syncproto.Event)) {
	t.Helper()
	b := SaleBatch("s1", "a1", 1, 3)
	spoil(b.Events[1])
	wantResult(t, ingest(t, s, b), central.IngestResult{Applied: 2, Quarantined: 1})
}

// quarantinedOne returns the one quarantined event of s.
func quarantinedOne(t *testing.T, s central.Store) central.QuarantinedEvent {
	t.Helper()
	q, err := s.Quarantined(context.Background(), 10)
	if err != nil || len(q) != 1 {
		t.Fatalf("Quarantined = %+v, %v; want one event", q, err)
	}
	return q[0]
}

// payload encodes ev as the stores do.
func payload(t *testing.T, ev *syncproto.Event) []byte {
	t.Helper()
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(ev)
	if err != nil {
		t.Fatalf("marshal event: %v", err)
	}
	return b
}
