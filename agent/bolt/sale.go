package bolt

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/tillsync/tillsync/agent"
	"github.com/tillsync/tillsync/syncproto"
	bbolt "go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"
)

// maxSaleIDLen bounds a sale id used as a bbolt key (ids are UUIDv7, 36
// characters; bbolt's own limit is 32 KiB).
const maxSaleIDLen = 64

// CommitSale assigns the next journal seq to s, sets s.Seq and s.ReceiptNo
// ("{store}-{lane}-{seq:06}"), and writes the sale index entry, its
// SaleCommitted journal event and its points entries (filed under their
// cards), and deletes the lane's open basket if that basket's id is s.ID
// (the basket becomes the sale), all in one fsynced transaction (DESIGN
// §4). It returns only after that commit is on disk. A zero s.WallTime is
// stamped with the ledger's clock, since every event keeps the agent's
// wall time, and so is a points entry's zero At. On any error nothing is
// written and s is unchanged. A sale id already stored fails with an
// ECONFLICT *Error; a sale of another store or without an id, or with a
// points entry without a card, fails with EINVALID.
//
// ctx is checked before the commit starts; a commit once started runs to
// its end, since a caller who gave up could not know whether it landed.
func (l *Ledger) CommitSale(ctx context.Context, s *agent.Sale) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("commit sale %s: %w", s.ID, err)
	}
	if err := l.checkSale(s); err != nil {
		return err
	}
	c := commit{sale: *s, storeID: l.storeID, eventID: l.newEventID()}
	if c.sale.WallTime.IsZero() {
		c.sale.WallTime = l.now()
	}
	c.sale.Points = stampPoints(s.Points, c.sale.WallTime)
	if err := l.writer.commit(c.check, c.apply); err != nil {
		return wrapUncoded(err, "commit sale %s", s.ID)
	}
	s.Seq, s.ReceiptNo, s.WallTime, s.Points = c.sale.Seq, c.sale.ReceiptNo, c.sale.WallTime, c.sale.Points
	return nil
}

func (l *Ledger) checkSale(s *agent.Sale) error {
	switch {
	case s.ID == "" || len(s.ID) > maxSaleIDLen:
		return agent.Errorf(agent.EINVALID, "sale id must be 1 to %d characters", maxSaleIDLen)
	case s.StoreID != l.storeID:
		return agent.Errorf(agent.EINVALID, "sale %s is for store %q, this ledger is store %q", s.ID, s.StoreID, l.storeID)
	}
	return checkPoints("sale "+s.ID, s.Points)
}

// commit is one CommitSale's transaction. The group commit may run it
// several times — in a group that a neighbour's failure rolled back, then
// again in the retried group or alone — so every run starts from the
// caller's sale and re-derives the seq from the transaction it is in.
type commit struct {
	sale    agent.Sale // a copy: the caller's sale changes only on success
	storeID string
	eventID string // the same on every run: one sale, one event
}

// check fails with ECONFLICT when the sale id is already recorded,
// including by an earlier commit of the same group. It writes nothing, so
// the group commit fails this sale alone and commits the others.
func (c *commit) check(tx *bbolt.Tx) error {
	if tx.Bucket([]byte(bucketSales)).Get([]byte(c.sale.ID)) != nil {
		return agent.Errorf(agent.ECONFLICT, "sale %s is already recorded", c.sale.ID)
	}
	return nil
}

// apply writes the sale's journal event, index entry and points entries
// under the next seq, and deletes the lane's basket it came from.
func (c *commit) apply(tx *bbolt.Tx) error {
	sales, journal := tx.Bucket([]byte(bucketSales)), tx.Bucket([]byte(bucketJournal))
	// NextSequence belongs to the transaction: a rollback takes it back, so
	// the journal has no gaps.
	seq, err := journal.NextSequence()
	if err != nil {
		return fmt.Errorf("next seq: %w", err)
	}
	c.sale.Seq = seq
	c.sale.ReceiptNo = fmt.Sprintf("%s-%s-%06d", c.storeID, c.sale.LaneID, seq)
	ev, err := agent.EncodeSaleEvent(&c.sale, c.eventID)
	if err != nil {
		return err
	}
	if err := journal.Put(u64(seq), ev); err != nil {
		return fmt.Errorf("put journal %d: %w", seq, err)
	}
	if err := sales.Put([]byte(c.sale.ID), u64(seq)); err != nil {
		return fmt.Errorf("put sale index: %w", err)
	}
	if err := putPoints(tx, seq, c.sale.Points); err != nil {
		return err
	}
	return deleteBasket(tx, c.sale.LaneID, c.sale.ID)
}

// Sale returns the committed sale with id, decoded from its journal event,
// or an ENOTFOUND *Error (also for a sale whose entry was compacted away).
func (l *Ledger) Sale(ctx context.Context, id string) (*agent.Sale, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("sale %s: %w", id, err)
	}
	var raw []byte
	err := l.db.View(func(tx *bbolt.Tx) error {
		var err error
		raw, err = indexedEvent(tx, bucketSales, "sale", id)
		return err
	})
	if err != nil {
		return nil, wrapUncoded(err, "sale %s", id)
	}
	return decodeSale(id, raw)
}

func decodeSale(id string, raw []byte) (*agent.Sale, error) {
	var ev syncproto.Event
	if err := proto.Unmarshal(raw, &ev); err != nil {
		return nil, fmt.Errorf("sale %s: decode event: %w: %w", id, ErrJournalDamaged, err)
	}
	s, err := agent.SaleFromEvent(&ev)
	if err != nil {
		return nil, fmt.Errorf("sale %s: %w", id, err)
	}
	// The wire keeps no time per points entry; the sale's is theirs.
	s.Points = stampPoints(s.Points, s.WallTime)
	return s, nil
}

// wrapUncoded adds context to an internal error. A coded *agent.Error is
// returned as it is: its message is already written for the cashier and
// already names the sale.
func wrapUncoded(err error, format string, args ...any) error {
	var coded *agent.Error
	if errors.As(err, &coded) {
		return err
	}
	return fmt.Errorf(format+": %w", append(args, err)...)
}

// indexedEvent returns a copy of the journal entry that index bucket
// points id to, an ENOTFOUND *Error naming what when id is not indexed,
// or ErrJournalDamaged when the index or the entry is broken.
func indexedEvent(tx *bbolt.Tx, index, what, id string) ([]byte, error) {
	idx := tx.Bucket([]byte(index)).Get([]byte(id))
	if idx == nil {
		return nil, agent.Errorf(agent.ENOTFOUND, "%s %s not found", what, id)
	}
	seq, ok := parseU64(idx)
	if !ok {
		return nil, fmt.Errorf("index entry is %d bytes: %w", len(idx), ErrJournalDamaged)
	}
	v := tx.Bucket([]byte(bucketJournal)).Get(u64(seq))
	if v == nil {
		return nil, fmt.Errorf("journal entry %d is missing: %w", seq, ErrJournalDamaged)
	}
	return bytes.Clone(v), nil // v lives in the mmap only while tx is open
}
