package bolt

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tillsync/tillsync/agent"
	bbolt "go.etcd.io/bbolt"
)

const (
	testStore = "S001"
	testAgent = "A01"
)

// at returns the wall time of test sale i: i minutes after a fixed instant
// with a millisecond part, which the journal keeps exactly.
func at(i int) time.Time {
	return time.Date(2025, 3, 14, 9, 26, 53, 589_000_000, time.UTC).Add(time.Duration(i) * time.Minute)
}

func testOptions() Options {
	var n atomic.Int64
	return Options{
		StoreID: testStore, AgentID: testAgent,
		Now:        func() time.Time { return at(0) },
		NewEventID: func() string { return fmt.Sprintf("ev-%d", n.Add(1)) },
	}
}

// tempPath returns a fresh ledger path in t's temp dir.
func tempPath(tb testing.TB) string {
	return filepath.Join(tb.TempDir(), "ledger.db")
}

// mustOpen opens the ledger at path and, on cleanup, closes it and checks
// the file: bbolt's page consistency and the ledger's own invariants.
func mustOpen(tb testing.TB, path string, opts Options) *Ledger {
	tb.Helper()
	l, err := Open(path, opts)
	if err != nil {
		tb.Fatalf("Open(%q) = %v", path, err)
	}
	tb.Cleanup(func() {
		if err := l.Close(); err != nil {
			tb.Errorf("Close() = %v", err)
		}
		checkFile(tb, path)
	})
	return l
}

// checkFile runs tx.Check on the closed ledger file at path and verifies
// that the journal is one contiguous run of seqs ending at most at the head
// and that the sale index and the journal's sale events match one to one.
func checkFile(tb testing.TB, path string) {
	tb.Helper()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true, Timeout: 5 * time.Second})
	if err != nil {
		tb.Fatalf("check: open %q: %v", path, err)
	}
	defer func() {
		if err := db.Close(); err != nil {
			tb.Errorf("check: close: %v", err)
		}
	}()
	err = db.View(func(tx *bbolt.Tx) error {
		for err := range tx.Check() {
			tb.Errorf("check: %v", err)
		}
		return checkIndex(tx)
	})
	if err != nil {
		tb.Errorf("check: %v", err)
	}
}

// newSale builds a valid sale of n lines on lane at at(i).
func newSale(tb testing.TB, id, lane string, n, i int) *agent.Sale {
	tb.Helper()
	in := agent.SaleInput{LaneID: lane, MemberCard: "6225880112345678"}
	for j := range n {
		in.Lines = append(in.Lines, agent.LineInput{
			SKU: fmt.Sprintf("SKU%03d", j), Barcode: fmt.Sprintf("69012345%05d", j), Name: "苹果 富士",
			QuantityMilli: int64(333 + j), UnitPriceFen: int64(1099 + j),
		})
	}
	s, err := in.Build(id, testStore, at(i))
	if err != nil {
		tb.Fatalf("build sale: %v", err)
	}
	return s
}

// commitN commits n 2-line sales "sale-1".."sale-n" on lane L1, sale i at at(i).
func commitN(tb testing.TB, l *Ledger, n int) {
	tb.Helper()
	for i := 1; i <= n; i++ {
		if err := l.CommitSale(context.Background(), newSale(tb, fmt.Sprintf("sale-%d", i), "L1", 2, i)); err != nil {
			tb.Fatalf("commit sale %d: %v", i, err)
		}
	}
}

func mustStatus(tb testing.TB, l *Ledger) agent.LedgerStatus {
	tb.Helper()
	st, err := l.Status(context.Background())
	if err != nil {
		tb.Fatalf("Status() = %v", err)
	}
	return st
}
