package syncproto

import (
	"crypto/hmac"
	"crypto/sha256"
	"fmt"

	"google.golang.org/protobuf/proto"
)

// SignBatch sets b.Signature to the HMAC-SHA256, under the agent's key, of
// b's deterministic encoding with the signature cleared (DESIGN §5 rule 6).
// It fails with ErrNoKey for an empty key. b must not be used concurrently.
func SignBatch(b *Batch, key []byte) error {
	mac, err := batchMAC(b, key)
	if err != nil {
		return fmt.Errorf("sign batch: %w", err)
	}
	b.Signature = mac
	return nil
}

// VerifyBatch checks b.Signature against key. It fails with ErrBadSignature
// for an unsigned batch or one whose signature does not match, and with
// ErrNoKey for an empty key. It does not modify b, so concurrent readers of
// b are safe.
//
// The MAC is recomputed over the receiver's re-encoding of b. Fields unknown
// to the receiver are re-emitted after the known ones, so that encoding
// matches the sender's as long as new fields get higher numbers than every
// existing one — which the schema's add-only rule guarantees.
func VerifyBatch(b *Batch, key []byte) error {
	if len(b.GetSignature()) == 0 {
		return fmt.Errorf("verify batch: unsigned: %w", ErrBadSignature)
	}
	mac, err := batchMAC(b, key)
	if err != nil {
		return fmt.Errorf("verify batch: %w", err)
	}
	// hmac.Equal compares in constant time, so the comparison leaks nothing
	// about how much of a forged signature was right.
	if !hmac.Equal(mac, b.GetSignature()) {
		return fmt.Errorf("verify batch of agent %q seqs %d..%d: %w",
			b.GetAgentId(), b.GetFirstSeq(), b.GetLastSeq(), ErrBadSignature)
	}
	return nil
}

func batchMAC(b *Batch, key []byte) ([]byte, error) {
	if len(key) == 0 {
		return nil, ErrNoKey
	}
	if b == nil {
		return nil, fmt.Errorf("nil batch: %w", ErrMalformed)
	}
	// Clear the signature on a copy: the caller's batch may be read by
	// other goroutines while it is verified.
	c, ok := proto.Clone(b).(*Batch)
	if !ok {
		return nil, fmt.Errorf("clone batch: unexpected type")
	}
	c.Signature = nil
	enc, err := marshalOptions.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("encode batch: %w", err)
	}
	h := hmac.New(sha256.New, key)
	h.Write(enc) // hash.Hash.Write never returns an error.
	return h.Sum(nil), nil
}
