package central_test

import (
	"math"
	"strings"
	"testing"

	"github.com/tillsync/tillsync/central"
	"github.com/tillsync/tillsync/central/storetest"
	"github.com/tillsync/tillsync/syncproto"
)

func TestValidateBatch(t *testing.T) {
	tests := []struct {
		name  string
		spoil func(b *syncproto.Batch)
		want  string // substring of the message; "" = valid
	}{
		{"OK", func(*syncproto.Batch) {}, ""},
		{"OKOlderSchema", func(b *syncproto.Batch) { b.SchemaVersion = 1 }, ""},
		{"ErrSchemaTooNew", func(b *syncproto.Batch) { b.SchemaVersion = syncproto.SchemaVersion + 1 }, "schema"},
		{"ErrNoSchema", func(b *syncproto.Batch) { b.SchemaVersion = 0 }, "schema"},
		{"ErrStoreMismatch", func(b *syncproto.Batch) { b.StoreId = "s2" }, `batch store "s2" does not match topic store "s1"`},
		{"ErrAgentMismatch", func(b *syncproto.Batch) { b.AgentId = "a2" }, `batch agent "a2" does not match topic agent "a1"`},
		{"ErrFirstAfterLast", func(b *syncproto.Batch) { b.FirstSeq, b.LastSeq = 3, 1 }, "first_seq 3"},
		{"ErrGap", func(b *syncproto.Batch) { b.Events[1].Seq = 9 }, "seq 9"},
		{"ErrRangeTooLong", func(b *syncproto.Batch) { b.LastSeq = 4 }, "4"},
		{"ErrNoEvents", func(b *syncproto.Batch) { b.Events = nil }, "no events"},
		{"ErrSeqZero", func(b *syncproto.Batch) {
			for i, ev := range b.Events {
				ev.Seq = uint64(i)
			}
			b.FirstSeq, b.LastSeq = 0, 2
		}, "first_seq 0"},
		{"ErrSeqBeyondInt64", func(b *syncproto.Batch) {
			for i, ev := range b.Events {
				ev.Seq = math.MaxInt64 + uint64(i)
			}
			b.FirstSeq, b.LastSeq = math.MaxInt64, math.MaxInt64+2
		}, "exceeds"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := storetest.SaleBatch("s1", "a1", 1, 3)
			tt.spoil(b)
			err := central.ValidateBatch(b, "s1", "a1")
			if tt.want == "" {
				if err != nil {
					t.Fatalf("ValidateBatch: %v", err)
				}
				return
			}
			if central.ErrorCode(err) != central.EINVALID || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ValidateBatch err = %v, want EINVALID containing %q", err, tt.want)
			}
		})
	}
	t.Run("ErrNil", func(t *testing.T) {
		if err := central.ValidateBatch(nil, "s1", "a1"); central.ErrorCode(err) != central.EINVALID {
			t.Fatalf("err = %v, want EINVALID", err)
		}
	})
}
