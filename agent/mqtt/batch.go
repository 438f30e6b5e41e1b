package mqtt

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"time"

	"github.com/tillsync/tillsync/agent"
	"github.com/tillsync/tillsync/syncproto"
	"google.golang.org/protobuf/encoding/protowire"
)

// Field numbers of syncproto.Batch (tillsync.proto); the batch is encoded
// by hand so the journal's already-encoded Events are copied as bytes
// instead of being decoded and encoded again.
const (
	batchSchemaVersion protowire.Number = 1
	batchChainID       protowire.Number = 2
	batchStoreID       protowire.Number = 3
	batchAgentID       protowire.Number = 4
	batchFirstSeq      protowire.Number = 5
	batchLastSeq       protowire.Number = 6
	batchEvents        protowire.Number = 7
	batchSentAtMs      protowire.Number = 8
	batchSignature     protowire.Number = 9
)

// batch is one contiguous run of journal entries as the uplink holds it
// while it is in flight.
type batch struct {
	seqRange
	// body is the Batch encoded without sent_at_ms, which every send
	// appends anew (protobuf decoders accept fields in any order).
	body []byte
	// sentAt is when the batch was last published; zero if it has not
	// been published yet.
	sentAt time.Time
	// sends counts its publishes on the current connection.
	sends int
}

// maxBatchBody bounds a batch's encoding below syncproto.MaxPayloadSize,
// which central refuses to read past; the margin leaves room for
// sent_at_ms and a signature.
const maxBatchBody = syncproto.MaxPayloadSize - 4<<10

// batchHeader is what every batch of one agent repeats.
type batchHeader struct {
	chain, store, agent string
}

// fitBatch returns how many of entries, at least one, fit in one batch
// under maxBatchBody. A single entry past the limit still goes alone:
// central will refuse it loudly, which beats never sending it.
func fitBatch(h batchHeader, entries []agent.JournalEntry) int {
	size := headerSize(h)
	for i, e := range entries {
		size += eventSize(e)
		if size > maxBatchBody && i > 0 {
			return i
		}
	}
	return len(entries)
}

// headerSize bounds the encoding of every field but the events.
func headerSize(h batchHeader) int {
	n := 4 * (1 + binary.MaxVarintLen64) // schema version, first, last, sent at
	for _, s := range []string{h.chain, h.store, h.agent} {
		n += protowire.SizeTag(batchChainID) + protowire.SizeBytes(len(s))
	}
	return n
}

func eventSize(e agent.JournalEntry) int {
	return protowire.SizeTag(batchEvents) + protowire.SizeBytes(len(e.Event))
}

// newBatch encodes entries, which must hold consecutive seqs, as a Batch.
func newBatch(h batchHeader, entries []agent.JournalEntry) *batch {
	size := headerSize(h)
	for _, e := range entries {
		size += eventSize(e)
	}
	b := make([]byte, 0, size)
	b = appendVarintField(b, batchSchemaVersion, uint64(syncproto.SchemaVersion))
	b = appendStringField(b, batchChainID, h.chain)
	b = appendStringField(b, batchStoreID, h.store)
	b = appendStringField(b, batchAgentID, h.agent)
	first, last := entries[0].Seq, entries[len(entries)-1].Seq
	b = appendVarintField(b, batchFirstSeq, first)
	b = appendVarintField(b, batchLastSeq, last)
	for _, e := range entries {
		b = protowire.AppendTag(b, batchEvents, protowire.BytesType)
		b = protowire.AppendBytes(b, e.Event)
	}
	return &batch{seqRange: seqRange{first: first, last: last}, body: b}
}

// payload returns the wire bytes of the batch sent at now, signed with key
// unless key is empty. It returns a fresh slice: paho keeps the payload
// until the broker acknowledges it.
//
// The signature is the HMAC-SHA256 of every byte before it (DESIGN §5 rule
// 6). Those bytes hold fields 1–8 in field order, each scalar non-zero,
// which is exactly the deterministic encoding syncproto.VerifyBatch
// recomputes at central with the signature cleared.
func (bt *batch) payload(now time.Time, key []byte) []byte {
	ms := uint64(now.UnixMilli())
	size := len(bt.body) + 1 + protowire.SizeVarint(ms)
	if len(key) > 0 {
		size += 1 + protowire.SizeBytes(sha256.Size)
	}
	b := make([]byte, 0, size)
	b = append(b, bt.body...)
	b = appendVarintField(b, batchSentAtMs, ms)
	if len(key) == 0 {
		return b
	}
	mac := hmac.New(sha256.New, key)
	mac.Write(b) // hash.Hash.Write never returns an error.
	b = protowire.AppendTag(b, batchSignature, protowire.BytesType)
	return protowire.AppendBytes(b, mac.Sum(nil))
}

func appendVarintField(b []byte, n protowire.Number, v uint64) []byte {
	b = protowire.AppendTag(b, n, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

func appendStringField(b []byte, n protowire.Number, s string) []byte {
	b = protowire.AppendTag(b, n, protowire.BytesType)
	return protowire.AppendString(b, s)
}
