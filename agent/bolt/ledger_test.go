package bolt

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/tillsync/tillsync/agent"
	"github.com/tillsync/tillsync/syncproto"
	bbolt "go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"
)

func TestOpen(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		path := tempPath(t)
		l := mustOpen(t, path, testOptions())
		if st := mustStatus(t, l); st != (agent.LedgerStatus{}) {
			t.Errorf("Status() of a new ledger = %+v, want zero", st)
		}
		if err := l.Close(); err != nil {
			t.Fatalf("Close() = %v", err)
		}
		if err := l.Close(); err != nil {
			t.Errorf("second Close() = %v, want nil", err)
		}
		mustOpen(t, path, testOptions()) // reopens with the same ids
	})

	// Without a clock, id source or logger the ledger uses its defaults:
	// event ids are UUIDv7, so central can order them by time.
	t.Run("Defaults", func(t *testing.T) {
		l := mustOpen(t, tempPath(t), Options{StoreID: testStore, AgentID: testAgent})
		s := newSale(t, "sale-1", "L1", 1, 1)
		s.WallTime = time.Time{}
		if err := l.CommitSale(context.Background(), s); err != nil {
			t.Fatal(err)
		}
		if s.WallTime.IsZero() {
			t.Error("sale without a wall time was not stamped")
		}
		entries, err := l.Journal(context.Background(), 1, 1)
		if err != nil || len(entries) != 1 {
			t.Fatalf("Journal() = %v, %v", entries, err)
		}
		var ev syncproto.Event
		if err := proto.Unmarshal(entries[0].Event, &ev); err != nil {
			t.Fatal(err)
		}
		if id, err := uuid.Parse(ev.GetEventId()); err != nil || id.Version() != 7 {
			t.Errorf("event id %q is not a UUIDv7 (%v)", ev.GetEventId(), err)
		}
	})

	t.Run("ErrInUse", func(t *testing.T) {
		path := tempPath(t)
		mustOpen(t, path, testOptions())
		opts := testOptions()
		opts.LockTimeout = 100 * time.Millisecond
		l, err := Open(path, opts)
		if err == nil {
			t.Fatalf("second Open() = nil error (close: %v), want ErrLedgerInUse", l.Close())
		}
		if !errors.Is(err, agent.ErrLedgerInUse) {
			t.Errorf("second Open() = %v, want ErrLedgerInUse", err)
		}
		for _, want := range []string{"ledger is in use by another process", path} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("second Open() = %q, want it to contain %q", err, want)
			}
		}
	})

	t.Run("ErrTooNew", func(t *testing.T) {
		path := tempPath(t)
		l := mustOpen(t, path, testOptions())
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		rawUpdate(t, path, func(tx *bbolt.Tx) error {
			return tx.Bucket([]byte(bucketMeta)).Put([]byte(metaSchemaVersion), u64(2))
		})
		_, err := Open(path, testOptions())
		if !errors.Is(err, agent.ErrLedgerTooNew) {
			t.Fatalf("Open() = %v, want ErrLedgerTooNew", err)
		}
		for _, want := range []string{"version 2", "up to 1"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("Open() = %q, want it to contain %q", err, want)
			}
		}
	})

	t.Run("ErrWrongOwner", func(t *testing.T) {
		tests := []struct {
			name           string
			store, agentID string
		}{
			{"OtherStore", "S002", testAgent},
			{"OtherAgent", testStore, "A02"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				path := tempPath(t)
				if err := mustOpen(t, path, testOptions()).Close(); err != nil {
					t.Fatal(err)
				}
				opts := testOptions()
				opts.StoreID, opts.AgentID = tt.store, tt.agentID
				_, err := Open(path, opts)
				if !errors.Is(err, ErrWrongOwner) {
					t.Fatalf("Open() = %v, want ErrWrongOwner", err)
				}
				if want := "ledger belongs to store S001 agent A01"; !strings.Contains(err.Error(), want) {
					t.Errorf("Open() = %q, want it to contain %q", err, want)
				}
			})
		}
	})

	t.Run("ErrNotLedger", func(t *testing.T) {
		path := tempPath(t)
		rawUpdate(t, path, func(tx *bbolt.Tx) error {
			_, err := tx.CreateBucket([]byte("someone-else"))
			return err
		})
		if _, err := Open(path, testOptions()); !errors.Is(err, ErrNotLedger) {
			t.Fatalf("Open() = %v, want ErrNotLedger", err)
		}
	})

	t.Run("ErrBadMeta", func(t *testing.T) {
		path := tempPath(t)
		rawUpdate(t, path, func(tx *bbolt.Tx) error {
			_, err := tx.CreateBucket([]byte(bucketMeta))
			return err
		})
		if _, err := Open(path, testOptions()); !errors.Is(err, ErrBadMeta) {
			t.Fatalf("Open() = %v, want ErrBadMeta", err)
		}
	})

	t.Run("ErrNotBolt", func(t *testing.T) {
		path := tempPath(t)
		if err := os.WriteFile(path, []byte(strings.Repeat("not a database\n", 1000)), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := Open(path, testOptions()); err == nil || !strings.Contains(err.Error(), path) {
			t.Fatalf("Open() = %v, want an error naming %s", err, path)
		}
	})

	t.Run("ErrOptions", func(t *testing.T) {
		tests := []struct {
			name string
			edit func(*Options)
			want string
		}{
			{"NoStore", func(o *Options) { o.StoreID = "" }, "store id"},
			{"NoAgent", func(o *Options) { o.AgentID = "" }, "agent id"},
			{"NegativeTimeout", func(o *Options) { o.LockTimeout = -time.Second }, "lock timeout"},
			{"NegativeBatchDelay", func(o *Options) { o.BatchDelay = -time.Second }, "batch delay"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				opts := testOptions()
				tt.edit(&opts)
				path := tempPath(t)
				if _, err := Open(path, opts); err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("Open() = %v, want an error about %s", err, tt.want)
				}
				if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("Open() with bad options created %s (stat: %v)", path, err)
				}
			})
		}
	})
}

// rawUpdate runs fn in a write transaction on path with bbolt itself, the
// way a newer tillsync or another program would have written the file.
func rawUpdate(t *testing.T, path string, fn func(*bbolt.Tx) error) {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(fn); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}
