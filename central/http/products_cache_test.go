package http

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tillsync/tillsync/central"
)

// TestProductsCache_Get: a slow computation is served as pending and
// keeps running; once done its result is served without computing again;
// a newer run computes anew; a failure is computed again at the next view.
func TestProductsCache_Get(t *testing.T) {
	release := make(chan struct{})
	var calls atomic.Int32
	fail := atomic.Bool{}
	c := &productsCache{compute: func(ctx context.Context, runID int64) (central.TopProducts, error) {
		calls.Add(1)
		<-release
		if fail.Load() {
			return central.TopProducts{}, errors.New("boom")
		}
		return central.TopProducts{RunID: runID}, nil
	}}
	ctx := context.Background()
	if _, pending, err := c.get(ctx, 1, time.Millisecond); !pending || err != nil {
		t.Fatalf("slow computation: pending %v, err %v; want pending", pending, err)
	}
	close(release)
	tp, pending, err := c.get(ctx, 1, time.Minute)
	if pending || err != nil || tp.RunID != 1 {
		t.Fatalf("after it finished = %+v, %v, %v", tp, pending, err)
	}
	if tp, _, _ := c.get(ctx, 1, time.Minute); tp.RunID != 1 || calls.Load() != 1 {
		t.Errorf("second view computed again (%d calls)", calls.Load())
	}
	if tp, _, _ := c.get(ctx, 2, time.Minute); tp.RunID != 2 || calls.Load() != 2 {
		t.Errorf("newer run = %+v after %d calls, want run 2 computed", tp, calls.Load())
	}
	fail.Store(true)
	if _, _, err := c.get(ctx, 3, time.Minute); err == nil {
		t.Errorf("failed computation returned no error")
	}
	fail.Store(false)
	if tp, _, err := c.get(ctx, 3, time.Minute); err != nil || tp.RunID != 3 || calls.Load() != 4 {
		t.Errorf("after a failure = %+v, %v (%d calls); want computed again", tp, err, calls.Load())
	}
}
