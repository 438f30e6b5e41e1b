package bolt

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tillsync/tillsync/agent"
	"github.com/tillsync/tillsync/syncproto"
	bbolt "go.etcd.io/bbolt"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

func TestLedger_Journal(t *testing.T) {
	ctx := context.Background()
	path := tempPath(t)
	l := mustOpen(t, path, testOptions())
	commitN(t, l, 7)

	tests := []struct {
		name      string
		from      uint64
		max       int
		wantFirst uint64
		wantN     int
	}{
		{"FromZero", 0, 100, 1, 7},
		{"FromOne", 1, 3, 1, 3},
		{"Middle", 4, 2, 4, 2},
		{"Tail", 6, 100, 6, 2},
		{"PastHead", 8, 100, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := l.Journal(ctx, tt.from, tt.max)
			if err != nil {
				t.Fatalf("Journal(%d, %d) = %v", tt.from, tt.max, err)
			}
			if len(got) != tt.wantN {
				t.Fatalf("Journal(%d, %d) returned %d entries, want %d", tt.from, tt.max, len(got), tt.wantN)
			}
			for i, e := range got {
				checkEntry(t, e, tt.wantFirst+uint64(i))
			}
		})
	}

	t.Run("ErrMax", func(t *testing.T) {
		if _, err := l.Journal(ctx, 1, 0); agent.ErrorCode(err) != agent.EINVALID {
			t.Errorf("Journal(1, 0) = %v, want EINVALID", err)
		}
	})

	// The entries' bytes must be copies: bbolt unmaps the file on Close.
	t.Run("OutlivesClose", func(t *testing.T) {
		got, err := l.Journal(ctx, 1, 100)
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		for i, e := range got {
			checkEntry(t, e, uint64(i+1))
		}
	})
}

// checkEntry verifies that e is the journal entry of commitN's sale seq.
func checkEntry(t *testing.T, e agent.JournalEntry, seq uint64) {
	t.Helper()
	if e.Seq != seq || !e.WallTime.Equal(at(int(seq))) {
		t.Errorf("entry = seq %d at %v, want seq %d at %v", e.Seq, e.WallTime, seq, at(int(seq)))
	}
	var ev syncproto.Event
	if err := proto.Unmarshal(e.Event, &ev); err != nil {
		t.Fatalf("entry %d: %v", e.Seq, err)
	}
	sc := ev.GetSaleCommitted()
	if ev.GetSeq() != seq || sc.GetAgentSeq() != seq || ev.GetWallTimeMs() != at(int(seq)).UnixMilli() || ev.GetEventId() == "" {
		t.Errorf("entry %d holds event seq %d agent seq %d wall %d id %q", seq, ev.GetSeq(), sc.GetAgentSeq(), ev.GetWallTimeMs(), ev.GetEventId())
	}
}

func TestLedger_SetWatermark(t *testing.T) {
	ctx := context.Background()

	t.Run("OK", func(t *testing.T) {
		path := tempPath(t)
		l := mustOpen(t, path, testOptions())
		commitN(t, l, 5)
		for _, step := range []struct{ set, want uint64 }{
			{0, 0}, {3, 3}, {2, 3}, {3, 3}, {5, 5}, {1, 5},
		} {
			if err := l.SetWatermark(ctx, step.set); err != nil {
				t.Fatalf("SetWatermark(%d) = %v", step.set, err)
			}
			if got := mustStatus(t, l).Watermark; got != step.want {
				t.Errorf("after SetWatermark(%d) watermark = %d, want %d", step.set, got, step.want)
			}
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		if got := mustStatus(t, mustOpen(t, path, testOptions())).Watermark; got != 5 {
			t.Errorf("watermark after reopen = %d, want 5", got)
		}
	})

	t.Run("ErrAhead", func(t *testing.T) {
		l := mustOpen(t, tempPath(t), testOptions())
		commitN(t, l, 3)
		if err := l.SetWatermark(ctx, 2); err != nil {
			t.Fatal(err)
		}
		if err := l.SetWatermark(ctx, 4); !errors.Is(err, ErrWatermarkAhead) {
			t.Errorf("SetWatermark(4) with head 3 = %v, want ErrWatermarkAhead", err)
		}
		if got := mustStatus(t, l).Watermark; got != 2 {
			t.Errorf("watermark after refused set = %d, want 2", got)
		}
	})
}

func TestLedger_Status(t *testing.T) {
	ctx := context.Background()
	l := mustOpen(t, tempPath(t), testOptions())
	commitN(t, l, 4)
	tests := []struct {
		watermark uint64
		want      agent.LedgerStatus
		wantDepth uint64
	}{
		{0, agent.LedgerStatus{LastSeq: 4, Watermark: 0, OldestUnacked: at(1)}, 4},
		{1, agent.LedgerStatus{LastSeq: 4, Watermark: 1, OldestUnacked: at(2)}, 3},
		{3, agent.LedgerStatus{LastSeq: 4, Watermark: 3, OldestUnacked: at(4)}, 1},
		{4, agent.LedgerStatus{LastSeq: 4, Watermark: 4}, 0},
	}
	for _, tt := range tests {
		if err := l.SetWatermark(ctx, tt.watermark); err != nil {
			t.Fatal(err)
		}
		got := mustStatus(t, l)
		if got.LastSeq != tt.want.LastSeq || got.Watermark != tt.want.Watermark || !got.OldestUnacked.Equal(tt.want.OldestUnacked) {
			t.Errorf("watermark %d: Status() = %+v, want %+v", tt.watermark, got, tt.want)
		}
		if got.OutboxDepth() != tt.wantDepth {
			t.Errorf("watermark %d: OutboxDepth() = %d, want %d", tt.watermark, got.OutboxDepth(), tt.wantDepth)
		}
	}
}

func TestEventWallTimeField(t *testing.T) {
	fd := (&syncproto.Event{}).ProtoReflect().Descriptor().Fields().ByName("wall_time_ms")
	if fd == nil || fd.Number() != eventWallTimeField {
		t.Fatalf("syncproto.Event.wall_time_ms is %v, eventWallTimeField is %d", fd, eventWallTimeField)
	}
}

func TestEventWallTime(t *testing.T) {
	full, err := proto.Marshal(&syncproto.Event{Seq: 7, EventId: "e", WallTimeMs: at(3).UnixMilli(),
		Payload: &syncproto.Event_SaleCommitted{SaleCommitted: &syncproto.SaleCommitted{SaleId: "s", TotalFen: 100}}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		in      []byte
		want    time.Time
		wantErr bool
	}{
		{"OK", full, at(3), false},
		{"Absent", protowire.AppendVarint(protowire.AppendTag(nil, 1, protowire.VarintType), 7), time.UnixMilli(0).UTC(), false},
		{"Empty", nil, time.UnixMilli(0).UTC(), false},
		{"Truncated", full[:len(full)-1], time.Time{}, true},
		{"BadTag", []byte{0xff}, time.Time{}, true},
		{"TruncatedWallTime", protowire.AppendTag(nil, eventWallTimeField, protowire.VarintType), time.Time{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := eventWallTime(tt.in)
			if (err != nil) != tt.wantErr || (err != nil && !errors.Is(err, ErrJournalDamaged)) {
				t.Fatalf("eventWallTime() error = %v, want error %v (ErrJournalDamaged)", err, tt.wantErr)
			}
			if !got.Equal(tt.want) {
				t.Errorf("eventWallTime() = %v, want %v", got, tt.want)
			}
		})
	}
}

// A damaged journal entry is reported as ErrJournalDamaged, never decoded
// into a wrong sale or a zero time.
func TestLedger_Damaged(t *testing.T) {
	ctx := context.Background()
	path := tempPath(t)
	l := mustOpen(t, path, testOptions())
	commitN(t, l, 2)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	// A copy to damage, so that mustOpen's cleanup checks the intact file.
	damaged := tempPath(t)
	copyFile(t, path, damaged)
	rawUpdate(t, damaged, func(tx *bbolt.Tx) error {
		return tx.Bucket([]byte(bucketJournal)).Put(u64(1), []byte{0xff, 0xff})
	})
	l, err := Open(damaged, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := l.Close(); err != nil {
			t.Error(err)
		}
	}()
	tests := []struct {
		name string
		call func() error
	}{
		{"Sale", func() error { _, err := l.Sale(ctx, "sale-1"); return err }},
		{"Journal", func() error { _, err := l.Journal(ctx, 1, 10); return err }},
		{"Status", func() error { _, err := l.Status(ctx); return err }},
		{"Check", func() error { return l.Check(ctx) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); !errors.Is(err, ErrJournalDamaged) {
				t.Errorf("%s() = %v, want ErrJournalDamaged", tt.name, err)
			}
		})
	}
	if _, err := l.Sale(ctx, "sale-2"); err != nil {
		t.Errorf("Sale(sale-2) next to the damaged entry = %v", err)
	}
}

func TestLedger_Check(t *testing.T) {
	ctx := context.Background()

	t.Run("OK", func(t *testing.T) {
		l := mustOpen(t, tempPath(t), testOptions())
		commitN(t, l, 5)
		if err := l.Check(ctx); err != nil {
			t.Errorf("Check() on a healthy ledger = %v", err)
		}
	})

	t.Run("SalesAndReturns", func(t *testing.T) {
		path := tempPath(t)
		l := mustOpen(t, path, testOptions())
		commitMixed(t, l, 4)
		if err := l.Check(ctx); err != nil {
			t.Errorf("Check() = %v", err)
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		l = mustOpen(t, path, testOptions())
		if err := l.Check(ctx); err != nil {
			t.Errorf("Check() after reopen = %v", err)
		}
		if _, err := l.ReturnByID(ctx, "ret-4"); err != nil {
			t.Errorf("ReturnByID(ret-4) after reopen = %v", err)
		}
	})

	t.Run("ErrUnindexedReturn", func(t *testing.T) {
		path := tempPath(t)
		l, err := Open(path, testOptions()) // not mustOpen: its cleanup would check the damage
		if err != nil {
			t.Fatal(err)
		}
		commitMixed(t, l, 2)
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		rawUpdate(t, path, func(tx *bbolt.Tx) error {
			return tx.Bucket([]byte(bucketReturns)).Delete([]byte("ret-2"))
		})
		l, err = Open(path, testOptions())
		if err != nil {
			t.Fatal(err)
		}
		defer func() {
			if err := l.Close(); err != nil {
				t.Error(err)
			}
		}()
		if err := l.Check(ctx); !errors.Is(err, ErrJournalDamaged) || !strings.Contains(err.Error(), "returns entry ret-2") {
			t.Errorf("Check() = %v, want ErrJournalDamaged naming ret-2", err)
		}
	})
}

// commitMixed commits n member sales "sale-i" of two units (line 1) and,
// after each, a return "ret-i" of one unit of it with a points reversal.
func commitMixed(t *testing.T, l *Ledger, n int) {
	t.Helper()
	for i := 1; i <= n; i++ {
		saleOf2(t, l, fmt.Sprintf("sale-%d", i))
		r := testReturn(fmt.Sprintf("ret-%d", i), fmt.Sprintf("sale-%d", i), 1, "SKU000", 1000)
		r.Card, r.WallTime = testCard, at(i)
		r.Points = []agent.PointsEntry{{ID: r.ID + "-rev", Kind: agent.PointsReverseEarn, Points: -10, Card: testCard}}
		if err := l.CommitReturn(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
