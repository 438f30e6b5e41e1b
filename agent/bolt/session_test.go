package bolt

import (
	"context"
	"testing"
)

func TestLedger_NextSession(t *testing.T) {
	ctx := context.Background()
	t.Run("IncreasesAcrossReopen", func(t *testing.T) {
		path := tempPath(t)
		l, err := Open(path, testOptions())
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		for want := uint64(1); want <= 3; want++ {
			got, err := l.NextSession(ctx)
			if err != nil || got != want {
				t.Fatalf("NextSession() = %d, %v; want %d", got, err, want)
			}
		}
		if err := l.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		l = mustOpen(t, path, testOptions())
		if got, err := l.NextSession(ctx); err != nil || got != 4 {
			t.Fatalf("NextSession() after reopen = %d, %v; want 4", got, err)
		}
	})
	t.Run("CanceledContext", func(t *testing.T) {
		l := mustOpen(t, tempPath(t), testOptions())
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := l.NextSession(cctx); err == nil {
			t.Fatal("NextSession(canceled) = nil error")
		}
		if got, err := l.NextSession(ctx); err != nil || got != 1 {
			t.Fatalf("NextSession() = %d, %v; want 1 (the canceled call took none)", got, err)
		}
	})
}
