package central

import (
	"math"

	"github.com/tillsync/tillsync/syncproto"
)

// ValidateBatch decides whether a batch received on the up topic of
// topicStore/topicAgent can be trusted as a whole: a schema version this
// build understands (≤ syncproto.SchemaVersion), store and agent ids equal
// to the topic's, 1 ≤ first_seq ≤ last_seq, events holding exactly the seqs
// first_seq..last_seq in order, and seqs that fit the databases' int64. It
// returns an EINVALID *Error naming the reason, or nil. A batch that fails
// is neither stored nor acked; its single events are checked by EventSale.
func ValidateBatch(b *syncproto.Batch, topicStore, topicAgent string) error {
	if b == nil {
		return Errorf(EINVALID, "no batch")
	}
	if err := syncproto.ValidateBatch(b); err != nil {
		return Errorf(EINVALID, "batch from agent %q: %v", b.GetAgentId(), err)
	}
	if b.GetStoreId() != topicStore {
		return Errorf(EINVALID, "batch store %q does not match topic store %q", b.GetStoreId(), topicStore)
	}
	if b.GetAgentId() != topicAgent {
		return Errorf(EINVALID, "batch agent %q does not match topic agent %q", b.GetAgentId(), topicAgent)
	}
	// SQL integers are signed 64-bit; a seq past that cannot be a real
	// journal (it would take 292 million years at 1000 sales a second).
	if b.GetLastSeq() > math.MaxInt64 {
		return Errorf(EINVALID, "batch last_seq %d exceeds %d", b.GetLastSeq(), int64(math.MaxInt64))
	}
	return nil
}
