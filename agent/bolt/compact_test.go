package bolt

import (
	"context"
	"fmt"
	"testing"

	"github.com/tillsync/tillsync/agent"
)

func TestLedger_Compact(t *testing.T) {
	ctx := context.Background()

	t.Run("OK", func(t *testing.T) {
		path := tempPath(t)
		l := mustOpen(t, path, testOptions())
		commitN(t, l, 10) // sale i at at(i)
		if err := l.SetWatermark(ctx, 6); err != nil {
			t.Fatal(err)
		}
		// Entries 1..7 are old enough, but only 1..6 are acked; two per call.
		for _, want := range []int{2, 2, 2, 0} {
			n, err := l.Compact(ctx, at(8), 2)
			if err != nil || n != want {
				t.Fatalf("Compact() = %d, %v; want %d", n, err, want)
			}
		}
		for i := 1; i <= 10; i++ {
			_, err := l.Sale(ctx, fmt.Sprintf("sale-%d", i))
			if want := i > 6; (err == nil) != want {
				t.Errorf("Sale(sale-%d) = %v, want found %v", i, err, want)
			}
			if err != nil && agent.ErrorCode(err) != agent.ENOTFOUND {
				t.Errorf("Sale(sale-%d) = %v, want ENOTFOUND", i, err)
			}
		}
		entries, err := l.Journal(ctx, 0, 100)
		if err != nil || len(entries) != 4 || entries[0].Seq != 7 {
			t.Fatalf("Journal() after compaction = %d entries from %v, %v; want 4 from seq 7", len(entries), entries, err)
		}
		if st := mustStatus(t, l); st.LastSeq != 10 || st.Watermark != 6 || !st.OldestUnacked.Equal(at(7)) {
			t.Errorf("Status() after compaction = %+v", st)
		}
	})

	// Compacting every entry leaves an empty journal whose head, and so the
	// next seq, survives a reopen.
	t.Run("EverythingThenReopen", func(t *testing.T) {
		path := tempPath(t)
		l := mustOpen(t, path, testOptions())
		commitN(t, l, 3)
		if err := l.SetWatermark(ctx, 3); err != nil {
			t.Fatal(err)
		}
		if n, err := l.Compact(ctx, at(100), 100); err != nil || n != 3 {
			t.Fatalf("Compact() = %d, %v; want 3", n, err)
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		l = mustOpen(t, path, testOptions())
		if st := mustStatus(t, l); st != (agent.LedgerStatus{LastSeq: 3, Watermark: 3}) {
			t.Errorf("Status() after reopen = %+v, want head 3 watermark 3", st)
		}
		s := newSale(t, "sale-4", "L1", 1, 4)
		if err := l.CommitSale(ctx, s); err != nil || s.Seq != 4 {
			t.Errorf("CommitSale() after compaction = seq %d, %v; want 4", s.Seq, err)
		}
		// Compaction forgets the sale: a lookup after it is ENOTFOUND.
		if _, err := l.Sale(ctx, "sale-1"); agent.ErrorCode(err) != agent.ENOTFOUND {
			t.Errorf("Sale(sale-1) = %v, want ENOTFOUND", err)
		}
	})

	// Compaction takes a return's index entry and every compacted event's
	// points entries with it; returned quantities stay.
	t.Run("ReturnsAndPoints", func(t *testing.T) {
		l := mustOpen(t, tempPath(t), testOptions())
		commitMixed(t, l, 4) // sale-i at seq 2i-1, ret-i at seq 2i
		if err := l.SetWatermark(ctx, 4); err != nil {
			t.Fatal(err)
		}
		if n, err := l.Compact(ctx, at(100), 100); err != nil || n != 4 {
			t.Fatalf("Compact() = %d, %v; want 4", n, err)
		}
		for _, id := range []string{"ret-1", "ret-2"} {
			if _, err := l.ReturnByID(ctx, id); agent.ErrorCode(err) != agent.ENOTFOUND {
				t.Errorf("ReturnByID(%s) after compaction = %v, want ENOTFOUND", id, err)
			}
		}
		if _, err := l.ReturnByID(ctx, "ret-3"); err != nil {
			t.Errorf("ReturnByID(ret-3) = %v", err)
		}
		if es := mustLocalEntries(t, l, testCard); len(es) != 6 || es[0].SaleID != "sale-3" {
			t.Errorf("LocalEntries() after compaction = %+v, want the 6 of sale-3 onwards", es)
		}
		if got := mustReturned(t, l, "sale-1"); got[1] != 1000 {
			t.Errorf("Returned(sale-1) after compaction = %v, want line 1: 1000", got)
		}
		if err := l.Check(ctx); err != nil {
			t.Errorf("Check() after compaction = %v", err)
		}
	})

	t.Run("ErrMax", func(t *testing.T) {
		l := mustOpen(t, tempPath(t), testOptions())
		if _, err := l.Compact(ctx, at(0), 0); agent.ErrorCode(err) != agent.EINVALID {
			t.Errorf("Compact(max 0) = %v, want EINVALID", err)
		}
	})
}
