package syncproto

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"testing"

	"google.golang.org/protobuf/proto"
)

func TestSignBatch(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		b := sampleBatch(t) // signed once already
		first := bytes.Clone(b.Signature)
		if len(first) != sha256.Size {
			t.Fatalf("signature is %d bytes, want %d", len(first), sha256.Size)
		}
		if err := SignBatch(b, testKey); err != nil {
			t.Fatalf("SignBatch: %v", err)
		}
		if !bytes.Equal(b.Signature, first) {
			t.Error("re-signing changed the signature: the old one was not cleared first")
		}
	})
	t.Run("OKKnownAnswer", func(t *testing.T) {
		// The MAC is HMAC-SHA256 over the deterministic encoding without
		// field 9, computed here independently of SignBatch.
		b := sampleBatch(t)
		b.Signature = nil
		enc, err := proto.MarshalOptions{Deterministic: true}.Marshal(b)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		h := hmac.New(sha256.New, testKey)
		h.Write(enc)
		want := h.Sum(nil)
		if err := SignBatch(b, testKey); err != nil {
			t.Fatalf("SignBatch: %v", err)
		}
		if !bytes.Equal(b.Signature, want) {
			t.Errorf("signature %x, want %x", b.Signature, want)
		}
	})
	t.Run("ErrNoKey", func(t *testing.T) {
		checkErr(t, SignBatch(sampleBatch(t), nil), ErrNoKey, "sign batch")
	})
}

func TestVerifyBatch(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		b := sampleBatch(t)
		sig := bytes.Clone(b.Signature)
		if err := VerifyBatch(b, testKey); err != nil {
			t.Fatalf("VerifyBatch: %v", err)
		}
		if !bytes.Equal(b.Signature, sig) {
			t.Error("VerifyBatch modified the batch's signature")
		}
	})
	t.Run("OKNewerSender", func(t *testing.T) {
		// A newer agent signs a batch with a field this build does not know
		// (number 20); the re-encoding here must still match its MAC.
		b := sampleBatch(t)
		b.Signature = nil
		content := appendField(rawMarshal(t, b), 20, "future")
		h := hmac.New(sha256.New, testKey)
		h.Write(content)
		b.Signature = h.Sum(nil)
		got, err := DecodeBatch(appendField(rawMarshal(t, b), 20, "future"))
		if err != nil {
			t.Fatalf("DecodeBatch: %v", err)
		}
		if err := VerifyBatch(got, testKey); err != nil {
			t.Errorf("VerifyBatch: %v", err)
		}
	})
	tests := []struct {
		name string
		edit func(b *Batch)
		key  []byte
	}{
		{"ErrBadSignatureWrongKey", func(*Batch) {}, []byte("another-agent-key")},
		{"ErrBadSignatureTotal", func(b *Batch) { b.Events[0].GetSaleCommitted().TotalFen++ }, testKey},
		{"ErrBadSignatureAgent", func(b *Batch) { b.AgentId = "s0042-a2" }, testKey},
		{"ErrBadSignatureStore", func(b *Batch) { b.StoreId = "s0043" }, testKey},
		{"ErrBadSignatureDropped", func(b *Batch) { b.Events, b.LastSeq = b.Events[:1], 17 }, testKey},
		{"ErrBadSignatureTruncated", func(b *Batch) { b.Signature = b.Signature[:16] }, testKey},
		{"ErrBadSignatureUnsigned", func(b *Batch) { b.Signature = nil }, testKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := sampleBatch(t)
			tt.edit(b)
			checkErr(t, VerifyBatch(b, tt.key), ErrBadSignature, "verify batch")
		})
	}
	t.Run("ErrNoKey", func(t *testing.T) {
		checkErr(t, VerifyBatch(sampleBatch(t), []byte{}), ErrNoKey, "verify batch")
	})
	t.Run("ErrBadSignatureNil", func(t *testing.T) {
		checkErr(t, VerifyBatch(nil, testKey), ErrBadSignature, "unsigned")
	})
}
