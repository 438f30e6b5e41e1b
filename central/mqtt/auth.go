package mqtt

import (
	"errors"
	"fmt"

	"github.com/tillsync/tillsync/syncproto"
)

// AuthMode says whether the Ingester requires signed batches.
type AuthMode string

// Auth modes.
const (
	// AuthOpen stores any well-formed batch whose store and agent match
	// its topic; signatures are not checked. For a demo or a closed
	// network only.
	AuthOpen AuthMode = "open"
	// AuthSigned also requires every batch to carry a valid HMAC-SHA256
	// signature under the key provisioned for its topic's store and agent
	// (DESIGN §5 rule 6).
	AuthSigned AuthMode = "signed"
)

// Reasons a batch is rejected for, as logged ("reason") and counted in
// Stats.RejectedBy.
const (
	RejectUnsigned     = "unsigned"      // signed mode, no signature
	RejectBadSignature = "bad_signature" // signed mode, signature does not match the key
	RejectUnknownAgent = "unknown_agent" // signed mode, no key for the topic's store and agent
	RejectMismatch     = "mismatch"      // the batch's store or agent is not its topic's
	RejectInvalid      = "invalid"       // bad topic, undecodable or malformed batch
)

// rejection is why a message is refused; reason is one of the Reject
// constants, err the detail for the log.
type rejection struct {
	reason string
	err    error
}

func (r *rejection) Error() string { return r.reason + ": " + r.err.Error() }

func reject(reason string, err error) *rejection { return &rejection{reason: reason, err: err} }

// SetKeys replaces the agents' keys, e.g. after the keys file was edited;
// batches handled afterwards are checked against k. It is safe to call
// while the Ingester runs.
func (in *Ingester) SetKeys(k *Keys) { in.keys.Store(k) }

// authenticate checks, in signed mode, that b is signed with the key of
// the store and agent its topic names; b's own store and agent were
// checked against the topic already, so a valid signature binds all
// three. It returns nil in open mode.
func (in *Ingester) authenticate(at syncproto.AgentTopic, b *syncproto.Batch) *rejection {
	if in.cfg.Auth != AuthSigned {
		return nil
	}
	key, ok := in.keys.Load().Lookup(at.Store, at.Agent)
	if !ok {
		return reject(RejectUnknownAgent, fmt.Errorf("no key for store %q agent %q", at.Store, at.Agent))
	}
	if len(b.GetSignature()) == 0 {
		return reject(RejectUnsigned, errors.New("batch carries no signature"))
	}
	if err := syncproto.VerifyBatch(b, key); err != nil {
		return reject(RejectBadSignature, err)
	}
	return nil
}
