package bolt

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/tillsync/tillsync/agent"
)

// testReturn returns qty thousandths of line lineNo (SKU sku) of saleID.
func testReturn(id, saleID string, lineNo int, sku string, qty int64) *agent.Return {
	return &agent.Return{
		ID: id, OriginalSaleID: saleID, OriginalStoreID: testStore, StoreID: testStore, LaneID: "L1",
		WallTime: at(50), RefundFen: qty,
		Lines:   []agent.ReturnLine{{OriginalLineNo: lineNo, SKU: sku, QuantityMilli: qty, RefundFen: qty}},
		Refunds: []agent.Tender{{Kind: agent.TenderCash, AmountFen: qty}},
	}
}

// saleOf2 commits sale id: one line (SKU000) of 2 units, as a member sale.
func saleOf2(tb testing.TB, l *Ledger, id string) *agent.Sale {
	tb.Helper()
	s := memberSale(tb, id, "L1", testCard, 1, 1, 100)
	s.Lines[0].QuantityMilli, s.Lines[0].LineTotalFen = 2000, 2198
	s.TotalFen = 2198
	if err := l.CommitSale(context.Background(), s); err != nil {
		tb.Fatal(err)
	}
	return s
}

func mustReturned(tb testing.TB, l *Ledger, saleID string) map[int]int64 {
	tb.Helper()
	got, err := l.Returned(context.Background(), saleID)
	if err != nil {
		tb.Fatalf("Returned(%s) = %v", saleID, err)
	}
	return got
}

func TestLedger_CommitReturn(t *testing.T) {
	ctx := context.Background()

	t.Run("PartialThenRest", func(t *testing.T) {
		path := tempPath(t)
		l := mustOpen(t, path, testOptions())
		saleOf2(t, l, "sale-1")
		first := testReturn("ret-1", "sale-1", 1, "SKU000", 500)
		first.Card = testCard
		first.Points = []agent.PointsEntry{{ID: "ret-1-rev", Kind: agent.PointsReverseEarn, Points: -5, Card: testCard, SaleID: "sale-1", PendingPoints: 5}}
		if err := l.CommitReturn(ctx, first); err != nil {
			t.Fatalf("CommitReturn(first) = %v", err)
		}
		if first.Seq != 2 || first.ReceiptNo != "R-S001-L1-000002" {
			t.Errorf("first return got seq %d receipt %q, want 2 R-S001-L1-000002", first.Seq, first.ReceiptNo)
		}
		rest := testReturn("ret-2", "sale-1", 1, "SKU000", 1500)
		if err := l.CommitReturn(ctx, rest); err != nil {
			t.Fatalf("CommitReturn(rest) = %v", err)
		}
		if got := mustReturned(t, l, "sale-1"); !reflect.DeepEqual(got, map[int]int64{1: 2000}) {
			t.Errorf("Returned() = %v, want line 1: 2000", got)
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		l = mustOpen(t, path, testOptions())
		got, err := l.ReturnByID(ctx, "ret-1")
		if err != nil || !reflect.DeepEqual(got, first) {
			t.Errorf("ReturnByID(ret-1) after reopen =\n%+v, %v\nwant\n%+v", got, err, first)
		}
		if es := mustLocalEntries(t, l, testCard); len(es) != 3 || es[2].ID != "ret-1-rev" {
			t.Errorf("LocalEntries() = %+v, want the sale's two then the return's reversal", es)
		}
		refuse(t, l, testReturn("ret-3", "sale-1", 1, "SKU000", 1), agent.ECONFLICT, "line 1 of sale sale-1 was already returned")
		if err := l.Check(ctx); err != nil {
			t.Errorf("Check() = %v", err)
		}
	})

	t.Run("ErrRefused", func(t *testing.T) {
		tests := []struct {
			name string
			ret  *agent.Return
			code string
			want string
		}{
			{"OverReturn", testReturn("r", "sale-1", 1, "SKU000", 2500), agent.ECONFLICT, "line 1 of sale sale-1 has only 1.5 left to return"},
			{"SameLineTwice", func() *agent.Return {
				r := testReturn("r", "sale-1", 1, "SKU000", 1000)
				r.Lines = append(r.Lines, r.Lines[0])
				return r
			}(), agent.ECONFLICT, "only 1.5 left"},
			{"NoSuchLine", testReturn("r", "sale-1", 2, "SKU000", 1), agent.EINVALID, "sale sale-1 has no line 2"},
			{"OtherSKU", testReturn("r", "sale-1", 1, "SKU999", 1), agent.EINVALID, "line 1 of sale sale-1 is SKU SKU000, not SKU999"},
			{"DuplicateID", testReturn("ret-0", "sale-1", 1, "SKU000", 1), agent.ECONFLICT, "return ret-0 is already recorded"},
			{"OtherStore", func() *agent.Return { r := testReturn("r", "sale-1", 1, "SKU000", 1); r.StoreID = "S002"; return r }(), agent.EINVALID, "this ledger is store"},
			{"NoLines", func() *agent.Return { r := testReturn("r", "sale-1", 1, "SKU000", 1); r.Lines = nil; return r }(), agent.EINVALID, "needs 1 to"},
			{"ZeroQuantity", testReturn("r", "sale-1", 1, "SKU000", 0), agent.EINVALID, "quantity_milli 0"},
			{"PointsWithoutCard", func() *agent.Return {
				r := testReturn("r", "sale-1", 1, "SKU000", 1)
				r.Points = []agent.PointsEntry{{Kind: agent.PointsReverseEarn, Points: -1}}
				return r
			}(), agent.EINVALID, "needs a card number"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				l := mustOpen(t, tempPath(t), testOptions())
				saleOf2(t, l, "sale-1")
				if err := l.CommitReturn(ctx, testReturn("ret-0", "sale-1", 1, "SKU000", 500)); err != nil {
					t.Fatal(err)
				}
				if tt.ret.Points == nil { // so that "nothing written" covers the points book
					tt.ret.Points = []agent.PointsEntry{{ID: "rev", Kind: agent.PointsReverseEarn, Points: -1, Card: testCard}}
				}
				refuse(t, l, tt.ret, tt.code, tt.want)
			})
		}
	})

	// A sale this store does not hold is returned without line checks (its
	// store, or central, knows what was sold) but still counted.
	t.Run("UnknownSale", func(t *testing.T) {
		l := mustOpen(t, tempPath(t), testOptions())
		for _, id := range []string{"ret-1", "ret-2"} {
			r := testReturn(id, "sale-of-S002", 4, "ANY", 5000)
			r.OriginalStoreID = "S002"
			if err := l.CommitReturn(ctx, r); err != nil {
				t.Fatalf("CommitReturn(%s) = %v", id, err)
			}
		}
		if got := mustReturned(t, l, "sale-of-S002"); !reflect.DeepEqual(got, map[int]int64{4: 10000}) {
			t.Errorf("Returned() = %v, want line 4: 10000", got)
		}
	})

	// Two lanes return the same line at once and only one return fits:
	// exactly one wins, whether the race put them in one group commit or
	// in two (Grouped pins them in one transaction).
	t.Run("ConcurrentSameLine", func(t *testing.T) {
		for _, mode := range []string{"Raced", "Grouped"} {
			t.Run(mode, func(t *testing.T) {
				l := mustOpen(t, tempPath(t), testOptions())
				for i := range 20 {
					saleID := fmt.Sprintf("sale-%d", i)
					saleOf2(t, l, saleID)
					var wins int
					if mode == "Grouped" {
						inGroup(t, l, 2, func() { wins = raceReturns(t, l, saleID) })
					} else {
						wins = raceReturns(t, l, saleID)
					}
					if wins != 1 {
						t.Errorf("%s: %d returns of 1.5 out of 2 won, want exactly 1", saleID, wins)
					}
					if got := mustReturned(t, l, saleID); got[1] != 1500 {
						t.Errorf("Returned(%s) = %v, want line 1: 1500", saleID, got)
					}
				}
				if err := l.Check(ctx); err != nil {
					t.Errorf("Check() = %v", err)
				}
			})
		}
	})
}

// raceReturns has two goroutines return 1.5 of line 1 of saleID at once
// and returns how many succeeded; every failure must be ECONFLICT.
func raceReturns(t *testing.T, l *Ledger, saleID string) int {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		wins int
	)
	for g := range 2 {
		wg.Go(func() {
			err := l.CommitReturn(context.Background(), testReturn(fmt.Sprintf("%s-ret-%d", saleID, g), saleID, 1, "SKU000", 1500))
			if err != nil && agent.ErrorCode(err) != agent.ECONFLICT {
				t.Errorf("CommitReturn() = %v, want nil or ECONFLICT", err)
			}
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				wins++
			}
		})
	}
	wg.Wait()
	return wins
}

// state is what a refused return must leave as it was.
type state struct {
	lastSeq  uint64
	returned map[int]int64 // of sale-1
	points   []agent.PointsEntry
}

func snapshot(t *testing.T, l *Ledger) state {
	t.Helper()
	return state{mustStatus(t, l).LastSeq, mustReturned(t, l, "sale-1"), mustLocalEntries(t, l, testCard)}
}

// refuse commits r, checks that it fails with code and message want, and
// that the refusal wrote nothing.
func refuse(t *testing.T, l *Ledger, r *agent.Return, code, want string) {
	t.Helper()
	before, copied := snapshot(t, l), *r
	err := l.CommitReturn(context.Background(), r)
	if agent.ErrorCode(err) != code || !strings.Contains(agent.ErrorMessage(err), want) {
		t.Fatalf("CommitReturn() = %v, want %s containing %q", err, code, want)
	}
	if after := snapshot(t, l); !reflect.DeepEqual(after, before) {
		t.Errorf("refused return changed the ledger from %+v to %+v", before, after)
	}
	if !reflect.DeepEqual(*r, copied) {
		t.Errorf("refused CommitReturn changed the return: %+v, was %+v", *r, copied)
	}
	if err := l.Check(context.Background()); err != nil {
		t.Errorf("Check() after a refused return = %v", err)
	}
}

func TestLedger_ReturnByID(t *testing.T) {
	t.Run("ErrNotFound", func(t *testing.T) {
		l := mustOpen(t, tempPath(t), testOptions())
		saleOf2(t, l, "sale-1")
		_, err := l.ReturnByID(context.Background(), "sale-1") // a sale is not a return
		if agent.ErrorCode(err) != agent.ENOTFOUND {
			t.Errorf("ReturnByID(sale id) = %v, want ENOTFOUND", err)
		}
	})
}

func TestLedger_Returned(t *testing.T) {
	t.Run("None", func(t *testing.T) {
		l := mustOpen(t, tempPath(t), testOptions())
		if got := mustReturned(t, l, "sale-1"); len(got) != 0 {
			t.Errorf("Returned() of nothing returned = %v, want empty", got)
		}
	})
}
