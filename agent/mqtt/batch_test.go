package mqtt

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tillsync/tillsync/agent"
	"github.com/tillsync/tillsync/syncproto"
	"google.golang.org/protobuf/proto"
)

func journal(t *testing.T, n int) []agent.JournalEntry {
	t.Helper()
	l := newTestLedger(t)
	commitSales(t, l, n)
	entries, err := l.Journal(context.Background(), 1, n)
	if err != nil {
		t.Fatalf("journal: %v", err)
	}
	return entries
}

func TestBatch_Payload(t *testing.T) {
	entries := journal(t, 5)
	h := batchHeader{chain: testChain, store: testStore, agent: testAgent}
	for _, tt := range []struct {
		name    string
		entries []agent.JournalEntry
	}{
		{"One", entries[2:3]},
		{"Several", entries[1:5]},
	} {
		t.Run(tt.name, func(t *testing.T) {
			bt := newBatch(h, tt.entries)
			sent := time.UnixMilli(1_750_000_000_123)
			got, err := syncproto.DecodeBatch(bt.payload(sent, nil))
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			want := &syncproto.Batch{
				SchemaVersion: syncproto.SchemaVersion, ChainId: testChain, StoreId: testStore, AgentId: testAgent,
				FirstSeq: tt.entries[0].Seq, LastSeq: tt.entries[len(tt.entries)-1].Seq, SentAtMs: sent.UnixMilli(),
			}
			for _, e := range tt.entries {
				ev, err := syncproto.DecodeEvent(e.Event)
				if err != nil {
					t.Fatalf("decode journal event %d: %v", e.Seq, err)
				}
				want.Events = append(want.Events, ev)
			}
			if !proto.Equal(got, want) {
				t.Errorf("decoded batch\n got %v\nwant %v", got, want)
			}
			if bt.first != want.FirstSeq || bt.last != want.LastSeq {
				t.Errorf("batch range %d..%d, want %d..%d", bt.first, bt.last, want.FirstSeq, want.LastSeq)
			}
		})
	}
	t.Run("ResendSetsNewTime", func(t *testing.T) {
		bt := newBatch(h, entries)
		first := bt.payload(time.UnixMilli(1000), nil)
		second := bt.payload(time.UnixMilli(2000), nil)
		a, errA := syncproto.DecodeBatch(first)
		b, errB := syncproto.DecodeBatch(second)
		if errA != nil || errB != nil {
			t.Fatalf("decode: %v, %v", errA, errB)
		}
		if a.GetSentAtMs() != 1000 || b.GetSentAtMs() != 2000 {
			t.Errorf("sent_at_ms %d and %d, want 1000 and 2000", a.GetSentAtMs(), b.GetSentAtMs())
		}
	})
}

func TestFitBatch(t *testing.T) {
	h := batchHeader{chain: testChain, store: testStore, agent: testAgent}
	big := func(n int, size int) []agent.JournalEntry {
		out := make([]agent.JournalEntry, n)
		for i := range out {
			out[i] = agent.JournalEntry{Seq: uint64(i + 1), Event: []byte(strings.Repeat("x", size))}
		}
		return out
	}
	for _, tt := range []struct {
		name    string
		entries []agent.JournalEntry
		want    int
	}{
		{"Small", big(200, 1000), 200},
		{"TooBig", big(10, 1<<20), 3},
		{"OneHuge", big(2, syncproto.MaxPayloadSize), 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			n := fitBatch(h, tt.entries)
			if n != tt.want {
				t.Fatalf("fitBatch = %d, want %d", n, tt.want)
			}
			if size := len(newBatch(h, tt.entries[:n]).payload(time.Now(), nil)); n > 1 && size > syncproto.MaxPayloadSize {
				t.Errorf("batch of %d entries is %d bytes, over %d", n, size, syncproto.MaxPayloadSize)
			}
		})
	}
}

func TestBatch_PayloadSigned(t *testing.T) {
	entries := journal(t, 5)
	h := batchHeader{chain: testChain, store: testStore, agent: testAgent}
	key := bytes.Repeat([]byte{7}, KeySize)
	decode := func(t *testing.T, payload []byte) *syncproto.Batch {
		t.Helper()
		b, err := syncproto.DecodeBatch(payload)
		if err != nil {
			t.Fatalf("decode: %v", err)
		}
		return b
	}
	t.Run("OK", func(t *testing.T) {
		for _, n := range []int{1, 5} {
			b := decode(t, newBatch(h, entries[:n]).payload(time.UnixMilli(1_750_000_000_123), key))
			if err := syncproto.VerifyBatch(b, key); err != nil {
				t.Errorf("%d events: VerifyBatch: %v", n, err)
			}
		}
	})
	t.Run("OKSameAsSignBatch", func(t *testing.T) {
		b := decode(t, newBatch(h, entries).payload(time.UnixMilli(42), key))
		got := b.GetSignature()
		if err := syncproto.SignBatch(b, key); err != nil {
			t.Fatalf("SignBatch: %v", err)
		}
		if !bytes.Equal(got, b.GetSignature()) {
			t.Errorf("uplink signature %x, SignBatch %x", got, b.GetSignature())
		}
	})
	t.Run("ErrUnsigned", func(t *testing.T) {
		b := decode(t, newBatch(h, entries).payload(time.UnixMilli(42), nil))
		if err := syncproto.VerifyBatch(b, key); !errors.Is(err, syncproto.ErrBadSignature) {
			t.Errorf("VerifyBatch = %v, want ErrBadSignature", err)
		}
	})
	t.Run("ErrOtherKey", func(t *testing.T) {
		b := decode(t, newBatch(h, entries).payload(time.UnixMilli(42), key))
		if err := syncproto.VerifyBatch(b, bytes.Repeat([]byte{8}, KeySize)); !errors.Is(err, syncproto.ErrBadSignature) {
			t.Errorf("VerifyBatch = %v, want ErrBadSignature", err)
		}
	})
	t.Run("ErrTampered", func(t *testing.T) {
		b := decode(t, newBatch(h, entries).payload(time.UnixMilli(42), key))
		b.LastSeq, b.Events = b.GetLastSeq()-1, b.GetEvents()[:len(b.GetEvents())-1]
		if err := syncproto.VerifyBatch(b, key); !errors.Is(err, syncproto.ErrBadSignature) {
			t.Errorf("VerifyBatch = %v, want ErrBadSignature", err)
		}
	})
}
