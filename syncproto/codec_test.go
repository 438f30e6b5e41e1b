package syncproto

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// rawMarshal encodes m deterministically without validation, to build
// invalid payloads.
func rawMarshal(t testing.TB, m proto.Message) []byte {
	t.Helper()
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return b
}

// editBatch returns the wire bytes of the sample batch changed by edit.
func editBatch(t *testing.T, edit func(b *Batch)) []byte {
	t.Helper()
	b := sampleBatch(t)
	edit(b)
	return rawMarshal(t, b)
}

// appendField appends a length-delimited field num to a copy of b: a field
// of a newer schema, or a known field overridden (the last one wins).
func appendField(b []byte, num protowire.Number, val string) []byte {
	b = protowire.AppendTag(bytes.Clone(b), num, protowire.BytesType)
	return protowire.AppendString(b, val)
}

// garbage holds payloads that are no message at all.
var garbage = map[string][]byte{
	"Empty":        {},
	"Text":         []byte("hello, this is not protobuf"),
	"JSON":         []byte(`{"schema_version":1,"agent_id":"a1"}`),
	"BadVarint":    bytes.Repeat([]byte{0xff}, 11),
	"TruncatedLen": {0x3a, 0x10, 0x08},
	"GroupEnd":     {0x0c},
}

func TestDecodeBatch(t *testing.T) {
	golden := readGolden(t, goldenBatch)
	t.Run("OK", func(t *testing.T) {
		b, err := DecodeBatch(golden)
		if err != nil {
			t.Fatalf("DecodeBatch: %v", err)
		}
		if len(b.GetEvents()) != 2 || b.GetFirstSeq() != 17 {
			t.Errorf("got %d events from seq %d, want 2 from 17", len(b.GetEvents()), b.GetFirstSeq())
		}
	})
	t.Run("OKUnknownFields", func(t *testing.T) {
		// A newer agent's extra batch field and new event kind are kept as
		// unknown fields; the new kind is central's to quarantine.
		raw := editBatch(t, func(b *Batch) { b.Events[1].Payload = nil })
		b, err := DecodeBatch(appendField(raw, 20, "future"))
		if err != nil {
			t.Fatalf("DecodeBatch: %v", err)
		}
		if err := ValidateEvent(b.GetEvents()[1]); !errors.Is(err, ErrUnknownKind) {
			t.Errorf("ValidateEvent(event without payload) = %v, want ErrUnknownKind", err)
		}
		if len(b.ProtoReflect().GetUnknown()) == 0 {
			t.Error("unknown field 20 was dropped")
		}
	})

	tests := []struct {
		name    string
		payload []byte
		want    error
		msg     string // a substring the error must contain
	}{
		{"ErrTooLarge", make([]byte, MaxPayloadSize+1), ErrTooLarge, "limit 4194304"},
		{"ErrSchemaTooNew", editBatch(t, func(b *Batch) { b.SchemaVersion = SchemaVersion + 1 }), ErrSchemaTooNew, "schema_version 2, this build understands up to 1"},
		{"ErrMalformedNoSchema", editBatch(t, func(b *Batch) { b.SchemaVersion = 0 }), ErrMalformed, "no schema_version"},
		{"ErrMalformedNoAgent", editBatch(t, func(b *Batch) { b.AgentId = "" }), ErrMalformed, "no agent_id"},
		{"ErrMalformedNoEvents", editBatch(t, func(b *Batch) { b.Events = nil }), ErrMalformed, "no events"},
		{"ErrMalformedAck", readGolden(t, goldenAck), ErrMalformed, "decode batch"},
		{"ErrMalformedBadUTF8", appendField(golden, 3, "s\xff"), ErrMalformed, "UTF-8"},
		{"ErrSeqRangeGap", editBatch(t, func(b *Batch) { b.Events[1].Seq = 19 }), ErrSeqRange, "event 1 has seq 19, want 18"},
		{"ErrSeqRangeOrder", editBatch(t, func(b *Batch) { b.Events[0], b.Events[1] = b.Events[1], b.Events[0] }), ErrSeqRange, "event 0 has seq 18, want 17"},
		{"ErrSeqRangeDuplicate", editBatch(t, func(b *Batch) { b.Events[1].Seq = 17 }), ErrSeqRange, "want 18"},
		{"ErrSeqRangeCount", editBatch(t, func(b *Batch) { b.LastSeq = 19 }), ErrSeqRange, "seqs 17..19 but 2 events"},
		{"ErrSeqRangeInverted", editBatch(t, func(b *Batch) { b.FirstSeq, b.LastSeq = 18, 17 }), ErrSeqRange, "first_seq 18, last_seq 17"},
		{"ErrSeqRangeZero", editBatch(t, func(b *Batch) { b.FirstSeq, b.Events[0].Seq = 0, 0 }), ErrSeqRange, "first_seq 0"},
		{"ErrSeqRangeHuge", editBatch(t, func(b *Batch) { b.LastSeq = ^uint64(0) }), ErrSeqRange, "but 2 events"},
	}
	for name, payload := range garbage {
		tests = append(tests, struct {
			name    string
			payload []byte
			want    error
			msg     string
		}{"ErrMalformed" + name, payload, ErrMalformed, "decode batch"})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := DecodeBatch(tt.payload)
			checkErr(t, err, tt.want, tt.msg)
			if b != nil {
				t.Errorf("DecodeBatch returned a batch with error %v", err)
			}
		})
	}
}

func TestDecodeAck(t *testing.T) {
	editAck := func(edit func(a *Ack)) []byte {
		a := sampleAck()
		edit(a)
		return rawMarshal(t, a)
	}
	t.Run("OK", func(t *testing.T) {
		a, err := DecodeAck(appendField(readGolden(t, goldenAck), 20, "future"))
		if err != nil {
			t.Fatalf("DecodeAck: %v", err)
		}
		if len(a.GetRanges()) != 2 || a.GetRanges()[1].GetLast() != 18 {
			t.Errorf("got ranges %v, want [1,16] [17,18]", a.GetRanges())
		}
	})
	tests := []struct {
		name    string
		payload []byte
		want    error
		msg     string
	}{
		{"ErrTooLarge", make([]byte, MaxPayloadSize+1), ErrTooLarge, "decode ack"},
		{"ErrSchemaTooNew", editAck(func(a *Ack) { a.SchemaVersion = 7 }), ErrSchemaTooNew, "schema_version 7, this build understands up to 1"},
		{"ErrMalformedNoSchema", editAck(func(a *Ack) { a.SchemaVersion = 0 }), ErrMalformed, "no schema_version"},
		{"ErrMalformedNoAgent", editAck(func(a *Ack) { a.AgentId = "" }), ErrMalformed, "no agent_id"},
		{"ErrMalformedNoRanges", editAck(func(a *Ack) { a.Ranges = nil }), ErrMalformed, "no ranges"},
		{"ErrMalformedInverted", editAck(func(a *Ack) { a.Ranges[1].First = 19 }), ErrMalformed, "range 1 is [19, 18]"},
		{"ErrMalformedZero", editAck(func(a *Ack) { a.Ranges[0].First = 0 }), ErrMalformed, "range 0 is [0, 16]"},
		{"ErrMalformedText", garbage["Text"], ErrMalformed, "decode ack"},
		{"ErrMalformedEmpty", garbage["Empty"], ErrMalformed, "no schema_version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := DecodeAck(tt.payload)
			checkErr(t, err, tt.want, tt.msg)
			if a != nil {
				t.Errorf("DecodeAck returned an ack with error %v", err)
			}
		})
	}
}

func TestDecodeEvent(t *testing.T) {
	sample := sampleBatch(t).GetEvents()[0]
	t.Run("OK", func(t *testing.T) {
		e, err := DecodeEvent(rawMarshal(t, sample))
		if err != nil {
			t.Fatalf("DecodeEvent: %v", err)
		}
		if !proto.Equal(e, sample) {
			t.Errorf("got %v, want %v", e, sample)
		}
	})
	noPayload := proto.Clone(sample).(*Event)
	noPayload.Payload = nil
	tests := []struct {
		name    string
		payload []byte
		want    error
		msg     string
	}{
		{"ErrTooLarge", make([]byte, MaxPayloadSize+1), ErrTooLarge, "decode event"},
		{"ErrUnknownKindNone", rawMarshal(t, noPayload), ErrUnknownKind, "event seq 17: unknown event kind"},
		{"ErrUnknownKindNewer", appendField(rawMarshal(t, noPayload), 99, "\x0a\x01x"), ErrUnknownKind, "unknown event kind"},
		{"ErrUnknownKindEmpty", garbage["Empty"], ErrUnknownKind, "unknown event kind"},
		{"ErrMalformedText", garbage["Text"], ErrMalformed, "decode event"},
		{"ErrMalformedBadVarint", garbage["BadVarint"], ErrMalformed, "decode event"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := DecodeEvent(tt.payload)
			checkErr(t, err, tt.want, tt.msg)
			if e != nil {
				t.Errorf("DecodeEvent returned an event with error %v", err)
			}
		})
	}
}

func TestEncodeBatch(t *testing.T) {
	t.Run("OKRoundTrip", func(t *testing.T) {
		want := sampleBatch(t)
		enc, err := EncodeBatch(want)
		if err != nil {
			t.Fatalf("EncodeBatch: %v", err)
		}
		got, err := DecodeBatch(enc)
		if err != nil {
			t.Fatalf("DecodeBatch: %v", err)
		}
		if !proto.Equal(got, want) {
			t.Errorf("round trip changed the batch:\n got: %v\nwant: %v", got, want)
		}
	})
	huge := sampleBatch(t)
	huge.Events[0].GetSaleCommitted().Lines[0].Name = strings.Repeat("x", MaxPayloadSize)
	nilEvent := sampleBatch(t)
	nilEvent.Events[1] = nil
	tests := []struct {
		name  string
		batch *Batch
		want  error
		msg   string
	}{
		{"ErrMalformedNil", nil, ErrMalformed, "encode batch: nil batch"},
		{"ErrMalformedNilEvent", nilEvent, ErrMalformed, "event 1 is nil"},
		{"ErrSeqRange", &Batch{SchemaVersion: 1, AgentId: "a", FirstSeq: 1, LastSeq: 1, Events: []*Event{{Seq: 2}}}, ErrSeqRange, "encode batch"},
		{"ErrSchemaTooNew", &Batch{SchemaVersion: 9, AgentId: "a"}, ErrSchemaTooNew, "encode batch"},
		{"ErrTooLarge", huge, ErrTooLarge, "encode batch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := EncodeBatch(tt.batch)
			checkErr(t, err, tt.want, tt.msg)
			if b != nil {
				t.Errorf("EncodeBatch returned bytes with error %v", err)
			}
		})
	}
}

func TestEncodeAck(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		if _, err := EncodeAck(sampleAck()); err != nil {
			t.Fatalf("EncodeAck: %v", err)
		}
	})
	t.Run("ErrMalformed", func(t *testing.T) {
		_, err := EncodeAck(&Ack{SchemaVersion: 1, AgentId: "a"})
		checkErr(t, err, ErrMalformed, "encode ack: no ranges")
	})
}

func TestEncodeEvent(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		sample := sampleBatch(t).GetEvents()[1]
		enc, err := EncodeEvent(sample)
		if err != nil {
			t.Fatalf("EncodeEvent: %v", err)
		}
		got, err := DecodeEvent(enc)
		if err != nil || !proto.Equal(got, sample) {
			t.Errorf("DecodeEvent(EncodeEvent(e)) = %v, %v; want %v", got, err, sample)
		}
	})
	t.Run("ErrUnknownKind", func(t *testing.T) {
		_, err := EncodeEvent(&Event{Seq: 3})
		checkErr(t, err, ErrUnknownKind, "encode event: event seq 3")
	})
	t.Run("ErrMalformedNilSale", func(t *testing.T) {
		_, err := EncodeEvent(&Event{Seq: 3, Payload: &Event_SaleCommitted{}})
		checkErr(t, err, ErrMalformed, "empty sale_committed")
	})
}

// checkErr fails unless err is want and its text contains msg.
func checkErr(t *testing.T, err, want error, msg string) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("error = %v, want %v", err, want)
	}
	if !strings.Contains(err.Error(), msg) {
		t.Errorf("error %q does not contain %q", err, msg)
	}
}
