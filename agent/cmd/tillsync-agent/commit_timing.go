package main

import (
	"context"
	"time"

	"github.com/tillsync/tillsync/agent"
	"github.com/tillsync/tillsync/agent/bolt"
)

// timedLedger is the ledger with every sale commit timed: the duration of
// CommitSale is what a till waits for between tender and "done" (DESIGN
// §4: the answer comes only after the fsync, group-committed with other
// lanes). Embedding *bolt.Ledger keeps every other method, so the optional
// interfaces the agent finds by type assertion (agent.Downstream, ...)
// are still found.
type timedLedger struct {
	*bolt.Ledger
	observe func(time.Duration)
	now     func() time.Time
}

var _ agent.TillStore = (*timedLedger)(nil)

// CommitSale implements agent.Ledger, recording the commit's duration
// whether it succeeded or not (a failed commit kept the till waiting too).
func (l *timedLedger) CommitSale(ctx context.Context, s *agent.Sale) error {
	start := l.now()
	err := l.Ledger.CommitSale(ctx, s)
	l.observe(l.now().Sub(start))
	return err
}
