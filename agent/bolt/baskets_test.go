package bolt

import (
	"context"
	"reflect"
	"testing"

	"github.com/tillsync/tillsync/agent"
)

func testBasket(id, lane string) *agent.Basket {
	m := testMember("6225880112345678")
	return &agent.Basket{
		ID: id, LaneID: lane, OpenedAt: at(1), Rev: 3, NextLineNo: 3,
		Lines: []agent.BasketLine{
			{No: 1, SKU: "A1", Barcode: "06901234567892", Name: "酱油 500ml", QuantityMilli: 2000, UnitPriceFen: 1290, MemberPriceFen: 1190, PointsEligible: true},
			{No: 2, SKU: "P7", Name: "猪肉 散装", QuantityMilli: 333, UnitPriceFen: 2680, Weighed: true, FixedTotalFen: 892, Voided: true},
		},
		Card: m.Card, Member: &m,
		Tenders: []agent.Tender{{Kind: agent.TenderPoints, AmountFen: 100, Points: 100}},
	}
}

func TestLedger_SaveBasket(t *testing.T) {
	ctx := context.Background()

	// A saved basket survives the agent's restart: that is why it is saved.
	t.Run("SurvivesReopen", func(t *testing.T) {
		path := tempPath(t)
		l := mustOpen(t, path, testOptions())
		b1, b2 := testBasket("b-1", "L1"), testBasket("b-2", "L2")
		for _, b := range []*agent.Basket{testBasket("b-0", "L1"), b1, b2} { // b-1 replaces b-0
			if err := l.SaveBasket(ctx, b); err != nil {
				t.Fatalf("SaveBasket(%s) = %v", b.ID, err)
			}
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		l = mustOpen(t, path, testOptions())
		got, err := l.Basket(ctx, "L1")
		if err != nil || !reflect.DeepEqual(got, b1) {
			t.Errorf("Basket(L1) after reopen = %+v, %v; want %+v", got, err, b1)
		}
		all, err := l.Baskets(ctx)
		if err != nil || !reflect.DeepEqual(all, []agent.Basket{*b1, *b2}) {
			t.Errorf("Baskets() = %+v, %v; want b-1, b-2", all, err)
		}
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		l := mustOpen(t, tempPath(t), testOptions())
		for _, b := range []*agent.Basket{nil, testBasket("", "L1"), testBasket("b-1", "")} {
			if err := l.SaveBasket(ctx, b); agent.ErrorCode(err) != agent.EINVALID {
				t.Errorf("SaveBasket(%+v) = %v, want EINVALID", b, err)
			}
		}
	})
}

func TestLedger_Basket(t *testing.T) {
	t.Run("ErrNotFound", func(t *testing.T) {
		l := mustOpen(t, tempPath(t), testOptions())
		if _, err := l.Basket(context.Background(), "L1"); agent.ErrorCode(err) != agent.ENOTFOUND {
			t.Errorf("Basket(L1) = %v, want ENOTFOUND", err)
		}
		if all, err := l.Baskets(context.Background()); err != nil || len(all) != 0 {
			t.Errorf("Baskets() = %v, %v; want none", all, err)
		}
	})
}

func TestLedger_DeleteBasket(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name, lane, id string
		wantKept       bool
	}{
		{"OK", "L1", "b-1", false},
		{"OtherID", "L1", "b-0", true}, // a late delete of an older basket
		{"OtherLane", "L2", "b-1", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := mustOpen(t, tempPath(t), testOptions())
			if err := l.SaveBasket(ctx, testBasket("b-1", "L1")); err != nil {
				t.Fatal(err)
			}
			if err := l.DeleteBasket(ctx, tt.lane, tt.id); err != nil {
				t.Fatalf("DeleteBasket(%s, %s) = %v", tt.lane, tt.id, err)
			}
			_, err := l.Basket(ctx, "L1")
			if kept := err == nil; kept != tt.wantKept {
				t.Errorf("after DeleteBasket(%s, %s): Basket(L1) = %v, want kept %v", tt.lane, tt.id, err, tt.wantKept)
			}
		})
	}
}
