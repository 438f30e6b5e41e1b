package bolt

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/tillsync/tillsync/agent"
	bbolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

var _ agent.Ledger = (*Ledger)(nil)

// Defaults for Options.
const (
	// DefaultLockTimeout is how long Open waits for another holder of the
	// file lock before it gives up with agent.ErrLedgerInUse.
	DefaultLockTimeout = time.Second
	// DefaultBatchDelay bounds how long the group commit holds a group
	// open for lanes that shared the previous one and have not come back
	// yet (see Options.BatchDelay). 1ms is a fraction of one fsync here
	// (~0.5ms per fdatasync, two per bbolt commit) and well under what a
	// cashier notices.
	DefaultBatchDelay = time.Millisecond
	// initialMmapSize is the ledger's first mapping. bbolt otherwise maps
	// 32 KiB and doubles the map, and the file with it, up to 1 GiB: every
	// doubling is a remap that blocks readers and an fsynced truncate in
	// some commit. From 64 MiB on the file grows in 16 MiB steps
	// (bbolt's AllocSize). It is address space, not memory.
	initialMmapSize = 64 << 20
)

// Options configure a Ledger. StoreID and AgentID are required.
type Options struct {
	// StoreID and AgentID are written to meta on the first open; a later
	// open with other ids fails with ErrWrongOwner, so a file copied to the
	// wrong machine cannot send its sales under another agent's name.
	StoreID, AgentID string
	// LockTimeout bounds the wait for the file lock; 0 means DefaultLockTimeout.
	LockTimeout time.Duration
	// BatchDelay bounds how long the group commit waits, after the first
	// commit of a group arrives, for as many commits as the previous group
	// held; 0 means DefaultBatchDelay. A commit that follows a group of one
	// (a lone lane) never waits, and commits arriving while the disk is
	// busy join the next group without any timer.
	BatchDelay time.Duration
	// Now is the ledger's clock; nil means time.Now.
	Now func() time.Time
	// NewEventID returns a fresh event id; nil means a UUIDv7 string.
	NewEventID func() string
	// Logger receives the ledger's logs; nil discards them.
	Logger *slog.Logger
}

func (o Options) withDefaults() (Options, error) {
	switch {
	case o.StoreID == "":
		return o, fmt.Errorf("ledger options: store id is required")
	case o.AgentID == "":
		return o, fmt.Errorf("ledger options: agent id is required")
	case o.LockTimeout < 0:
		return o, fmt.Errorf("ledger options: lock timeout %s is negative", o.LockTimeout)
	case o.BatchDelay < 0:
		return o, fmt.Errorf("ledger options: batch delay %s is negative", o.BatchDelay)
	}
	if o.BatchDelay == 0 {
		o.BatchDelay = DefaultBatchDelay
	}
	if o.LockTimeout == 0 {
		o.LockTimeout = DefaultLockTimeout
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.NewEventID == nil {
		o.NewEventID = newUUIDv7
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o, nil
}

// newUUIDv7 returns a UUIDv7 string. uuid.NewV7 fails only when
// crypto/rand fails, which since Go 1.24 crashes the program instead of
// returning an error, so Must cannot panic here.
func newUUIDv7() string { return uuid.Must(uuid.NewV7()).String() }

// Ledger is the agent's durable record in one bbolt file. It implements
// agent.Ledger and is safe for concurrent use.
type Ledger struct {
	db         *bbolt.DB
	path       string
	storeID    string
	agentID    string
	now        func() time.Time
	newEventID func() string
	logger     *slog.Logger
	// writer runs the journal's commits (sales, returns, enrollments),
	// many lanes' commits sharing one fsync.
	writer *writer
}

// Open opens or creates the ledger at path. It fails with an error wrapping
// agent.ErrLedgerInUse if another process (or another Open in this one)
// holds the file for longer than opts.LockTimeout, agent.ErrLedgerTooNew if
// a newer tillsync wrote it, ErrWrongOwner if it belongs to another store or
// agent, and ErrNotLedger if it is some other bbolt file.
func Open(path string, opts Options) (*Ledger, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	db, err := bbolt.Open(path, 0o600, boltOptions(opts))
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("open ledger %q: %w (waited %s for its lock; is another tillsync-agent running?)",
			path, agent.ErrLedgerInUse, opts.LockTimeout)
	}
	if err != nil {
		return nil, fmt.Errorf("open ledger %q: %w", path, err)
	}
	l := &Ledger{
		db: db, path: path, storeID: opts.StoreID, agentID: opts.AgentID,
		now: opts.Now, newEventID: opts.NewEventID,
		logger: opts.Logger.With("ledger", path),
	}
	if err := db.Update(l.initMeta); err != nil {
		return nil, errors.Join(fmt.Errorf("open ledger %q: %w", path, err), l.closeDB())
	}
	l.writer = newWriter(db, opts.BatchDelay, 1)
	l.logger.Debug("ledger opened", "store", l.storeID, "agent", l.agentID)
	return l, nil
}

// boltOptions are the bbolt options of a ledger. Every commit is fsynced
// (NoSync stays false: a till reports a sale only once it is on disk,
// DESIGN §4). NoFreelistSync spares each commit the write of the freelist
// pages, which grow with the file's free pages; bbolt rebuilds the
// freelist by walking the file on open instead (a bbolt opened without
// the option, 1.3 or later, does the same and writes it back). The map
// freelist allocates in constant time however fragmented the file gets.
func boltOptions(opts Options) *bbolt.Options {
	return &bbolt.Options{
		Timeout:         opts.LockTimeout,
		NoFreelistSync:  true,
		FreelistType:    bbolt.FreelistMapType,
		InitialMmapSize: initialMmapSize,
	}
}

// Close waits for the commits in progress, refuses later ones with
// ErrClosed, and releases the file and its lock. Calls after the first
// return nil.
func (l *Ledger) Close() error {
	l.writer.stop()
	return l.closeDB()
}

func (l *Ledger) closeDB() error {
	if err := l.db.Close(); err != nil {
		return fmt.Errorf("close ledger %q: %w", l.path, err)
	}
	return nil
}
