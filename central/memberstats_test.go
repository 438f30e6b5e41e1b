package central_test

import (
	"testing"
	"time"

	"github.com/tillsync/tillsync/central"
	"github.com/tillsync/tillsync/syncproto"
)

func TestNewStatsWindow(t *testing.T) {
	now := time.Date(2026, 2, 15, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		months, wantMonths, first, last, annual int
	}{
		{0, 12, 202503, 202602, 202503},
		{1, 1, 202602, 202602, 202503},
		{2, 2, 202601, 202602, 202503},
		{3, 3, 202512, 202602, 202503},
		{26, 26, 202401, 202602, 202503},
		{central.MaxStatsMonths, 120, 201603, 202602, 202503},
	} {
		w, err := central.NewStatsWindow(now, tt.months)
		if err != nil {
			t.Fatalf("NewStatsWindow(%d): %v", tt.months, err)
		}
		if w.Months != tt.wantMonths || w.FirstMonth != tt.first || w.LastMonth != tt.last || w.AnnualFirstMonth() != tt.annual {
			t.Errorf("NewStatsWindow(%d) = %+v (annual from %d); want %d months %d..%d, annual from %d",
				tt.months, w, w.AnnualFirstMonth(), tt.wantMonths, tt.first, tt.last, tt.annual)
		}
	}
	for _, months := range []int{-1, central.MaxStatsMonths + 1} {
		if _, err := central.NewStatsWindow(now, months); central.ErrorCode(err) != central.EINVALID {
			t.Errorf("NewStatsWindow(%d) err = %v, want %s", months, err, central.EINVALID)
		}
	}
	// A month is the month in the time's own zone (the chain's calendar):
	// 23:30 on 31 December in UTC−1 is December there, January in UTC.
	at := time.Date(2025, 12, 31, 23, 30, 0, 0, time.FixedZone("x", -3600))
	if got := central.MonthOf(at); got != 202512 {
		t.Errorf("MonthOf = %d, want 202512", got)
	}
	if got := central.MonthOf(at.UTC()); got != 202601 {
		t.Errorf("MonthOf(UTC) = %d, want 202601", got)
	}
}

func TestActivityChange_AddReturn(t *testing.T) {
	sale := &syncproto.SaleCommitted{SaleId: "s1", MemberCard: "6200001234567890", TotalFen: 3000,
		AgentWallTimeMs: time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC).UnixMilli(),
		Lines: []*syncproto.SaleLine{
			{LineNo: 1, Sku: "A", Category: "dairy", QuantityMilli: 1000, UnitPriceFen: 1000, LineTotalFen: 1000},
			{LineNo: 2, Sku: "B", QuantityMilli: 1000, UnitPriceFen: 2000, LineTotalFen: 2000},
		}}
	ret := func(no uint32, fen int64) *syncproto.ReturnCommitted {
		return &syncproto.ReturnCommitted{Lines: []*syncproto.ReturnLine{{OriginalLineNo: no, RefundFen: fen}}}
	}
	var c central.ActivityChange
	c.AddSale(sale)
	refunded := map[uint32]int64{}
	c.AddReturn(sale, ret(1, 600), refunded)
	c.AddReturn(sale, ret(1, 900), refunded) // only 400 left of line 1
	c.AddReturn(sale, ret(7, 100), refunded) // no such line
	if refunded[1] != 1000 || len(refunded) != 1 {
		t.Fatalf("refunded = %v, want line 1: 1000", refunded)
	}
	cards, months := c.Cards(), c.Months()
	if len(cards) != 1 || cards[0].SpendFen != 2000 || cards[0].Visits != 1 || cards[0].LargestFen != 3000 || !cards[0].HasPurchase {
		t.Fatalf("Cards = %+v", cards)
	}
	if len(months) != 1 || months[0].Month != 202601 || months[0].SpendFen != 2000 {
		t.Fatalf("Months = %+v", months)
	}
	if cats := c.Items(central.ItemCategory); len(cats) != 1 || cats[0].Key != "dairy" || cats[0].SpendFen != 0 {
		t.Fatalf("categories = %+v; line 2 has none, line 1 fully refunded", cats)
	}
	var anon central.ActivityChange
	sale.MemberCard = ""
	anon.AddSale(sale)
	anon.AddReturn(sale, ret(1, 100), map[uint32]int64{})
	if !anon.Empty() {
		t.Fatalf("an anonymous sale and its return changed statistics: %+v", anon.Cards())
	}
}
