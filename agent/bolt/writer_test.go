package bolt

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tillsync/tillsync/agent"
	bbolt "go.etcd.io/bbolt"
)

// inGroup runs fn, which must start n commits on l at once, with a writer
// whose first group waits for all n, and fails t unless they shared one
// transaction. The wait is bounded (10s) only so that a broken fn fails
// the test instead of hanging it. l's own writer is back when it returns.
func inGroup(tb testing.TB, l *Ledger, n int, fn func()) {
	tb.Helper()
	w := swapWriter(l, 10*time.Second, n)
	fn()
	w.stop()
	l.writer = newWriter(l.db, DefaultBatchDelay, 1)
	if g, c := w.groups.Load(), w.commits.Load(); g != 1 || c != uint64(n) {
		tb.Errorf("%d commits in %d transactions, want %d in 1", c, g, n)
	}
}

// swapWriter replaces l's writer with one whose first group waits up to
// delay for expect commits. No commit may be in progress.
func swapWriter(l *Ledger, delay time.Duration, expect int) *writer {
	l.writer.stop()
	l.writer = newWriter(l.db, delay, expect)
	return l.writer
}

// commitAll commits sales from one goroutine each and returns their errors
// in the order of sales.
func commitAll(l *Ledger, sales []*agent.Sale) []error {
	errs := make([]error, len(sales))
	var wg sync.WaitGroup
	for i, s := range sales {
		wg.Go(func() { errs[i] = l.CommitSale(context.Background(), s) })
	}
	wg.Wait()
	return errs
}

func TestWriter_Commit(t *testing.T) {
	ctx := context.Background()

	t.Run("GroupSharesOneTransaction", func(t *testing.T) {
		l := mustOpen(t, tempPath(t), testOptions())
		sales := make([]*agent.Sale, 8)
		for i := range sales {
			sales[i] = memberSale(t, fmt.Sprintf("sale-%d", i), fmt.Sprintf("L%d", i), testCard, 3, i, 10)
		}
		var errs []error
		inGroup(t, l, len(sales), func() { errs = commitAll(l, sales) })
		seqs := make(map[string]uint64)
		for i, err := range errs {
			if err != nil {
				t.Fatalf("CommitSale(%s) = %v", sales[i].ID, err)
			}
			seqs[sales[i].ID] = sales[i].Seq
		}
		checkSeqs(t, seqs, len(sales))
		if got := len(mustLocalEntries(t, l, testCard)); got != 2*len(sales) {
			t.Errorf("%d points entries, want %d", got, 2*len(sales))
		}
	})

	// A sale refused by its check (ECONFLICT) fails alone: its neighbours
	// in the transaction commit with gap-free seqs, and so does a second
	// sale of one id in the same group.
	t.Run("ErrConflictFailsAlone", func(t *testing.T) {
		l := mustOpen(t, tempPath(t), testOptions())
		commitN(t, l, 1) // sale-1 at seq 1
		sales := []*agent.Sale{
			newSale(t, "sale-2", "L1", 2, 2),
			newSale(t, "sale-1", "L2", 2, 3), // already recorded
			newSale(t, "sale-3", "L3", 2, 4),
			newSale(t, "sale-3", "L4", 2, 5), // the same id twice in one group
			newSale(t, "sale-4", "L5", 2, 6),
		}
		var errs []error
		inGroup(t, l, len(sales), func() { errs = commitAll(l, sales) })
		seqs := map[string]uint64{"sale-1": 1}
		conflicts := 0
		for i, err := range errs {
			switch {
			case agent.ErrorCode(err) == agent.ECONFLICT:
				conflicts++
			case err != nil:
				t.Errorf("CommitSale(%s) = %v, want nil or ECONFLICT", sales[i].ID, err)
			default:
				seqs[sales[i].ID] = sales[i].Seq
			}
		}
		if conflicts != 2 || agent.ErrorCode(errs[1]) != agent.ECONFLICT {
			t.Errorf("errors %v, want ECONFLICT for the second sale-1 and one sale-3", errs)
		}
		checkSeqs(t, seqs, 4)
	})

	// Every check fails: the group writes nothing and skips its fsync.
	t.Run("AllRefused", func(t *testing.T) {
		l := mustOpen(t, tempPath(t), testOptions())
		commitN(t, l, 2)
		sales := []*agent.Sale{newSale(t, "sale-1", "L1", 2, 1), newSale(t, "sale-2", "L2", 2, 2)}
		var errs []error
		inGroup(t, l, len(sales), func() { errs = commitAll(l, sales) })
		for i, err := range errs {
			if agent.ErrorCode(err) != agent.ECONFLICT {
				t.Errorf("CommitSale(%s) = %v, want ECONFLICT", sales[i].ID, err)
			}
		}
		if st := mustStatus(t, l); st.LastSeq != 2 {
			t.Errorf("LastSeq = %d, want 2", st.LastSeq)
		}
	})

	// An apply that fails after writing rolls its group back; the others
	// are retried without it and commit, and its own write is gone.
	t.Run("ErrApplyFailsAlone", func(t *testing.T) {
		for _, mode := range []string{"Error", "Panic"} {
			t.Run(mode, func(t *testing.T) {
				testApplyFailsAlone(t, mode == "Panic")
			})
		}
	})

	t.Run("ErrClosed", func(t *testing.T) {
		l, err := Open(tempPath(t), testOptions())
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		err = l.CommitSale(ctx, newSale(t, "sale-1", "L1", 1, 1))
		if !errors.Is(err, ErrClosed) {
			t.Errorf("CommitSale() after Close = %v, want ErrClosed", err)
		}
	})
}

// testApplyFailsAlone commits three keys in one group, the middle one's
// apply writing its key and then failing (or panicking).
func testApplyFailsAlone(t *testing.T, panics bool) {
	l := mustOpen(t, tempPath(t), testOptions())
	const bucket = "writer_test"
	if err := l.db.Update(func(tx *bbolt.Tx) error {
		_, err := tx.CreateBucket([]byte(bucket))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer func() { // leave the file as the ledger's checks expect it
		if err := l.db.Update(func(tx *bbolt.Tx) error { return tx.DeleteBucket([]byte(bucket)) }); err != nil {
			t.Error(err)
		}
	}()
	w := swapWriter(l, 10*time.Second, 3)
	errBroken := errors.New("broken")
	put := func(key string, fail bool) func(*bbolt.Tx) error {
		return func(tx *bbolt.Tx) error {
			if err := tx.Bucket([]byte(bucket)).Put([]byte(key), []byte("v")); err != nil {
				return err
			}
			switch {
			case fail && panics:
				panic("broken")
			case fail:
				return errBroken
			}
			return nil
		}
	}
	keys := []string{"a", "b", "c"}
	errs := make([]error, len(keys))
	var wg sync.WaitGroup
	for i, k := range keys {
		wg.Go(func() { errs[i] = w.commit(noCheck, put(k, k == "b")) })
	}
	wg.Wait()
	switch {
	case errs[0] != nil || errs[2] != nil:
		t.Errorf("neighbours of the failing commit got %v, %v, want nil", errs[0], errs[2])
	case panics && (errs[1] == nil || !strings.Contains(errs[1].Error(), "panicked")):
		t.Errorf("panicking commit got %v, want a panicked error", errs[1])
	case !panics && !errors.Is(errs[1], errBroken):
		t.Errorf("failing commit got %v, want %v", errs[1], errBroken)
	}
	// One rolled-back attempt, then the two others together, then b alone.
	if g, c := w.groups.Load(), w.commits.Load(); g != 2 || c != 3 {
		t.Errorf("%d commits answered in %d transactions, want 3 in 2", c, g)
	}
	err := l.db.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(bucket))
		if b.Get([]byte("a")) == nil || b.Get([]byte("c")) == nil || b.Get([]byte("b")) != nil {
			return fmt.Errorf("want keys a and c only")
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
}

// testConcurrentDurable (a subtest of TestLedger_CommitSale) has lanes
// commit member sales at once through the group commit; after a reopen
// every sale, its points and a gap-free journal are there: a commit that
// returned was durable, whatever group it shared.
func testConcurrentDurable(t *testing.T) {
	const lanes, perLane = 8, 40
	ctx := context.Background()
	path := tempPath(t)
	l, err := Open(path, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu  sync.Mutex
		ids []string
		wg  sync.WaitGroup
	)
	for lane := range lanes {
		wg.Go(func() {
			for i := range perLane {
				s := memberSale(t, fmt.Sprintf("L%d-%d", lane, i), fmt.Sprintf("L%d", lane), testCard, 4, i, 10)
				if err := l.CommitSale(ctx, s); err != nil {
					t.Errorf("CommitSale(%s) = %v", s.ID, err)
					return
				}
				mu.Lock()
				ids = append(ids, s.ID)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l = mustOpen(t, path, testOptions())
	for _, id := range ids {
		if _, err := l.Sale(ctx, id); err != nil {
			t.Errorf("after reopen, Sale(%s) = %v", id, err)
		}
	}
	if st := mustStatus(t, l); len(ids) != lanes*perLane || st.LastSeq != uint64(len(ids)) {
		t.Errorf("%d sales committed, journal head %d, want %d both", len(ids), st.LastSeq, lanes*perLane)
	}
	if got := len(mustLocalEntries(t, l, testCard)); got != 2*lanes*perLane {
		t.Errorf("%d points entries after reopen, want %d", got, 2*lanes*perLane)
	}
	if err := l.Check(ctx); err != nil {
		t.Errorf("Check() after reopen = %v", err)
	}
}
