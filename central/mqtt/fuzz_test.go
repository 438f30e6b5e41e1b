package mqtt

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/tillsync/tillsync/central/storetest"
	"github.com/tillsync/tillsync/syncproto"
)

// This file is an internal test: the fuzzer drives Ingester.decode, the
// very function handle runs on every message (topic parse, DecodeBatch,
// store/agent match, ValidateBatch, signature check), without a broker.

// fuzzKey is the provisioned key of store s1 agent a1, the only agent the
// fuzzed ingester knows; fuzzOtherKey is a key no one provisioned.
var (
	fuzzKey      = bytes.Repeat([]byte{1}, KeySize)
	fuzzOtherKey = bytes.Repeat([]byte{2}, KeySize)
)

// fuzzIngester builds a signed-mode Ingester holding one key (s1/a1),
// parsed from a keys-file line as keys_test.go does. It never connects:
// decode needs only the config and the keys.
func fuzzIngester(f *testing.F) *Ingester {
	f.Helper()
	keys, err := ParseKeys(strings.NewReader(KeyLine("s1", "a1", fuzzKey)))
	if err != nil {
		f.Fatalf("ParseKeys: %v", err)
	}
	tp, err := syncproto.NewTopics("", "demo")
	if err != nil {
		f.Fatalf("NewTopics: %v", err)
	}
	// Port 1 is never dialled: Start is not called. The store is nil
	// because decode never reaches it.
	in, err := NewIngester(IngesterConfig{
		BrokerURL: "tcp://127.0.0.1:1", InstanceID: "fuzz", Topics: tp,
		Auth: AuthSigned, Keys: keys,
	}, nil)
	if err != nil {
		f.Fatalf("NewIngester: %v", err)
	}
	return in
}

// signedBy returns b signed with key.
func signedBy(f *testing.F, b *syncproto.Batch, key []byte) *syncproto.Batch {
	f.Helper()
	if err := syncproto.SignBatch(b, key); err != nil {
		f.Fatalf("SignBatch: %v", err)
	}
	return b
}

func encode(f *testing.F, b *syncproto.Batch) []byte {
	f.Helper()
	p, err := syncproto.EncodeBatch(b)
	if err != nil {
		f.Fatalf("EncodeBatch: %v", err)
	}
	return p
}

// newerAgentBatch is a batch of s1/a1 carrying a field this build does
// not know (a newer agent's), signed over it as that agent would.
func newerAgentBatch(f *testing.F) *syncproto.Batch {
	f.Helper()
	raw := encode(f, storetest.SaleBatch("s1", "a1", 7, 8))
	raw = protowire.AppendTag(raw, 99, protowire.BytesType)
	raw = protowire.AppendString(raw, "future")
	b, err := syncproto.DecodeBatch(raw)
	if err != nil {
		f.Fatalf("DecodeBatch: %v", err)
	}
	return signedBy(f, b, fuzzKey)
}

// FuzzVerifyBatch feeds arbitrary topics and payloads to the ingester's
// decode in signed mode. It never panics; its outcome is the same twice;
// and a batch it accepts is one the key's holder really signed: its topic
// and content are s1/a1's, re-signing it with the key gives its
// signature, and its content is one of the batches signed below — the
// fuzzer cannot compute an HMAC, so anything else would be a forgery.
func FuzzVerifyBatch(f *testing.F) {
	in := fuzzIngester(f)
	tp := in.cfg.Topics
	genuine := []*syncproto.Batch{
		signedBy(f, storetest.SaleBatch("s1", "a1", 1, 5), fuzzKey),
		signedBy(f, storetest.SaleBatch("s1", "a1", 6, 6), fuzzKey),
		newerAgentBatch(f),
	}
	good := encode(f, genuine[0])
	flipped := bytes.Clone(good)
	flipped[len(flipped)/2] ^= 0x01
	badSig := bytes.Clone(good)
	badSig[len(badSig)-1] ^= 0x80 // signature (field 9) is written last
	a1, a2 := tp.Up("s1", "a1"), tp.Up("s1", "a2")
	// want is the reason decode must give the seed, "" for accepted and
	// "any" for some rejection; checked first, so that the properties
	// below are known to see both outcomes.
	seeds := []struct {
		topic   string
		payload []byte
		want    string
	}{
		{a1, good, ""},
		{a1, encode(f, genuine[1]), ""},
		{a1, encode(f, genuine[2]), ""},
		{a1, flipped, "any"},
		{a1, badSig, RejectBadSignature},
		{a1, encode(f, storetest.SaleBatch("s1", "a1", 1, 5)), RejectUnsigned},
		{a1, encode(f, signedBy(f, storetest.SaleBatch("s1", "a1", 1, 5), fuzzOtherKey)), RejectBadSignature},
		{a2, encode(f, signedBy(f, storetest.SaleBatch("s1", "a2", 1, 5), fuzzOtherKey)), RejectUnknownAgent},
		{a2, encode(f, signedBy(f, storetest.SaleBatch("s1", "a2", 1, 5), fuzzKey)), RejectUnknownAgent},
		{a1, encode(f, signedBy(f, storetest.SaleBatch("s1", "a2", 1, 5), fuzzOtherKey)), RejectMismatch},
		{tp.Up("s2", "a1"), encode(f, signedBy(f, storetest.SaleBatch("s2", "a1", 1, 5), fuzzKey)), RejectUnknownAgent},
		{a2, good, RejectMismatch},
		{tp.Ack("s1", "a1"), good, RejectInvalid},
		{"", good, RejectInvalid},
		{a1 + "/x", good, RejectInvalid},
		{a1, nil, RejectInvalid},
		{a1, []byte("garbage"), RejectInvalid},
		{a1, []byte{0xff, 0xff, 0xff, 0xff}, RejectInvalid},
		{a1, []byte{0x0a, 0x80}, RejectInvalid},
	}
	for i, s := range seeds {
		_, _, rej := in.decode(inbound{topic: s.topic, payload: s.payload})
		switch got := rejectionReason(rej); {
		case s.want == "any" && got == "", s.want != "any" && got != s.want:
			f.Fatalf("seed %d on %q: decode gave %q (%v), want %q", i, s.topic, got, rej, s.want)
		}
		f.Add(s.topic, s.payload)
	}
	f.Fuzz(func(t *testing.T, topic string, payload []byte) {
		m := inbound{topic: topic, payload: bytes.Clone(payload)}
		at, b, rej := in.decode(m)
		at2, b2, rej2 := in.decode(m)
		if at != at2 || !proto.Equal(b, b2) || rejectionText(rej) != rejectionText(rej2) {
			t.Fatalf("decode is not deterministic: %+v %v %v, then %+v %v %v", at, b, rej, at2, b2, rej2)
		}
		if !bytes.Equal(m.payload, payload) {
			t.Fatal("decode modified the payload")
		}
		if rej != nil {
			if b != nil {
				t.Fatalf("rejected (%v) but returned a batch", rej)
			}
			if !slices.Contains([]string{RejectUnsigned, RejectBadSignature, RejectUnknownAgent, RejectMismatch, RejectInvalid}, rej.reason) || rej.err == nil {
				t.Fatalf("rejection %q (%v) is not one of the Reject reasons with a detail", rej.reason, rej.err)
			}
			return
		}
		checkGenuine(t, at, b, genuine)
	})
}

// checkGenuine fails unless b, accepted on the topic at, is really signed
// with the one provisioned key and is one of the genuine batches.
func checkGenuine(t *testing.T, at syncproto.AgentTopic, b *syncproto.Batch, genuine []*syncproto.Batch) {
	t.Helper()
	if b == nil {
		t.Fatal("accepted without a batch")
	}
	if at.Store != "s1" || at.Agent != "a1" || at.Kind != syncproto.KindUp || b.GetStoreId() != "s1" || b.GetAgentId() != "a1" {
		t.Fatalf("accepted a batch of store %q agent %q on topic %+v; only s1/a1 has a key", b.GetStoreId(), b.GetAgentId(), at)
	}
	resigned, ok := proto.Clone(b).(*syncproto.Batch)
	if !ok {
		t.Fatal("clone batch: unexpected type")
	}
	if err := syncproto.SignBatch(resigned, fuzzKey); err != nil {
		t.Fatalf("SignBatch: %v", err)
	}
	if !bytes.Equal(resigned.GetSignature(), b.GetSignature()) {
		t.Fatalf("accepted a batch whose signature %x is not the key's %x", b.GetSignature(), resigned.GetSignature())
	}
	if !slices.ContainsFunc(genuine, func(g *syncproto.Batch) bool { return proto.Equal(g, b) }) {
		t.Fatalf("accepted a batch the key's holder never signed (forgery): %v", b)
	}
}

func rejectionReason(r *rejection) string {
	if r == nil {
		return ""
	}
	return r.reason
}

func rejectionText(r *rejection) string {
	if r == nil {
		return ""
	}
	return r.Error()
}
