package drivers

import (
	"context"
	"time"
)

// Backoff spaces out reconnect attempts: Min, doubling per failed
// attempt, capped at Max. Sleep is injected so tests need not wait; nil
// means a real timer that returns early with ctx.Err() when ctx ends.
type Backoff struct {
	Min, Max time.Duration
	Sleep    func(ctx context.Context, d time.Duration) error
}

// DefaultBackoff retries after 100 ms, doubling up to 5 s: a re-plugged
// scanner is back within a blink, and an absent one costs little.
func DefaultBackoff() Backoff {
	return Backoff{Min: 100 * time.Millisecond, Max: 5 * time.Second}
}

// Delay returns the wait before retry number attempt (0-based).
func (b Backoff) Delay(attempt int) time.Duration {
	d := b.Min
	if d <= 0 {
		d = time.Millisecond
	}
	for i := 0; i < attempt && d < b.Max; i++ {
		d *= 2
	}
	if b.Max > 0 && d > b.Max {
		d = b.Max
	}
	return d
}

// Wait sleeps Delay(attempt) and returns ctx.Err() if ctx ended first.
func (b Backoff) Wait(ctx context.Context, attempt int) error {
	if b.Sleep != nil {
		return b.Sleep(ctx, b.Delay(attempt))
	}
	return SleepContext(ctx, b.Delay(attempt))
}

// SleepContext waits d or until ctx ends, whichever is first, and returns
// ctx.Err() in the latter case. It leaves no goroutine or timer behind.
func SleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
