package bolt

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tillsync/tillsync/agent"
)

func TestLedger_CommitSale(t *testing.T) {
	ctx := context.Background()

	t.Run("OK", func(t *testing.T) {
		l := mustOpen(t, tempPath(t), testOptions())
		tests := []struct {
			id, lane    string
			wantSeq     uint64
			wantReceipt string
		}{
			{"sale-1", "L1", 1, "S001-L1-000001"},
			{"sale-2", "L2", 2, "S001-L2-000002"},
			{"sale-3", "L1", 3, "S001-L1-000003"},
		}
		for _, tt := range tests {
			s := newSale(t, tt.id, tt.lane, 5, 0)
			if err := l.CommitSale(ctx, s); err != nil {
				t.Fatalf("CommitSale(%s) = %v", tt.id, err)
			}
			if s.Seq != tt.wantSeq || s.ReceiptNo != tt.wantReceipt {
				t.Errorf("CommitSale(%s) set seq %d receipt %q, want %d %q", tt.id, s.Seq, s.ReceiptNo, tt.wantSeq, tt.wantReceipt)
			}
		}
	})

	t.Run("GapFreeAcrossReopen", func(t *testing.T) {
		path := tempPath(t)
		for round := range 3 {
			l := mustOpen(t, path, testOptions())
			for i := 1; i <= 4; i++ {
				s := newSale(t, fmt.Sprintf("r%d-%d", round, i), "L1", 1, i)
				if err := l.CommitSale(ctx, s); err != nil {
					t.Fatal(err)
				}
				if want := uint64(round*4 + i); s.Seq != want {
					t.Errorf("round %d sale %d got seq %d, want %d", round, i, s.Seq, want)
				}
			}
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
		}
	})

	t.Run("StampsZeroWallTime", func(t *testing.T) {
		l := mustOpen(t, tempPath(t), testOptions())
		s := newSale(t, "sale-1", "L1", 1, 5)
		s.WallTime = time.Time{}
		if err := l.CommitSale(ctx, s); err != nil {
			t.Fatal(err)
		}
		if !s.WallTime.Equal(at(0)) {
			t.Errorf("WallTime = %v, want the ledger clock's %v", s.WallTime, at(0))
		}
	})

	t.Run("ErrConflict", func(t *testing.T) {
		l := mustOpen(t, tempPath(t), testOptions())
		commitN(t, l, 2)
		dup := newSale(t, "sale-2", "L9", 3, 9)
		before := *dup
		err := l.CommitSale(ctx, dup)
		if code := agent.ErrorCode(err); code != agent.ECONFLICT {
			t.Fatalf("CommitSale(duplicate) = %v (code %q), want ECONFLICT", err, code)
		}
		if !reflect.DeepEqual(*dup, before) {
			t.Errorf("failed CommitSale changed the sale: %+v, was %+v", *dup, before)
		}
		if st := mustStatus(t, l); st.LastSeq != 2 {
			t.Errorf("LastSeq after conflict = %d, want 2", st.LastSeq)
		}
		got, err := l.Sale(ctx, "sale-2")
		if err != nil || got.LaneID != "L1" {
			t.Errorf("Sale(sale-2) = %+v, %v; want the original on lane L1", got, err)
		}
		next := newSale(t, "sale-3", "L1", 1, 3)
		if err := l.CommitSale(ctx, next); err != nil || next.Seq != 3 {
			t.Errorf("CommitSale after conflict = seq %d, %v; want seq 3 (no gap)", next.Seq, err)
		}
	})

	// The sale, its points entries and the end of its basket are one commit.
	t.Run("PointsAndBasket", func(t *testing.T) {
		l := mustOpen(t, tempPath(t), testOptions())
		for _, b := range []*agent.Basket{testBasket("sale-1", "L1"), testBasket("other", "L2")} {
			if err := l.SaveBasket(ctx, b); err != nil {
				t.Fatal(err)
			}
		}
		s := memberSale(t, "sale-1", "L1", testCard, 3, 1, 300)
		if err := l.CommitSale(ctx, s); err != nil {
			t.Fatalf("CommitSale() = %v", err)
		}
		if _, err := l.Basket(ctx, "L1"); agent.ErrorCode(err) != agent.ENOTFOUND {
			t.Errorf("Basket(L1) after its sale = %v, want ENOTFOUND", err)
		}
		if _, err := l.Basket(ctx, "L2"); err != nil {
			t.Errorf("Basket(L2) of another sale = %v, want kept", err)
		}
		if got := mustLocalEntries(t, l, testCard); !reflect.DeepEqual(got, s.Points) || got[0].At != s.WallTime {
			t.Errorf("LocalEntries() = %+v, want the sale's %+v at its wall time", got, s.Points)
		}
		got, err := l.Sale(ctx, "sale-1")
		if err != nil || !reflect.DeepEqual(got, s) {
			t.Errorf("Sale() =\n%+v, %v\nwant\n%+v", got, err, s)
		}
	})

	// A sale refused as a duplicate writes neither its points nor deletes
	// the basket carrying its id.
	t.Run("ErrConflictWritesNothing", func(t *testing.T) {
		l := mustOpen(t, tempPath(t), testOptions())
		if err := l.CommitSale(ctx, memberSale(t, "sale-1", "L1", testCard, 1, 1, 100)); err != nil {
			t.Fatal(err)
		}
		if err := l.SaveBasket(ctx, testBasket("sale-1", "L2")); err != nil {
			t.Fatal(err)
		}
		before := mustLocalEntries(t, l, testCard)
		err := l.CommitSale(ctx, memberSale(t, "sale-1", "L2", testCard, 2, 2, 500))
		if agent.ErrorCode(err) != agent.ECONFLICT {
			t.Fatalf("CommitSale(duplicate) = %v, want ECONFLICT", err)
		}
		if _, err := l.Basket(ctx, "L2"); err != nil {
			t.Errorf("Basket(L2) after a refused sale = %v, want kept", err)
		}
		if got := mustLocalEntries(t, l, testCard); !reflect.DeepEqual(got, before) {
			t.Errorf("LocalEntries() after a refused sale = %+v, want %+v", got, before)
		}
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		l := mustOpen(t, tempPath(t), testOptions())
		tests := []struct {
			name string
			edit func(*agent.Sale)
		}{
			{"NoID", func(s *agent.Sale) { s.ID = "" }},
			{"LongID", func(s *agent.Sale) { s.ID = strings.Repeat("x", maxSaleIDLen+1) }},
			{"OtherStore", func(s *agent.Sale) { s.StoreID = "S002" }},
			{"PointsWithoutCard", func(s *agent.Sale) {
				s.Points = []agent.PointsEntry{{ID: "e1", Kind: agent.PointsEarn, Points: 5}}
			}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				s := newSale(t, "sale-x", "L1", 1, 0)
				tt.edit(s)
				if err := l.CommitSale(ctx, s); agent.ErrorCode(err) != agent.EINVALID {
					t.Errorf("CommitSale() = %v, want EINVALID", err)
				}
			})
		}
		if st := mustStatus(t, l); st.LastSeq != 0 {
			t.Errorf("LastSeq after invalid sales = %d, want 0", st.LastSeq)
		}
	})

	t.Run("ErrCanceled", func(t *testing.T) {
		l := mustOpen(t, tempPath(t), testOptions())
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if err := l.CommitSale(cctx, newSale(t, "sale-1", "L1", 1, 0)); !errors.Is(err, context.Canceled) {
			t.Errorf("CommitSale(canceled) = %v, want context.Canceled", err)
		}
	})

	t.Run("Concurrent", func(t *testing.T) {
		const lanes, perLane = 8, 200
		l := mustOpen(t, tempPath(t), testOptions())
		seqs := commitConcurrently(t, l, lanes, func(lane, i int) string { return fmt.Sprintf("L%d-%d", lane, i) }, perLane)
		checkSeqs(t, seqs, lanes*perLane)
		for id := range seqs {
			if _, err := l.Sale(ctx, id); err != nil {
				t.Errorf("Sale(%s) = %v", id, err)
			}
		}
	})

	t.Run("ConcurrentDurable", testConcurrentDurable)

	// Lanes race to commit the same sale ids through the group commit: each
	// id lands once, every other attempt is told ECONFLICT, and the failures
	// leave no gap and do not fail their group neighbours (writer_test.go
	// pins the grouping down; here it is whatever the race makes it).
	t.Run("ConcurrentConflicts", func(t *testing.T) {
		const lanes, ids = 4, 100
		l := mustOpen(t, tempPath(t), testOptions())
		seqs := commitConcurrently(t, l, lanes, func(_, i int) string { return fmt.Sprintf("sale-%d", i) }, ids)
		checkSeqs(t, seqs, ids)
	})
}

// commitConcurrently runs lanes goroutines each committing n sales named by
// id(lane, i). It returns the seq of every sale committed; a sale refused
// with ECONFLICT is left out, any other error fails t.
func commitConcurrently(t *testing.T, l *Ledger, lanes int, id func(lane, i int) string, n int) map[string]uint64 {
	t.Helper()
	var (
		mu   sync.Mutex
		seqs = make(map[string]uint64)
		wg   sync.WaitGroup
	)
	for lane := range lanes {
		wg.Go(func() {
			for i := range n {
				s := newSale(t, id(lane, i), fmt.Sprintf("L%d", lane), 3, i)
				err := l.CommitSale(context.Background(), s)
				if agent.ErrorCode(err) == agent.ECONFLICT {
					continue
				}
				if err != nil {
					t.Errorf("CommitSale(%s) = %v", s.ID, err)
					return
				}
				mu.Lock()
				if prev, dup := seqs[s.ID]; dup {
					t.Errorf("sale %s committed twice (seq %d and %d)", s.ID, prev, s.Seq)
				}
				seqs[s.ID] = s.Seq
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return seqs
}

// checkSeqs verifies that seqs holds exactly the seqs 1..n, once each.
func checkSeqs(t *testing.T, seqs map[string]uint64, n int) {
	t.Helper()
	if len(seqs) != n {
		t.Errorf("%d sales committed, want %d", len(seqs), n)
	}
	seen := make(map[uint64]string, len(seqs))
	for id, seq := range seqs {
		if seq < 1 || seq > uint64(n) {
			t.Errorf("sale %s has seq %d outside 1..%d", id, seq, n)
		}
		if other, dup := seen[seq]; dup {
			t.Errorf("seq %d given to %s and %s", seq, id, other)
		}
		seen[seq] = id
	}
}

func TestLedger_Sale(t *testing.T) {
	ctx := context.Background()

	t.Run("OK", func(t *testing.T) {
		l := mustOpen(t, tempPath(t), testOptions())
		commitN(t, l, 1)
		want := newSale(t, "sale-2", "L3", 5, 2)
		want.WallTime = want.WallTime.Add(123456 * time.Nanosecond) // sub-millisecond: dropped on the wire
		if err := l.CommitSale(ctx, want); err != nil {
			t.Fatal(err)
		}
		got, err := l.Sale(ctx, "sale-2")
		if err != nil {
			t.Fatalf("Sale() = %v", err)
		}
		want.WallTime = want.WallTime.Truncate(time.Millisecond)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Sale() =\n%+v\nwant\n%+v", got, want)
		}
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		l := mustOpen(t, tempPath(t), testOptions())
		commitN(t, l, 1)
		_, err := l.Sale(ctx, "no-such-sale")
		if code := agent.ErrorCode(err); code != agent.ENOTFOUND {
			t.Fatalf("Sale(unknown) = %v (code %q), want ENOTFOUND", err, code)
		}
	})
}
