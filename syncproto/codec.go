package syncproto

import (
	"fmt"

	"google.golang.org/protobuf/proto"
)

// MaxPayloadSize is the largest message the codec reads or writes, 4 MiB.
// It bounds what one bad or hostile MQTT payload can cost a receiver, and it
// is far above a real batch (a sale line is about 80 bytes on the wire).
const MaxPayloadSize = 4 << 20

// marshalOptions makes encodings deterministic for one build: golden files
// compare byte for byte and a signature can be recomputed by the receiver.
var marshalOptions = proto.MarshalOptions{Deterministic: true}

// DecodeBatch parses and validates a Batch read from the up topic. It fails
// with ErrTooLarge, ErrMalformed (not a batch, or no schema_version, agent
// or events), ErrSchemaTooNew or ErrSeqRange; see ValidateBatch. Events of
// an unknown kind are kept, not refused, so that central can quarantine them
// one by one instead of blocking the stream behind them (DESIGN §6).
func DecodeBatch(b []byte) (*Batch, error) {
	var m Batch
	if err := unmarshal("batch", b, &m); err != nil {
		return nil, err
	}
	if err := ValidateBatch(&m); err != nil {
		return nil, fmt.Errorf("decode batch: %w", err)
	}
	return &m, nil
}

// DecodeAck parses and validates an Ack read from the ack topic. It fails
// with ErrTooLarge, ErrMalformed or ErrSchemaTooNew; see ValidateAck.
func DecodeAck(b []byte) (*Ack, error) {
	var m Ack
	if err := unmarshal("ack", b, &m); err != nil {
		return nil, err
	}
	if err := ValidateAck(&m); err != nil {
		return nil, fmt.Errorf("decode ack: %w", err)
	}
	return &m, nil
}

// DecodeEvent parses one journal event, as stored by the agent's ledger. It
// fails with ErrTooLarge, ErrMalformed, or ErrUnknownKind for an event
// without a payload this version knows.
func DecodeEvent(b []byte) (*Event, error) {
	var m Event
	if err := unmarshal("event", b, &m); err != nil {
		return nil, err
	}
	if err := ValidateEvent(&m); err != nil {
		return nil, fmt.Errorf("decode event: %w", err)
	}
	return &m, nil
}

// EncodeBatch validates b and returns its deterministic wire encoding. It
// refuses what DecodeBatch would refuse, so a bad batch fails at the sender.
func EncodeBatch(b *Batch) ([]byte, error) {
	if err := ValidateBatch(b); err != nil {
		return nil, fmt.Errorf("encode batch: %w", err)
	}
	return marshal("batch", b)
}

// EncodeAck validates a and returns its deterministic wire encoding. It
// refuses what DecodeAck would refuse.
func EncodeAck(a *Ack) ([]byte, error) {
	if err := ValidateAck(a); err != nil {
		return nil, fmt.Errorf("encode ack: %w", err)
	}
	return marshal("ack", a)
}

// EncodeEvent validates e and returns its deterministic wire encoding. It
// refuses what DecodeEvent would refuse.
func EncodeEvent(e *Event) ([]byte, error) {
	if err := ValidateEvent(e); err != nil {
		return nil, fmt.Errorf("encode event: %w", err)
	}
	return marshal("event", e)
}

func unmarshal(what string, b []byte, m proto.Message) error {
	if len(b) > MaxPayloadSize {
		return fmt.Errorf("decode %s: %d bytes, limit %d: %w", what, len(b), MaxPayloadSize, ErrTooLarge)
	}
	if err := proto.Unmarshal(b, m); err != nil {
		return fmt.Errorf("decode %s: %w: %w", what, ErrMalformed, err)
	}
	return nil
}

func marshal(what string, m proto.Message) ([]byte, error) {
	b, err := marshalOptions.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", what, err)
	}
	if len(b) > MaxPayloadSize {
		return nil, fmt.Errorf("encode %s: %d bytes, limit %d: %w", what, len(b), MaxPayloadSize, ErrTooLarge)
	}
	return b, nil
}

// DecodePresence parses and validates a Presence read from a state topic.
// It fails with ErrTooLarge, ErrMalformed or ErrSchemaTooNew; see
// ValidatePresence.
func DecodePresence(b []byte) (*Presence, error) {
	var m Presence
	if err := unmarshal("presence", b, &m); err != nil {
		return nil, err
	}
	if err := ValidatePresence(&m); err != nil {
		return nil, fmt.Errorf("decode presence: %w", err)
	}
	return &m, nil
}

// EncodePresence validates p and returns its deterministic wire encoding.
// It refuses what DecodePresence would refuse.
func EncodePresence(p *Presence) ([]byte, error) {
	if err := ValidatePresence(p); err != nil {
		return nil, fmt.Errorf("encode presence: %w", err)
	}
	return marshal("presence", p)
}
