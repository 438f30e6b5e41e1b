package syncproto

import (
	"bytes"
	"encoding/json"
	"testing"

	"google.golang.org/protobuf/proto"
)

// payloadSeeds returns the seeds of the payload fuzzers: the golden
// messages, a journal event, edited batches and the garbage payloads; the
// corpus committed under testdata/fuzz adds what short fuzzing runs found.
func payloadSeeds(f *testing.F) [][]byte {
	f.Helper()
	seeds := [][]byte{readGolden(f, goldenBatch), readGolden(f, goldenAck), readGolden(f, goldenPresence)}
	ev := rawMarshal(f, sampleBatch(f).GetEvents()[0])
	seeds = append(seeds, ev)
	// A batch from a newer agent (an unknown field, an event of an unknown
	// kind) decodes; one too new or with a seq gap does not.
	future := sampleBatch(f)
	future.Events[1].Payload = nil
	seeds = append(seeds, appendField(rawMarshal(f, future), 20, "future"))
	tooNew := sampleBatch(f)
	tooNew.SchemaVersion++
	gap := sampleBatch(f)
	gap.Events[1].Seq++
	seeds = append(seeds, rawMarshal(f, tooNew), rawMarshal(f, gap))
	for _, g := range garbage {
		seeds = append(seeds, g)
	}
	return seeds
}

// roundTrip checks the codec invariants for one decoder: a decode error
// returns no message, and anything that decodes encodes, decodes back equal,
// and encodes to the same bytes again.
func roundTrip[M proto.Message](t *testing.T, data []byte, decode func([]byte) (M, error), encode func(M) ([]byte, error)) {
	m, err := decode(data)
	if err != nil {
		if m.ProtoReflect().IsValid() {
			t.Fatalf("decode failed (%v) but returned a message", err)
		}
		return
	}
	enc, err := encode(m)
	if err != nil {
		t.Fatalf("encode of a decoded message failed: %v", err)
	}
	m2, err := decode(enc)
	if err != nil {
		t.Fatalf("decode of a re-encoded message failed: %v", err)
	}
	if !proto.Equal(m, m2) {
		t.Fatalf("decode(encode(x)) != x:\n x: %v\n y: %v", m, m2)
	}
	enc2, err := encode(m2)
	if err != nil || !bytes.Equal(enc, enc2) {
		t.Fatalf("encoding is not stable: %x then %x (%v)", enc, enc2, err)
	}
}

func FuzzDecodeBatch(f *testing.F) {
	for _, s := range payloadSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) { roundTrip(t, data, DecodeBatch, EncodeBatch) })
}

func FuzzDecodeAck(f *testing.F) {
	for _, s := range payloadSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) { roundTrip(t, data, DecodeAck, EncodeAck) })
}

func FuzzDecodePresence(f *testing.F) {
	for _, s := range payloadSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) { roundTrip(t, data, DecodePresence, EncodePresence) })
}

func FuzzDecodeEvent(f *testing.F) {
	for _, s := range payloadSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) { roundTrip(t, data, DecodeEvent, EncodeEvent) })
}

func FuzzRenderJSON(f *testing.F) {
	for _, s := range payloadSeeds(f) {
		for _, kind := range []string{RenderAuto, RenderBatch, RenderAck, RenderEvent, "", "sale"} {
			f.Add(kind, s)
		}
	}
	f.Fuzz(func(t *testing.T, kind string, data []byte) {
		out, err := RenderJSON(kind, data)
		if err != nil {
			return
		}
		var got renderedJSON
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("output is not JSON: %v\n%s", err, out)
		}
		switch {
		case got.Kind != RenderBatch && got.Kind != RenderAck && got.Kind != RenderEvent:
			t.Fatalf("rendered kind %q", got.Kind)
		case kind != RenderAuto && kind != "" && got.Kind != kind:
			t.Fatalf("asked for %q, rendered %q", kind, got.Kind)
		}
	})
}

func FuzzParseAgentTopic(f *testing.F) {
	tp := mustTopics(f, "", "cn-east")
	for _, topic := range []string{
		tp.Up("s0042", "a1"), tp.Ack("s1", "a2"), tp.State("s1", "a2"), tp.RPC("s1", "a1", "m"),
		tp.StoreDown("s1"), tp.AllDown(), tp.UpFilter(), tp.SharedUpFilter("g"),
		"tillsync/v1/cn-east/s1//up", "tillsync/v1/cn-east/s\x00/a/up", "", "/",
	} {
		f.Add("", "cn-east", topic)
	}
	f.Add("acme/ts", "c1", "acme/ts/c1/s1/a1/up")
	f.Add("a//b", "c1", "a//b/c1/s/a/up")
	f.Fuzz(func(t *testing.T, prefix, chain, topic string) {
		tp, err := NewTopics(prefix, chain)
		if err != nil {
			return
		}
		at, err := tp.ParseAgentTopic(topic)
		if err != nil {
			return
		}
		for _, level := range []string{at.Store, at.Agent, at.Kind} {
			if err := ValidID(level); err != nil {
				t.Fatalf("parsed level %q is not a valid id: %v", level, err)
			}
		}
		back := tp.agent(at.Store, at.Agent, at.Kind)
		if at.Method != "" {
			back = tp.RPC(at.Store, at.Agent, at.Method)
		}
		if back != topic {
			t.Fatalf("parsed %q as %+v, which builds %q", topic, at, back)
		}
	})
}
