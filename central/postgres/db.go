package postgres

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/tillsync/tillsync/central"
)

// DefaultMaxConns is the pool size when Options.MaxConns is zero: enough for
// the ingest workers and the HQ API of one central instance.
const DefaultMaxConns = 8

// Options tune Open. The zero value uses the defaults.
type Options struct {
	// MaxConns overrides DefaultMaxConns; a pool_max_conns in the DSN wins
	// over both.
	MaxConns int32
	// Logger receives migration and retry messages; nil discards them.
	Logger *slog.Logger
	// Now is the clock used for migration timestamps; nil means time.Now.
	Now func() time.Time
	// StatsZone is the chain's calendar for the member statistics'
	// monthly buckets and windows (central.MonthOf); nil means UTC.
	StatsZone *time.Location
}

// DB is a central.Store on one PostgreSQL database. It is safe for
// concurrent use, also by several processes sharing the database.
type DB struct {
	pool   *pgxpool.Pool
	target string // host:port/database, never the password
	logger *slog.Logger
	now    func() time.Time
	zone   *time.Location // Options.StatsZone, never nil

	closeOnce sync.Once
}

var _ central.Store = (*DB)(nil)

// Open connects to the database dsn names (a postgres:// URL or a
// key=value string, as libpq reads them) and brings its schema up to date.
// It fails with central.ErrSchemaTooNew for a database migrated by a newer
// build. Errors never carry the DSN's password.
func Open(ctx context.Context, dsn string, opts Options) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx's parse errors redact the password themselves.
		return nil, fmt.Errorf("database dsn: %w", err)
	}
	if !strings.Contains(dsn, "pool_max_conns") {
		cfg.MaxConns = DefaultMaxConns
		if opts.MaxConns > 0 {
			cfg.MaxConns = opts.MaxConns
		}
	}
	db := &DB{
		target: fmt.Sprintf("%s:%d/%s", cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database),
		logger: opts.Logger, now: opts.Now, zone: opts.StatsZone,
	}
	if db.zone == nil {
		db.zone = time.UTC
	}
	if db.logger == nil {
		db.logger = slog.New(slog.DiscardHandler)
	}
	if db.now == nil {
		db.now = time.Now
	}
	if db.pool, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
		return nil, fmt.Errorf("open database %s: %w", db.target, err)
	}
	if err := db.pool.Ping(ctx); err != nil {
		db.pool.Close()
		return nil, fmt.Errorf("open database %s: %w", db.target, err)
	}
	if err := db.migrate(ctx); err != nil {
		db.pool.Close()
		return nil, err
	}
	return db, nil
}

// Target returns host:port/database of the database, for logs; it never
// holds the password.
func (db *DB) Target() string { return db.target }

// Close closes the pool, waiting for connections in use to be released.
// Later calls do nothing; other calls on a closed DB fail.
func (db *DB) Close() error {
	db.closeOnce.Do(db.pool.Close)
	return nil
}
