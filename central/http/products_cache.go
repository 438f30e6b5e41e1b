package http

import (
	"context"
	"sync"
	"time"

	"github.com/tillsync/tillsync/central"
)

// productsWait is how long a customers page waits for its best sellers
// before it is served without them (they keep being computed, and the
// page says so).
const productsWait = 10 * time.Second

// productsTimeout bounds one computation of a run's best sellers.
const productsTimeout = 30 * time.Minute

// productsCache computes the customers page's best sellers once per
// classification run. Over a large chain that is a scan of every member's
// product statistics (seconds to minutes), too slow for every page view.
// A run is never updated, so its result is kept until a newer run shows
// up; the figures are those of the first view after the run. It is a
// per-process cache of a report, not state that decides anything: each
// central instance computes its own.
type productsCache struct {
	mu      sync.Mutex
	runID   int64
	done    chan struct{} // closed when tp/err are set for runID
	tp      central.TopProducts
	err     error
	compute func(ctx context.Context, runID int64) (central.TopProducts, error)
}

// get returns run's best sellers, waiting up to wait for a computation in
// progress; pending reports that it is still running.
func (c *productsCache) get(ctx context.Context, runID int64, wait time.Duration) (tp central.TopProducts, pending bool, err error) {
	c.mu.Lock()
	if c.runID != runID || c.done == nil {
		c.runID, c.done = runID, make(chan struct{})
		done := c.done
		go func() {
			cctx, cancel := context.WithTimeout(context.Background(), productsTimeout)
			defer cancel()
			tp, err := c.compute(cctx, runID)
			c.mu.Lock()
			if c.runID == runID {
				c.tp, c.err = tp, err
				if err != nil {
					c.done = nil // computed again at the next view
				}
			}
			c.mu.Unlock()
			close(done)
		}()
	}
	done := c.done
	c.mu.Unlock()
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		return central.TopProducts{}, true, nil
	case <-ctx.Done():
		return central.TopProducts{}, true, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.runID != runID {
		return central.TopProducts{}, true, nil // a newer run took over meanwhile
	}
	return c.tp, false, c.err
}
