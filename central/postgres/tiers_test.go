package postgres

import (
	"context"
	"testing"
)

// TestDB_TryRecalcLock: of two instances on one database, one holds the
// recalculation lock at a time; releasing it lets the other take it.
func TestDB_TryRecalcLock(t *testing.T) {
	dsn := freshDSN(t)
	a, b := openDB(t, dsn), openDB(t, dsn)
	ctx := context.Background()
	release, ok, err := a.TryRecalcLock(ctx)
	if err != nil || !ok {
		t.Fatalf("first TryRecalcLock = %t, %v; want the lock", ok, err)
	}
	if _, ok, err := b.TryRecalcLock(ctx); err != nil || ok {
		t.Fatalf("second instance's TryRecalcLock = %t, %v; want refused while held", ok, err)
	}
	release()
	release2, ok, err := b.TryRecalcLock(ctx)
	if err != nil || !ok {
		t.Fatalf("TryRecalcLock after release = %t, %v; want the lock", ok, err)
	}
	release2()
}
