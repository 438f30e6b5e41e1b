package storetest

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/tillsync/tillsync/central"
)

func testSale(t *testing.T, open Opener) {
	s := open(t)
	ingest(t, s, SaleBatch("s1", "a1", 1, 2))
	t.Run("OK", func(t *testing.T) {
		got, err := s.Sale(context.Background(), SaleID("a1", 2))
		if err != nil {
			t.Fatalf("Sale: %v", err)
		}
		want := &central.Sale{
			ID: SaleID("a1", 2), AgentID: "a1", Seq: 2, StoreID: "s1", LaneID: "lane-1", ReceiptNo: "R000002",
			TotalFen: 200, MemberCard: "6200001234567890",
			AgentWallTime: time.UnixMilli(1767225602000).UTC(), ReceivedAt: receivedAt,
			Lines: []central.SaleLine{{No: 1, SKU: "SKU-1", Barcode: "6901234567892", Name: "rice 1kg",
				QuantityMilli: 1000, UnitPriceFen: 200, LineTotalFen: 200}},
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("Sale = %+v, want %+v", got, want)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := s.Sale(context.Background(), "no-such-sale")
		if code := central.ErrorCode(err); code != central.ENOTFOUND {
			t.Fatalf("err = %v (code %q), want %s", err, code, central.ENOTFOUND)
		}
	})
}

func testSalesByStore(t *testing.T, open Opener) {
	t.Run("Empty", func(t *testing.T) {
		wantSales(t, open(t), []central.StoreSales{})
	})
	t.Run("OrderedByStore", func(t *testing.T) {
		s := open(t)
		ingest(t, s, SaleBatch("s2", "a3", 1, 1))
		ingest(t, s, SaleBatch("s1", "a1", 1, 3))
		ingest(t, s, SaleBatch("s1", "a2", 1, 2))
		wantSales(t, s, []central.StoreSales{
			{StoreID: "s1", Sales: 5, TotalFen: SumTotals(1, 3) + SumTotals(1, 2)},
			{StoreID: "s2", Sales: 1, TotalFen: SaleTotal(1)},
		})
	})
}

func testAgents(t *testing.T, open Opener) {
	t.Run("Empty", func(t *testing.T) {
		if a := agents(t, open(t)); len(a) != 0 {
			t.Fatalf("Agents = %+v, want none", a)
		}
	})
	t.Run("GapAndSkew", func(t *testing.T) {
		s := open(t)
		early := SaleBatch("s1", "a1", 1, 5)
		early.SentAtMs = receivedAt.Add(-3 * time.Second).UnixMilli() // agent clock 3 s behind
		late := SaleBatch("s1", "a1", 8, 10)
		late.SentAtMs = receivedAt.Add(time.Minute + 2*time.Second).UnixMilli()
		ingest(t, s, early)
		if _, err := s.IngestBatch(context.Background(), late, receivedAt.Add(time.Minute)); err != nil {
			t.Fatalf("IngestBatch: %v", err)
		}
		ingest(t, s, SaleBatch("s0", "a0", 2, 3)) // seq 1 missing: nothing contiguous
		want := []central.AgentSync{
			{AgentID: "a0", StoreID: "s0", Events: 2, MaxSeq: 3, ContiguousThrough: 0, LastReceivedAt: receivedAt},
			{AgentID: "a1", StoreID: "s1", Events: 8, MaxSeq: 10, ContiguousThrough: 5,
				LastReceivedAt: receivedAt.Add(time.Minute), MaxClockSkew: 3 * time.Second},
		}
		if got := agents(t, s); !reflect.DeepEqual(got, want) {
			t.Fatalf("Agents = %+v\nwant %+v", got, want)
		}
	})
}
