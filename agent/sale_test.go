package agent_test

import (
	"strings"
	"testing"
	"time"

	"github.com/tillsync/tillsync/agent"
)

func TestLineTotal(t *testing.T) {
	tests := []struct {
		qty, price, want int64
	}{
		{1000, 599, 599},
		{2000, 599, 1198},
		{333, 1099, 366}, // 365.967 → 366
		{250, 1998, 500}, // 499.5 → 500 (half up)
		{1, 1, 0},        // 0.001 → 0
		{500, 1, 1},      // 0.5 → 1
		{0, 100, 0},
		{agent.MaxQuantityMilli, agent.MaxUnitPriceFen, agent.MaxQuantityMilli / 1000 * agent.MaxUnitPriceFen},
	}
	for _, tt := range tests {
		if got := agent.LineTotal(tt.qty, tt.price); got != tt.want {
			t.Errorf("LineTotal(%d, %d) = %d, want %d", tt.qty, tt.price, got, tt.want)
		}
	}
}

func TestSaleInput_Build(t *testing.T) {
	now := time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)
	in := &agent.SaleInput{LaneID: "lane-1", MemberCard: "8800123456789", Lines: []agent.LineInput{
		{SKU: "MILK", QuantityMilli: 2000, UnitPriceFen: 599},
		{Barcode: "2212345012345", Name: "苹果", QuantityMilli: 333, UnitPriceFen: 1099},
	}}
	s, err := in.Build("id-1", "store-1", now)
	if err != nil {
		t.Fatal(err)
	}
	if s.TotalFen != 1564 || len(s.Lines) != 2 || s.Lines[1].No != 2 || s.Lines[1].LineTotalFen != 366 ||
		s.StoreID != "store-1" || s.ID != "id-1" || !s.WallTime.Equal(now) {
		t.Errorf("built %+v", s)
	}
}

func TestSaleInput_Validate_Err(t *testing.T) {
	line := agent.LineInput{SKU: "A", QuantityMilli: 1000, UnitPriceFen: 100}
	tests := []struct {
		name string
		in   agent.SaleInput
		want []string
	}{
		{"ErrEverything", agent.SaleInput{}, []string{"lane: is required", "at least one line"}},
		{"ErrLane", agent.SaleInput{LaneID: "lane 1", Lines: []agent.LineInput{line}}, []string{"lane: may hold"}},
		{"ErrLineNoID", agent.SaleInput{LaneID: "l", Lines: []agent.LineInput{{QuantityMilli: 1000}}}, []string{"lines[0]: needs a sku or a barcode"}},
		{"ErrBarcodeControl", agent.SaleInput{LaneID: "l", Lines: []agent.LineInput{{Barcode: "12\n3", QuantityMilli: 1000}}}, []string{"lines[0].barcode"}},
		{"ErrZeroQuantity", agent.SaleInput{LaneID: "l", Lines: []agent.LineInput{{SKU: "A", UnitPriceFen: 1}}}, []string{"lines[0].quantity_milli: 0"}},
		{"ErrTooManyLines", agent.SaleInput{LaneID: "l", Lines: make([]agent.LineInput, agent.MaxLines+1)}, []string{"at most 500"}},
		{"ErrName", agent.SaleInput{LaneID: "l", Lines: []agent.LineInput{{SKU: "A", Name: "\xff", QuantityMilli: 1000}}}, []string{"lines[0].name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.in.Validate()
			if agent.ErrorCode(err) != agent.EINVALID {
				t.Fatalf("got %v, want an invalid error", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q does not mention %q", err, w)
				}
			}
		})
	}
	ok := agent.SaleInput{LaneID: "l", Lines: []agent.LineInput{{Barcode: "]C1010950600013435217201225\x1d21XYZ", QuantityMilli: 1}}}
	if err := ok.Validate(); err != nil {
		t.Errorf("GS1-128 barcode with GS rejected: %v", err)
	}
}

func TestMaskCard(t *testing.T) {
	for card, want := range map[string]string{
		"": "", "123": "***", "1234": "****", "12345": "*2345", "8800123456789": "*********6789",
	} {
		if got := agent.MaskCard(card); got != want {
			t.Errorf("MaskCard(%q) = %q, want %q", card, got, want)
		}
	}
}
