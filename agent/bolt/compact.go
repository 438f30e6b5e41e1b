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
// their sale or return index entries (Sale and ReturnByID then answer
// ENOTFOUND for them) and their points entries: central holds them, and its
// balances count them. Returned quantities are kept, so Returned still
// answers for a compacted sale. It stops
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
	journal := tx.Bucket([]byte(bucketJournal))
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
		doomed = append(doomed, compactableOf(e.Seq, &ev))
	}
	for _, d := range doomed {
		if err := d.delete(tx); err != nil {
			return 0, err
		}
	}
	return len(doomed), nil
}

// compactable is a journal entry Compact will delete, with the index entry
// and points entries to delete with it.
type compactable struct {
	seq    uint64
	index  string // bucketSales, bucketReturns, bucketEnrollments, or "" for another event
	id     string // the sale or return id, the enrolled card
	points []agent.PointsEntry
}

func compactableOf(seq uint64, ev *syncproto.Event) compactable {
	if sc := ev.GetSaleCommitted(); sc != nil {
		return compactable{seq: seq, index: bucketSales, id: sc.GetSaleId(), points: agent.PointsEntriesFromWire(sc.GetPoints())}
	}
	if rc := ev.GetReturnCommitted(); rc != nil {
		return compactable{seq: seq, index: bucketReturns, id: rc.GetReturnId(), points: agent.PointsEntriesFromWire(rc.GetPoints())}
	}
	if me := ev.GetMemberEnrolled(); me != nil {
		return enrollCompactable(seq, me)
	}
	return compactable{seq: seq}
}

func (d compactable) delete(tx *bbolt.Tx) error {
	if d.index != "" {
		if err := tx.Bucket([]byte(d.index)).Delete([]byte(d.id)); err != nil {
			return fmt.Errorf("delete %s index %s: %w", d.index, d.id, err)
		}
	}
	if err := deletePoints(tx, d.seq, d.points); err != nil {
		return err
	}
	if err := tx.Bucket([]byte(bucketJournal)).Delete(u64(d.seq)); err != nil {
		return fmt.Errorf("delete journal entry %d: %w", d.seq, err)
	}
	return nil
}
