package bolt

import (
	"context"
	"fmt"

	"github.com/tillsync/tillsync/agent"
	"github.com/tillsync/tillsync/syncproto"
	bbolt "go.etcd.io/bbolt"
)

var _ agent.EnrollStore = (*Ledger)(nil)

// SetEnrollBlock sets the store's block of enrollment card numbers (from
// config until central delivers blocks). The next number to hand out is
// persisted with the block, so a restart never hands one out twice. The
// same block again changes nothing; the same prefix and start with
// another end resizes the block and keeps its next number; any other
// block replaces the held one only when it overlaps none of the numbers
// already used from it (ECONFLICT otherwise, and the held block stays).
// A malformed block fails with EINVALID.
func (l *Ledger) SetEnrollBlock(ctx context.Context, prefix string, start, end uint64) error {
	b := agent.EnrollBlock{Prefix: prefix, Start: start, End: end, Next: start}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("set enroll block: %w", err)
	}
	if err := b.Validate(); err != nil {
		return err
	}
	var replaced bool
	err := l.db.Update(func(tx *bbolt.Tx) error {
		held, ok, err := enrollBlock(tx)
		switch {
		case err != nil:
			return err
		case ok && held.Prefix == b.Prefix && held.Start == b.Start:
			if held.End == b.End {
				return nil
			}
			b.Next = held.Next // resized: numbers already used stay used
		case ok && held.Prefix == b.Prefix && held.Next > held.Start && b.Start < held.Next && b.End >= held.Start:
			return agent.Errorf(agent.ECONFLICT,
				"enroll block %s %d..%d overlaps numbers already used (%d..%d): ask HQ for a block that does not",
				b.Prefix, b.Start, b.End, held.Start, held.Next-1)
		}
		replaced = true
		return putJSON(tx.Bucket([]byte(bucketMeta)), []byte(metaEnrollBlock), b)
	})
	if err != nil {
		return wrapUncoded(err, "set enroll block")
	}
	if replaced {
		l.logger.Info("enroll block set", "prefix", b.Prefix, "start", b.Start, "end", b.End, "next", b.Next)
	}
	return nil
}

// EnrollBlock returns the store's enrollment block with its next number,
// or an EUNAVAILABLE *Error when the store has none.
func (l *Ledger) EnrollBlock(ctx context.Context) (agent.EnrollBlock, error) {
	var b agent.EnrollBlock
	err := l.view(ctx, "enroll block", func(tx *bbolt.Tx) error {
		held, ok, err := enrollBlock(tx)
		if err == nil && !ok {
			err = errNoEnrollBlock()
		}
		b = held
		return err
	})
	return b, err
}

func errNoEnrollBlock() error {
	return agent.Errorf(agent.EUNAVAILABLE, "this store has no enrollment numbers: ask HQ for a block")
}

// enrollBlock reads the held block; ok is false when there is none.
func enrollBlock(tx *bbolt.Tx) (b agent.EnrollBlock, ok bool, err error) {
	ok, err = getJSON(tx.Bucket([]byte(bucketMeta)), []byte(metaEnrollBlock), &b)
	if err != nil {
		return b, false, fmt.Errorf("meta %s: %w", metaEnrollBlock, err)
	}
	return b, ok, nil
}

// CommitEnrollment takes the next free number of the enrollment block (a
// number whose card the member cache or an earlier enrollment already
// holds is skipped), calls e.AssignCard, and in one fsynced transaction
// writes the member to the cache, e's points entries to the points book,
// the qualifying sale's use, the MemberEnrolled journal event and its
// index entry, and the block's next number; it sets e.Seq. A zero
// e.WallTime (and a points entry's zero At) is stamped with the ledger's
// clock. It fails with EUNAVAILABLE when there is no block or it is used
// up, ECONFLICT when the qualifying sale already qualified an enrollment,
// ENOTFOUND when this ledger does not hold that sale, and EINVALID for an
// enrollment of another store, without a lane, masked name or sealed
// personal data; then nothing is written and e is unchanged.
func (l *Ledger) CommitEnrollment(ctx context.Context, e *agent.Enrollment) error {
	if e == nil {
		return agent.Errorf(agent.EINVALID, "no enrollment given")
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("commit enrollment: %w", err)
	}
	if err := l.checkEnrollment(e); err != nil {
		return err
	}
	c := enrollCommit{e: *e, storeID: l.storeID, eventID: l.newEventID()}
	if c.e.WallTime.IsZero() {
		c.e.WallTime = l.now()
	}
	if err := l.writer.commit(c.check, c.apply); err != nil {
		return wrapUncoded(err, "commit enrollment")
	}
	*e = c.e
	l.logger.Info("member enrolled", "card", agent.MaskCard(e.Member.Card), "seq", e.Seq,
		"lane", e.LaneID, "qualifying_sale", e.QualifyingSaleID)
	return nil
}

func (l *Ledger) checkEnrollment(e *agent.Enrollment) error {
	switch {
	case e.StoreID != l.storeID:
		return agent.Errorf(agent.EINVALID, "enrollment is for store %q, this ledger is store %q", e.StoreID, l.storeID)
	case e.LaneID == "" || len(e.LaneID) > maxKeyLen:
		return agent.Errorf(agent.EINVALID, "enrollment: lane must be 1 to %d characters", maxKeyLen)
	case e.Member.MaskedName == "" || len(e.SealedPersonal) == 0:
		return agent.Errorf(agent.EINVALID, "enrollment needs a masked name and sealed personal data")
	case len(e.QualifyingSaleID) > maxSaleIDLen:
		return agent.Errorf(agent.EINVALID, "enrollment: qualifying sale id is longer than %d characters", maxSaleIDLen)
	case len(e.Points) > 1 || (len(e.Points) == 1 && e.QualifyingSaleID == ""):
		// Compact finds the points of an enrollment by its qualifying
		// sale: at most one entry, at index 0.
		return agent.Errorf(agent.EINVALID, "enrollment may credit only its qualifying sale's points")
	}
	return nil
}

// enrollCommit is one CommitEnrollment's transaction; like commit, the
// group commit may run it several times, so every run starts from the
// caller's copy and re-reads the block from the transaction.
type enrollCommit struct {
	e       agent.Enrollment
	storeID string
	eventID string
	// block and n are what check found: the block held and the number to
	// take from it, for apply to use.
	block agent.EnrollBlock
	n     uint64
}

// check refuses a qualifying sale already used or not held and a block
// used up, seeing the enrollments committed earlier in the same group. It
// writes nothing, so a refusal fails this enrollment alone.
func (c *enrollCommit) check(tx *bbolt.Tx) error {
	if err := checkQualifyingFree(tx, c.e.QualifyingSaleID); err != nil {
		return err
	}
	block, n, err := nextEnrollNumber(tx)
	c.block, c.n = block, n
	return err
}

// apply assigns the card and writes the journal event under the next seq,
// its index entry, the member, the points entries, the qualifying sale's
// use and the block's next number.
func (c *enrollCommit) apply(tx *bbolt.Tx) error {
	c.e.Points = stampPoints(c.e.Points, c.e.WallTime)
	c.e.AssignCard(c.storeID, c.block.Card(c.n))
	card := []byte(c.e.Member.Card)
	journal := tx.Bucket([]byte(bucketJournal))
	seq, err := journal.NextSequence()
	if err != nil {
		return fmt.Errorf("next seq: %w", err)
	}
	c.e.Seq = seq
	ev, err := agent.EncodeEnrollmentEvent(&c.e, c.eventID)
	if err != nil {
		return err
	}
	if err := journal.Put(u64(seq), ev); err != nil {
		return fmt.Errorf("put journal %d: %w", seq, err)
	}
	if err := tx.Bucket([]byte(bucketEnrollments)).Put(card, u64(seq)); err != nil {
		return fmt.Errorf("put enrollment index: %w", err)
	}
	if err := putJSON(tx.Bucket([]byte(bucketMembers)), card, c.e.Member); err != nil {
		return fmt.Errorf("put member %s: %w", agent.MaskCard(c.e.Member.Card), err)
	}
	if err := putPoints(tx, seq, c.e.Points); err != nil {
		return err
	}
	if c.e.QualifyingSaleID != "" {
		if err := tx.Bucket([]byte(bucketEnrollSales)).Put([]byte(c.e.QualifyingSaleID), card); err != nil {
			return fmt.Errorf("put qualifying sale %s: %w", c.e.QualifyingSaleID, err)
		}
	}
	c.block.Next = c.n + 1
	return putJSON(tx.Bucket([]byte(bucketMeta)), []byte(metaEnrollBlock), c.block)
}

// checkQualifyingFree checks that sale id ("" for none) is held and has
// not qualified an enrollment yet: a sale qualifies one enrollment only.
func checkQualifyingFree(tx *bbolt.Tx, id string) error {
	if id == "" {
		return nil
	}
	if card := tx.Bucket([]byte(bucketEnrollSales)).Get([]byte(id)); card != nil {
		return agent.Errorf(agent.ECONFLICT, "sale %s already qualified the enrollment of card %s: enroll without it",
			id, agent.MaskCard(string(card)))
	}
	if tx.Bucket([]byte(bucketSales)).Get([]byte(id)) == nil {
		return agent.Errorf(agent.ENOTFOUND, "sale %s is not in this store's records: check the receipt, or enroll without it", id)
	}
	return nil
}

// nextEnrollNumber returns the held block and its next number whose card
// neither the member cache nor an earlier enrollment holds.
func nextEnrollNumber(tx *bbolt.Tx) (agent.EnrollBlock, uint64, error) {
	block, ok, err := enrollBlock(tx)
	if err != nil {
		return block, 0, err
	}
	if !ok {
		return block, 0, errNoEnrollBlock()
	}
	members, enrolled := tx.Bucket([]byte(bucketMembers)), tx.Bucket([]byte(bucketEnrollments))
	first := max(block.Next, block.Start)
	for n := first; n <= block.End && n != 0; n++ {
		card := []byte(block.Card(n))
		if members.Get(card) == nil && enrolled.Get(card) == nil {
			return block, n, nil
		}
		if n-first >= maxEnrollSkip {
			return block, 0, agent.Errorf(agent.EUNAVAILABLE, "the store's enrollment numbers clash with cards already issued; ask HQ for a new block")
		}
	}
	return block, 0, agent.Errorf(agent.EUNAVAILABLE, "the store's enrollment numbers are used up; ask HQ for a new block")
}

// maxEnrollSkip bounds the numbers one enrollment skips over because
// their cards are already issued, so a block that clashes with the member
// cache cannot hold the writer for long.
const maxEnrollSkip = 1000

// EnrolledBySale returns the card that sale id qualified at enrollment,
// or an ENOTFOUND *Error when it qualified none. A return of the sale
// should take the credited points back from that card.
func (l *Ledger) EnrolledBySale(ctx context.Context, id string) (string, error) {
	var card string
	err := l.view(ctx, "enrollment of sale "+id, func(tx *bbolt.Tx) error {
		v := tx.Bucket([]byte(bucketEnrollSales)).Get([]byte(id))
		if v == nil {
			return agent.Errorf(agent.ENOTFOUND, "sale %s qualified no enrollment", id)
		}
		card = string(v) // string() copies out of the mmap
		return nil
	})
	return card, err
}

// enrollCompactable is what Compact deletes with an enrollment's journal
// entry: its index entry and the qualifying sale's credit, filed at index
// 0 of its seq (checkEnrollment allows no other points). The qualifying
// sale's use is kept, so a compacted sale still cannot qualify twice.
func enrollCompactable(seq uint64, me *syncproto.MemberEnrolled) compactable {
	d := compactable{seq: seq, index: bucketEnrollments, id: me.GetMemberCard()}
	if me.GetQualifyingSaleId() != "" && me.GetMemberCard() != "" {
		d.points = []agent.PointsEntry{{Card: me.GetMemberCard()}}
	}
	return d
}
