package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/tillsync/tillsync/central"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// DefaultBusyTimeout is how long a connection waits for another process's
// lock before failing with SQLITE_BUSY.
const DefaultBusyTimeout = 10 * time.Second

// Options tune Open. The zero value opens read-write with defaults.
type Options struct {
	// ReadOnly opens an existing, migrated database without writing to it
	// (for reports); IngestBatch then fails.
	ReadOnly bool
	// BusyTimeout overrides DefaultBusyTimeout.
	BusyTimeout time.Duration
	// Logger receives migration messages; nil discards them.
	Logger *slog.Logger
	// Now is the clock used for migration timestamps; nil means time.Now.
	Now func() time.Time
	// StatsZone is the chain's calendar for the member statistics'
	// monthly buckets and windows (central.MonthOf); nil means UTC.
	StatsZone *time.Location
}

// DB is a central.Store on one SQLite file. It is safe for concurrent use.
type DB struct {
	path   string
	write  *sql.DB // nil when read-only; one connection, BEGIN IMMEDIATE
	read   *sql.DB
	logger *slog.Logger
	now    func() time.Time
	zone   *time.Location // Options.StatsZone, never nil

	closeOnce sync.Once
	closeErr  error
}

var _ central.Store = (*DB)(nil)

// Open opens (creating when read-write) the database at path and brings its
// schema up to date. It fails with central.ErrSchemaTooNew for a database
// migrated by a newer build, and when read-only with central.ErrSchemaTooOld
// for one that still needs migrations.
func Open(path string, opts Options) (*DB, error) {
	db := &DB{path: path, logger: opts.Logger, now: opts.Now, zone: opts.StatsZone}
	if db.zone == nil {
		db.zone = time.UTC
	}
	if db.logger == nil {
		db.logger = slog.New(slog.DiscardHandler)
	}
	if db.now == nil {
		db.now = time.Now
	}
	busy := opts.BusyTimeout
	if busy <= 0 {
		busy = DefaultBusyTimeout
	}
	if err := db.open(opts.ReadOnly, busy); err != nil {
		if cerr := db.Close(); cerr != nil {
			db.logger.Warn("close after failed open", "path", path, "err", cerr)
		}
		return nil, err
	}
	return db, nil
}

func (db *DB) open(readOnly bool, busy time.Duration) error {
	ctx := context.Background()
	busyMS := strconv.FormatInt(busy.Milliseconds(), 10)
	if !readOnly {
		w, err := openPool(db.path, url.Values{
			"_busy_timeout": {busyMS}, "_journal_mode": {"WAL"}, "_synchronous": {"FULL"},
			"_foreign_keys": {"1"}, "_txlock": {"immediate"},
		})
		if err != nil {
			return err
		}
		// One writer connection: SQLite has one writer anyway, and queueing
		// in database/sql is fairer and cheaper than busy-waiting.
		w.SetMaxOpenConns(1)
		db.write = w
		if err := db.migrate(ctx); err != nil {
			return err
		}
	}
	readParams := url.Values{"_busy_timeout": {busyMS}, "_query_only": {"1"}}
	if readOnly {
		readParams.Set("mode", "ro") // fail on a missing file instead of creating it
	}
	r, err := openPool(db.path, readParams)
	if err != nil {
		return err
	}
	db.read = r
	if readOnly {
		return db.checkVersion(ctx)
	}
	return nil
}

func openPool(path string, params url.Values) (*sql.DB, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("database path %q: %w", path, err)
	}
	// A file: URI so that SQLite's own parameters (mode=ro) apply and a
	// path with '?' or '#' in it is escaped rather than cut.
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(abs), RawQuery: params.Encode()}
	pool, err := sql.Open("sqlite", u.String())
	if err != nil {
		return nil, fmt.Errorf("open database %q: %w", path, err)
	}
	if err := pool.PingContext(context.Background()); err != nil {
		return nil, fmt.Errorf("open database %q: %w", path, errClose(pool, err))
	}
	return pool, nil
}

// errClose closes pool after a failure and joins a close error to err.
func errClose(pool *sql.DB, err error) error {
	if cerr := pool.Close(); cerr != nil {
		return fmt.Errorf("%w (and close: %v)", err, cerr)
	}
	return err
}

// Path returns the file the database was opened from.
func (db *DB) Path() string { return db.path }

// Close closes both pools. Later calls return the first call's result;
// other calls on a closed DB fail with an internal error.
func (db *DB) Close() error {
	db.closeOnce.Do(func() {
		for _, p := range []*sql.DB{db.write, db.read} {
			if p == nil {
				continue
			}
			if err := p.Close(); err != nil && db.closeErr == nil {
				db.closeErr = fmt.Errorf("close database %q: %w", db.path, err)
			}
		}
	})
	return db.closeErr
}
