package syncproto

import (
	"bytes"
	"crypto/sha256"
	"fmt"
)

// Downstream stream names (DESIGN §5 rule 4), as carried in StreamChunk and
// in an agent's Presence versions.
const (
	StreamCatalog    = "catalog"     // chain-wide
	StreamPolicy     = "policy"      // chain-wide
	StreamCardBlocks = "card_blocks" // chain-wide
	StreamCentralKey = "central_key" // chain-wide
	StreamMembers    = "members"     // per store, on the store's down topic
	StreamEnroll     = "enroll_block"
)

// MaxChunkData is the most content one StreamChunk carries: 256 KiB keeps
// every downlink message far below brokers' default packet limits and lets
// a slow store link make progress chunk by chunk.
const MaxChunkData = 256 << 10

// MaxUpdateSize bounds one assembled stream update, 64 MiB: a catalog of a
// million products is about 100 MiB in CSV but far less as protobuf; the
// bound keeps a hostile chunk header from making a receiver reserve memory
// it cannot have.
const MaxUpdateSize = 64 << 20

// Update is one version of one downstream stream before chunking.
type Update struct {
	Stream      string
	Version     uint64
	Snapshot    bool
	BaseVersion uint64 // delta only: the version the delta applies on
	Content     *StreamContent
}

// ChunkUpdate encodes u's content and cuts it into Downlink messages of at
// most MaxChunkData content bytes each, every one naming the whole
// update's size and SHA-256. It fails with ErrMalformed for an update
// that ValidateChunk would refuse (unknown stream, version 0, a delta not
// newer than its base, no content) and with ErrTooLarge past
// MaxUpdateSize.
func ChunkUpdate(chain string, nowMs int64, u Update) ([]*Downlink, error) {
	if u.Content == nil || u.Content.GetContent() == nil {
		return nil, fmt.Errorf("chunk %s version %d: no content: %w", u.Stream, u.Version, ErrMalformed)
	}
	if !contentFits(u.Stream, u.Content) {
		return nil, fmt.Errorf("chunk %s version %d: content of another stream: %w", u.Stream, u.Version, ErrMalformed)
	}
	data, err := marshal("stream content", u.Content)
	if err != nil {
		return nil, err
	}
	if len(data) > MaxUpdateSize {
		return nil, fmt.Errorf("chunk %s version %d: %d bytes, limit %d: %w", u.Stream, u.Version, len(data), MaxUpdateSize, ErrTooLarge)
	}
	sum := sha256.Sum256(data)
	count := (len(data) + MaxChunkData - 1) / MaxChunkData
	if count == 0 {
		count = 1
	}
	out := make([]*Downlink, 0, count)
	for i := range count {
		part := data[i*MaxChunkData : min((i+1)*MaxChunkData, len(data))]
		c := &StreamChunk{
			Stream: u.Stream, Version: u.Version, Snapshot: u.Snapshot, BaseVersion: u.BaseVersion,
			Index: uint32(i), Count: uint32(count), ContentSha256: sum[:], ContentSize: uint64(len(data)), Data: part,
		}
		if err := ValidateChunk(c); err != nil {
			return nil, fmt.Errorf("chunk %s version %d: %w", u.Stream, u.Version, err)
		}
		out = append(out, &Downlink{SchemaVersion: SchemaVersion, ChainId: chain, SentAtMs: nowMs, Payload: &Downlink_Chunk{Chunk: c}})
	}
	return out, nil
}

// ValidateChunk checks a chunk's header: a known stream, version ≥ 1, a
// delta's base below its version, 0 ≤ index < count, a 32-byte digest, a
// size within MaxUpdateSize that count chunks of MaxChunkData can hold,
// and data within MaxChunkData. It fails with ErrMalformed.
func ValidateChunk(c *StreamChunk) error {
	switch {
	case c == nil:
		return fmt.Errorf("no chunk: %w", ErrMalformed)
	case !knownStream(c.GetStream()):
		return fmt.Errorf("stream %q: %w", c.GetStream(), ErrMalformed)
	case c.GetVersion() == 0:
		return fmt.Errorf("stream %s: version 0: %w", c.GetStream(), ErrMalformed)
	case !c.GetSnapshot() && c.GetBaseVersion() >= c.GetVersion():
		return fmt.Errorf("stream %s: delta from %d to %d: %w", c.GetStream(), c.GetBaseVersion(), c.GetVersion(), ErrMalformed)
	case c.GetCount() == 0 || c.GetIndex() >= c.GetCount():
		return fmt.Errorf("stream %s: chunk %d of %d: %w", c.GetStream(), c.GetIndex(), c.GetCount(), ErrMalformed)
	case len(c.GetContentSha256()) != sha256.Size:
		return fmt.Errorf("stream %s: digest of %d bytes: %w", c.GetStream(), len(c.GetContentSha256()), ErrMalformed)
	case c.GetContentSize() > MaxUpdateSize:
		return fmt.Errorf("stream %s: update of %d bytes, limit %d: %w", c.GetStream(), c.GetContentSize(), MaxUpdateSize, ErrMalformed)
	case uint64(c.GetCount()) != max(1, (c.GetContentSize()+MaxChunkData-1)/MaxChunkData):
		return fmt.Errorf("stream %s: %d chunks for %d bytes: %w", c.GetStream(), c.GetCount(), c.GetContentSize(), ErrMalformed)
	case len(c.GetData()) > MaxChunkData:
		return fmt.Errorf("stream %s: chunk data of %d bytes: %w", c.GetStream(), len(c.GetData()), ErrMalformed)
	}
	return nil
}

func knownStream(s string) bool {
	switch s {
	case StreamCatalog, StreamPolicy, StreamCardBlocks, StreamCentralKey, StreamMembers, StreamEnroll:
		return true
	}
	return false
}

// ValidateDownlink checks a Downlink: a schema_version from 1 to
// SchemaVersion and a chunk that passes ValidateChunk.
func ValidateDownlink(d *Downlink) error {
	if d == nil {
		return fmt.Errorf("nil downlink: %w", ErrMalformed)
	}
	if err := checkSchema(d.GetSchemaVersion()); err != nil {
		return err
	}
	if d.GetChunk() == nil {
		return fmt.Errorf("downlink without a chunk: %w", ErrUnknownKind)
	}
	return ValidateChunk(d.GetChunk())
}

// DecodeDownlink parses and validates a Downlink read from a down topic. It
// fails with ErrTooLarge, ErrMalformed, ErrSchemaTooNew, or ErrUnknownKind
// for a message kind this version does not know.
func DecodeDownlink(b []byte) (*Downlink, error) {
	var m Downlink
	if err := unmarshal("downlink", b, &m); err != nil {
		return nil, err
	}
	if err := ValidateDownlink(&m); err != nil {
		return nil, fmt.Errorf("decode downlink: %w", err)
	}
	return &m, nil
}

// EncodeDownlink validates d and returns its deterministic encoding.
func EncodeDownlink(d *Downlink) ([]byte, error) {
	if err := ValidateDownlink(d); err != nil {
		return nil, fmt.Errorf("encode downlink: %w", err)
	}
	return marshal("downlink", d)
}

// Assembler joins the chunks of stream updates. It holds at most one
// update in progress per stream: a chunk of another version, base or kind
// starts over, so a half-received update is simply forgotten and changes
// nothing. It is not safe for concurrent use.
type Assembler struct {
	open map[string]*partial
}

type partial struct {
	head  *StreamChunk // the first chunk seen, for the update's identity
	parts [][]byte
	have  int
}

// Add takes one chunk. When it completes its update and the joined data
// matches the digest and size, Add returns the update; otherwise it
// returns nil. A complete update whose data does not match, or does not
// decode, fails with ErrMalformed and is dropped.
func (a *Assembler) Add(c *StreamChunk) (*Update, error) {
	if err := ValidateChunk(c); err != nil {
		return nil, err
	}
	if a.open == nil {
		a.open = make(map[string]*partial)
	}
	p := a.open[c.GetStream()]
	if p == nil || !sameUpdate(p.head, c) {
		p = &partial{head: c, parts: make([][]byte, c.GetCount())}
		a.open[c.GetStream()] = p
	}
	if p.parts[c.GetIndex()] == nil {
		p.parts[c.GetIndex()] = append([]byte{}, c.GetData()...)
		p.have++
	}
	if p.have < len(p.parts) {
		return nil, nil
	}
	delete(a.open, c.GetStream())
	return finish(p)
}

func sameUpdate(h, c *StreamChunk) bool {
	return h.GetVersion() == c.GetVersion() && h.GetSnapshot() == c.GetSnapshot() &&
		h.GetBaseVersion() == c.GetBaseVersion() && h.GetCount() == c.GetCount() &&
		bytes.Equal(h.GetContentSha256(), c.GetContentSha256())
}

func finish(p *partial) (*Update, error) {
	h := p.head
	data := bytes.Join(p.parts, nil)
	sum := sha256.Sum256(data)
	if uint64(len(data)) != h.GetContentSize() || !bytes.Equal(sum[:], h.GetContentSha256()) {
		return nil, fmt.Errorf("stream %s version %d: joined chunks do not match their digest: %w", h.GetStream(), h.GetVersion(), ErrMalformed)
	}
	var content StreamContent
	if err := unmarshal("stream content", data, &content); err != nil {
		return nil, err
	}
	if !contentFits(h.GetStream(), &content) {
		return nil, fmt.Errorf("stream %s version %d: content of another stream: %w", h.GetStream(), h.GetVersion(), ErrMalformed)
	}
	return &Update{Stream: h.GetStream(), Version: h.GetVersion(), Snapshot: h.GetSnapshot(), BaseVersion: h.GetBaseVersion(), Content: &content}, nil
}

// contentFits reports whether content is of the kind stream carries.
func contentFits(stream string, c *StreamContent) bool {
	switch stream {
	case StreamCatalog:
		return c.GetCatalog() != nil
	case StreamPolicy:
		return c.GetPolicy() != nil
	case StreamCardBlocks:
		return c.GetCardBlocks() != nil
	case StreamCentralKey:
		return c.GetCentralKey() != nil
	case StreamMembers:
		return c.GetMembers() != nil
	case StreamEnroll:
		return c.GetEnrollBlock() != nil
	}
	return false
}
