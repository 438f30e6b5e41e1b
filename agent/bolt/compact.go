package bolt

import (
	"context"
	"fmt"
	"time"

	"github.com/tillsync/tillsync/agent"
	"github.com/tillsync/tillsync/syncproto"
	bbolt "go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"
)

// Compact deletes acked journal entries (seq ≤ watermark) whose wall time
// is before keepAfter, oldest first, at most max per call, together with
// their sale index entries (Sale then answers ENOTFOUND for them). It stops
// at the first entry it must keep, so the journal stays one contiguous run
// of seqs; the journal head is untouched, so later seqs continue without a
// gap. It returns the number of entries deleted; call it again while that
// equals max. max must be ≥ 1.
func (l *Ledger) Compact(ctx context.Context, keepAfter time.Time, max int) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("compact journal: %w", err)
	}
	if max < 1 {
		return 0, agent.Errorf(agent.EINVALID, "compact of %d entries: max must be at least 1", max)
	}
	var n int
	err := l.db.Update(func(tx *bbolt.Tx) (err error) {
		n, err = compact(tx, keepAfter, max)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("compact journal: %w", err)
	}
	if n > 0 {
		l.logger.Info("journal compacted", "entries", n, "keep_after", keepAfter)
	}
	return n, nil
}

func compact(tx *bbolt.Tx, keepAfter time.Time, max int) (int, error) {
	wm, err := watermark(tx)
	if err != nil {
		return 0, err
	}
	journal, sales := tx.Bucket([]byte(bucketJournal)), tx.Bucket([]byte(bucketSales))
	// Collect first, delete after: bbolt's cursor is not specified to stay
	// on course when the bucket changes under it.
	var doomed []compactable
	c := journal.Cursor()
	for k, v := c.First(); k != nil && len(doomed) < max; k, v = c.Next() {
		e, err := journalEntry(k, v)
		if err != nil {
			return 0, err
		}
		if e.Seq > wm || !e.WallTime.Before(keepAfter) {
			break
		}
		var ev syncproto.Event
		if err := proto.Unmarshal(e.Event, &ev); err != nil {
			return 0, fmt.Errorf("journal entry %d: %w: %w", e.Seq, ErrJournalDamaged, err)
		}
		doomed = append(doomed, compactable{seq: e.Seq, saleID: ev.GetSaleCommitted().GetSaleId()})
	}
	for _, d := range doomed {
		if d.saleID != "" {
			if err := sales.Delete([]byte(d.saleID)); err != nil {
				return 0, fmt.Errorf("delete sale index %s: %w", d.saleID, err)
			}
		}
		if err := journal.Delete(u64(d.seq)); err != nil {
			return 0, fmt.Errorf("delete journal entry %d: %w", d.seq, err)
		}
	}
	return len(doomed), nil
}

// compactable is a journal entry Compact will delete, with the sale index
// key to delete with it ("" for an event that is not a sale).
type compactable struct {
	seq    uint64
	saleID string
}
