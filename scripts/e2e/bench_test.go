package e2e

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// backlogSales is the size of the offline backlog the drain benchmark syncs.
const backlogSales = 10_000

// BenchmarkBacklogDrain measures how long an agent takes to sync a backlog
// of 10,000 sales recorded while central was unreachable: from the moment
// the agent reports its link up until central has acknowledged every sale.
// The real binaries run as processes (central with its embedded broker and
// SQLite). Run it with scripts/bench.sh or
//
//	go test -run '^$' -bench BacklogDrain -benchtime 1x ./scripts/e2e/
func BenchmarkBacklogDrain(b *testing.B) {
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		dir := b.TempDir()
		brokerAddr := freeAddr(b)
		a := startAgent(b, dir, "store-1", "store-1-a1", "tcp://"+brokerAddr)
		fillBacklog(b, a.api, backlogSales)
		c := startCentral(b, centralOpts{dir: dir, brokerAddr: brokerAddr})
		waitFor(b, 2*time.Minute, "agent to connect", func() bool { return a.status(b).Connected })
		connectedAt := time.Now()
		b.StartTimer()
		waitFor(b, 10*time.Minute, "backlog to drain", func() bool { return a.status(b).OutboxDepth == 0 })
		b.StopTimer()
		drain := time.Since(connectedAt)
		b.ReportMetric(drain.Seconds(), "drain-s")
		b.ReportMetric(float64(backlogSales)/drain.Seconds(), "sales/s")
		c.kill(b)
		a.kill(b)
	}
}

// fillBacklog records n sales from 8 lanes at once (the ledger's group
// commit makes this far faster than one lane).
func fillBacklog(b *testing.B, api string, n int) {
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Int64
	for lane := 1; lane <= 8; lane++ {
		wg.Add(1)
		go func(lane int) {
			defer wg.Done()
			for next.Add(1) <= int64(n) {
				body := map[string]any{"lane": fmt.Sprintf("lane-%d", lane), "lines": []map[string]any{
					{"sku": "MILK", "quantity_milli": 2000, "unit_price_fen": 599},
					{"sku": "APPLE", "quantity_milli": 1250, "unit_price_fen": 1099},
				}}
				if code, _, err := postJSON(context.Background(), api+"/v1/sales", body); err != nil || code != 201 {
					failed.Add(1)
				}
			}
		}(lane)
	}
	wg.Wait()
	if failed.Load() > 0 {
		b.Fatalf("%d of %d backlog sales failed", failed.Load(), n)
	}
}
