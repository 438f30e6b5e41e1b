package bolt

import (
	"context"
	"fmt"

	bbolt "go.etcd.io/bbolt"
)

// metaSession is the meta key of the uplink's session counter: 8-byte
// big-endian, absent = 0, no session started yet.
const metaSession = "session"

// NextSession increments the uplink's session counter durably and returns
// the new value, the first being 1. The uplink takes one per connection
// and carries it in that connection's birth and last will, so central can
// tell a late death from an old connection (DESIGN §5 rule 3, Sparkplug's
// bdSeq). The value never repeats, across restarts included: it is
// committed before it is returned.
func (l *Ledger) NextSession(ctx context.Context) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("next session: %w", err)
	}
	var next uint64
	// Straight through bbolt, like SetPolicy: one small write per
	// connection is not worth a place in a till's group commit.
	err := l.db.Update(func(tx *bbolt.Tx) error {
		held, err := metaVersion(tx, metaSession)
		if err != nil {
			return err
		}
		next = held + 1
		return tx.Bucket([]byte(bucketMeta)).Put([]byte(metaSession), u64(next))
	})
	if err != nil {
		return 0, wrapUncoded(err, "next session")
	}
	return next, nil
}
