package bolt

import (
	"context"
	"errors"
	"fmt"

	"github.com/tillsync/tillsync/syncproto"
	bbolt "go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"
)

// Check verifies the ledger file: bbolt's own page consistency check, then
// that the journal is one contiguous run of seqs ending at most at the
// head, that each entry decodes and holds its own seq, and that the sale,
// return and enrollment indexes match the journal's sales, returns and
// enrollments one to one. It returns every problem found joined in one
// error, or nil. It holds a read transaction for the whole walk, so run
// it at start-up or from the ledger check command, not on a busy till.
func (l *Ledger) Check(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return l.db.View(func(tx *bbolt.Tx) error {
		var errs []error
		for err := range tx.Check() {
			errs = append(errs, fmt.Errorf("bbolt: %w", err))
		}
		if err := checkIndex(tx); err != nil {
			errs = append(errs, err)
		}
		return errors.Join(errs...)
	})
}

func checkIndex(tx *bbolt.Tx) error {
	journal := tx.Bucket([]byte(bucketJournal))
	indexes := map[string]*bbolt.Bucket{
		bucketSales: tx.Bucket([]byte(bucketSales)), bucketReturns: tx.Bucket([]byte(bucketReturns)),
		bucketEnrollments: tx.Bucket([]byte(bucketEnrollments)),
	}
	if journal == nil || indexes[bucketSales] == nil || indexes[bucketReturns] == nil || indexes[bucketEnrollments] == nil {
		return fmt.Errorf("%w: journal, sales, returns or enrollments bucket missing", ErrNotLedger)
	}
	var prev uint64
	counts := make(map[string]int, len(indexes))
	err := journal.ForEach(func(k, v []byte) error {
		seq, ok := parseU64(k)
		if !ok {
			return fmt.Errorf("%w: journal key %x is not a seq", ErrJournalDamaged, k)
		}
		if prev != 0 && seq != prev+1 {
			return fmt.Errorf("%w: journal jumps from %d to %d", ErrJournalDamaged, prev, seq)
		}
		prev = seq
		var ev syncproto.Event
		if err := proto.Unmarshal(v, &ev); err != nil {
			return fmt.Errorf("%w: journal %d: %v", ErrJournalDamaged, seq, err)
		}
		if ev.GetSeq() != seq {
			return fmt.Errorf("%w: journal key %d holds event seq %d", ErrJournalDamaged, seq, ev.GetSeq())
		}
		d := compactableOf(seq, &ev)
		if d.index == "" {
			return nil
		}
		if got, _ := parseU64(indexes[d.index].Get([]byte(d.id))); got != seq {
			return fmt.Errorf("%w: %s entry %s at seq %d is indexed at %d", ErrJournalDamaged, d.index, d.id, seq, got)
		}
		counts[d.index]++
		return nil
	})
	if err != nil {
		return err
	}
	if head := journal.Sequence(); prev > head {
		return fmt.Errorf("%w: journal entry %d above head %d", ErrJournalDamaged, prev, head)
	}
	for name, b := range indexes {
		if got := b.Stats().KeyN; got != counts[name] {
			return fmt.Errorf("%w: %s index has %d entries, journal %d events of that kind", ErrJournalDamaged, name, got, counts[name])
		}
	}
	return nil
}
