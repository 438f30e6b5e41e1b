package central

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/tillsync/tillsync/syncproto"
)

// CentralKeySize is the size of central's NaCl box public key.
const CentralKeySize = 32

// PublishCentralKey stores central's public key, which stores seal
// enrollment personal data to, as the next central_key version. Every
// version is whole (the key replaces the one held). The same key again
// publishes nothing and returns the version held. It fails with EINVALID
// for a key that is not 32 bytes or is all zero.
func PublishCentralKey(ctx context.Context, ds Downstreams, key []byte, now time.Time) (*StreamVersion, error) {
	if len(key) != CentralKeySize || bytes.Equal(key, make([]byte, CentralKeySize)) {
		return nil, Errorf(EINVALID, "central public key must be %d bytes, not all zero (a NaCl box public key), got %d", CentralKeySize, len(key))
	}
	whole := &syncproto.StreamContent{Content: &syncproto.StreamContent_CentralKey{
		CentralKey: &syncproto.CentralKeyContent{PublicKey: bytes.Clone(key)}}}
	return appendChange(ctx, ds, syncproto.StreamCentralKey, now, func(latest *StreamVersion) (*StreamVersion, bool) {
		if latest != nil && bytes.Equal(latest.Snapshot.GetCentralKey().GetPublicKey(), key) {
			return nil, false
		}
		return &StreamVersion{Delta: whole, Snapshot: whole, DeltaIsWhole: true}, true
	})
}

// maxEnrollCardLen is the longest card an enroll block may produce,
// prefix, number and check digit: the agent's limit (agent.EnrollBlock).
const maxEnrollCardLen = 19

// EnrollBlock is a block of card numbers HQ hands one store for offline
// enrollment (DESIGN §3). The store's cards are Prefix, the number
// zero-padded to the digits of Last, and a Luhn digit.
type EnrollBlock struct {
	Store       string
	Prefix      string // digits
	First, Last uint64 // inclusive
}

// Validate returns an EINVALID *Error naming what is wrong with b, or nil.
func (b EnrollBlock) Validate() error {
	switch {
	case syncproto.ValidID(b.Store) != nil:
		return Errorf(EINVALID, "store id %q is not a valid store id", b.Store)
	case b.Prefix == "" || strings.Trim(b.Prefix, "0123456789") != "":
		return Errorf(EINVALID, "card prefix must be 1 or more digits")
	case b.First < 1 || b.Last < b.First:
		return Errorf(EINVALID, "block %d..%d must start at 1 or more and not end before it starts", b.First, b.Last)
	case len(b.Prefix)+len(strconv.FormatUint(b.Last, 10))+1 > maxEnrollCardLen:
		return Errorf(EINVALID, "cards of prefix %s up to %d would be longer than %d digits", b.Prefix, b.Last, maxEnrollCardLen)
	}
	return nil
}

// Collides reports whether a and b could hand out one card number: the
// same prefix with ranges that meet, or prefixes of which one starts the
// other (cards "91"+"0"… and "9"+"10"… are the same digits, so such
// prefixes are never shared between stores).
func (b EnrollBlock) Collides(o EnrollBlock) bool {
	if b.Prefix != o.Prefix {
		return strings.HasPrefix(b.Prefix, o.Prefix) || strings.HasPrefix(o.Prefix, b.Prefix)
	}
	return b.First <= o.Last && o.First <= b.Last
}

// Content is b as its stream version carries it.
func (b EnrollBlock) Content() *syncproto.StreamContent {
	return &syncproto.StreamContent{Content: &syncproto.StreamContent_EnrollBlock{
		EnrollBlock: &syncproto.EnrollBlockContent{CardPrefix: b.Prefix, First: b.First, Last: b.Last}}}
}

// EnrollBlockOf is the block a version of the enroll_block stream of store
// carries.
func EnrollBlockOf(store string, c *syncproto.StreamContent) EnrollBlock {
	e := c.GetEnrollBlock()
	return EnrollBlock{Store: store, Prefix: e.GetCardPrefix(), First: e.GetFirst(), Last: e.GetLast()}
}

// EnrollBlocks assigns enrollment blocks. Implementations are safe for
// concurrent use, also by several central processes sharing a database.
type EnrollBlocks interface {
	// AssignEnrollBlock appends b as the next version of b.Store's
	// enroll_block stream (StoreStream), in one transaction that first
	// checks b against every block ever assigned to another store: a
	// collision (EnrollBlock.Collides) fails with ECONFLICT and writes
	// nothing, so two stores never get one card number, however many
	// instances assign at once. A block equal to the store's latest adds
	// no version and returns the latest. It fails with EINVALID for a bad
	// block.
	AssignEnrollBlock(ctx context.Context, b EnrollBlock, now time.Time) (*StreamVersion, error)
}

// CheckEnrollBlock is the decision AssignEnrollBlock makes inside its
// transaction: assigned are every block ever assigned (with their
// stores). It returns an ECONFLICT *Error naming the store holding a
// colliding block, or nil.
func CheckEnrollBlock(b EnrollBlock, assigned []EnrollBlock) error {
	if err := b.Validate(); err != nil {
		return err
	}
	for _, o := range assigned {
		if o.Store != b.Store && b.Collides(o) {
			return Errorf(ECONFLICT, "block %s %d..%d collides with block %s %d..%d of store %s: choose numbers no store holds",
				b.Prefix, b.First, b.Last, o.Prefix, o.First, o.Last, o.Store)
		}
	}
	return nil
}
