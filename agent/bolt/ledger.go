package bolt

import (
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
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
	// DefaultBatchDelay is bbolt's MaxBatchDelay for concurrent commits.
	// bbolt's own 10ms default put a 10ms floor under every concurrent
	// commit's latency and, on an SSD, capped a 16-lane group commit at
	// little better than one lane's fsync rate; 1ms is enough for lanes
	// woken by the previous commit to join the next one.
	DefaultBatchDelay = time.Millisecond
)

// Options configure a Ledger. StoreID and AgentID are required.
type Options struct {
	// StoreID and AgentID are written to meta on the first open; a later
	// open with other ids fails with ErrWrongOwner, so a file copied to the
	// wrong machine cannot send its sales under another agent's name.
	StoreID, AgentID string
	// LockTimeout bounds the wait for the file lock; 0 means DefaultLockTimeout.
	LockTimeout time.Duration
	// BatchDelay is how long a commit that finds another in progress waits
	// for more to share its fsync (bbolt's DB.MaxBatchDelay); 0 means
	// DefaultBatchDelay. A commit with none in progress never waits.
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
	// committing counts CommitSale calls in progress: a lone commit goes
	// straight to DB.Update, since DB.Batch would hold it for MaxBatchDelay
	// waiting for company that is not coming.
	committing atomic.Int64
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
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: opts.LockTimeout})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("open ledger %q: %w (waited %s for its lock; is another tillsync-agent running?)",
			path, agent.ErrLedgerInUse, opts.LockTimeout)
	}
	if err != nil {
		return nil, fmt.Errorf("open ledger %q: %w", path, err)
	}
	db.MaxBatchDelay = opts.BatchDelay
	l := &Ledger{
		db: db, path: path, storeID: opts.StoreID, agentID: opts.AgentID,
		now: opts.Now, newEventID: opts.NewEventID,
		logger: opts.Logger.With("ledger", path),
	}
	if err := db.Update(l.initMeta); err != nil {
		return nil, errors.Join(fmt.Errorf("open ledger %q: %w", path, err), l.closeDB())
	}
	l.logger.Debug("ledger opened", "store", l.storeID, "agent", l.agentID)
	return l, nil
}

// Close releases the file and its lock. Calls after the first return nil.
func (l *Ledger) Close() error {
	return l.closeDB()
}

func (l *Ledger) closeDB() error {
	if err := l.db.Close(); err != nil {
		return fmt.Errorf("close ledger %q: %w", l.path, err)
	}
	return nil
}
