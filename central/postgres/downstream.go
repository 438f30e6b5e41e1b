package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/tillsync/tillsync/central"
)

var _ central.Downstreams = (*DB)(nil)

// downstreamMigration is schema version 4, as in package sqlite.
const downstreamMigration = `
CREATE TABLE stream_versions (
	stream       TEXT    NOT NULL,
	version      BIGINT  NOT NULL,
	delta        BYTEA   NOT NULL,
	delta_whole  BOOLEAN NOT NULL,
	snapshot     BYTEA,
	created_ms   BIGINT  NOT NULL,
	broadcast_ms BIGINT,
	PRIMARY KEY (stream, version)
);
CREATE INDEX stream_versions_unbroadcast ON stream_versions (created_ms) WHERE broadcast_ms IS NULL;
`

// AppendStreamVersion implements central.Downstreams. A transaction-scoped
// advisory lock on the stream serialises appends from every central
// instance, so each version is computed from its true predecessor.
func (db *DB) AppendStreamVersion(ctx context.Context, stream string, now time.Time,
	next func(*central.StreamVersion) (*central.StreamVersion, error)) (*central.StreamVersion, error) {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("append %s version: begin: %w", stream, err)
	}
	defer func() {
		if err := tx.Rollback(context.WithoutCancel(ctx)); err != nil && !errors.Is(err, pgx.ErrTxClosed) {
			db.logger.Warn("rollback", "err", err)
		}
	}()
	v, err := appendVersion(ctx, tx, stream, now, next)
	if err != nil {
		return nil, err
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("append %s version %d: commit: %w", stream, v.Version, err)
	}
	return v, nil
}

// appendVersion takes stream's advisory lock and appends its next version
// inside tx (see AppendStreamVersion).
func appendVersion(ctx context.Context, tx pgx.Tx, stream string, now time.Time,
	next func(*central.StreamVersion) (*central.StreamVersion, error)) (*central.StreamVersion, error) {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('stream_versions:' || $1))`, stream); err != nil {
		return nil, fmt.Errorf("append %s version: lock: %w", stream, err)
	}
	latest, err := latestVersion(ctx, tx, stream)
	if err != nil {
		return nil, err
	}
	v, delta, snap, err := central.NextStreamVersion(stream, latest, now, next)
	if err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `UPDATE stream_versions SET snapshot = NULL WHERE stream = $1 AND snapshot IS NOT NULL`, stream); err != nil {
		return nil, fmt.Errorf("append %s version: prune snapshots: %w", stream, err)
	}
	if _, err = tx.Exec(ctx, `INSERT INTO stream_versions (stream, version, delta, delta_whole, snapshot, created_ms)
		VALUES ($1, $2, $3, $4, $5, $6)`, stream, int64(v.Version), delta, v.DeltaIsWhole, snap, now.UnixMilli()); err != nil {
		return nil, fmt.Errorf("append %s version %d: %w", stream, v.Version, err)
	}
	return v, nil
}

func latestVersion(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, stream string) (*central.StreamVersion, error) {
	var version, created int64
	var broadcast *int64
	var whole bool
	var delta, snap []byte
	err := q.QueryRow(ctx, `SELECT version, delta, delta_whole, snapshot, created_ms, broadcast_ms
		FROM stream_versions WHERE stream = $1 ORDER BY version DESC LIMIT 1`, stream).
		Scan(&version, &delta, &whole, &snap, &created, &broadcast)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("latest %s version: %w", stream, err)
	}
	return central.StreamVersionFromRow(stream, uint64(version), delta, whole, snap, created, deref(broadcast))
}

func deref(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// LatestStreamVersion implements central.Downstreams.
func (db *DB) LatestStreamVersion(ctx context.Context, stream string) (*central.StreamVersion, error) {
	return latestVersion(ctx, db.pool, stream)
}

// StreamDeltas implements central.Downstreams.
func (db *DB) StreamDeltas(ctx context.Context, stream string, after uint64, limit int) ([]*central.StreamVersion, error) {
	return db.versions(ctx, `SELECT stream, version, delta, delta_whole, created_ms, broadcast_ms FROM stream_versions
		WHERE stream = $1 AND version > $2 ORDER BY version LIMIT $3`, stream, int64(after), limit)
}

// UnbroadcastVersions implements central.Downstreams.
func (db *DB) UnbroadcastVersions(ctx context.Context, limit int) ([]*central.StreamVersion, error) {
	return db.versions(ctx, `SELECT stream, version, delta, delta_whole, created_ms, broadcast_ms FROM stream_versions
		WHERE broadcast_ms IS NULL ORDER BY created_ms, stream, version LIMIT $1`, limit)
}

func (db *DB) versions(ctx context.Context, query string, args ...any) ([]*central.StreamVersion, error) {
	rows, err := db.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("read stream versions: %w", err)
	}
	var out []*central.StreamVersion
	var stream string
	var version, created int64
	var broadcast *int64
	var whole bool
	var delta []byte
	if _, err := pgx.ForEachRow(rows, []any{&stream, &version, &delta, &whole, &created, &broadcast}, func() error {
		v, err := central.StreamVersionFromRow(stream, uint64(version), delta, whole, nil, created, deref(broadcast))
		if err == nil {
			out = append(out, v)
		}
		return err
	}); err != nil {
		return nil, fmt.Errorf("read stream versions: %w", err)
	}
	return out, nil
}

// MarkBroadcast implements central.Downstreams.
func (db *DB) MarkBroadcast(ctx context.Context, stream string, version uint64, at time.Time) error {
	if _, err := db.pool.Exec(ctx, `UPDATE stream_versions SET broadcast_ms = $1
		WHERE stream = $2 AND version = $3 AND broadcast_ms IS NULL`, at.UnixMilli(), stream, int64(version)); err != nil {
		return fmt.Errorf("mark %s version %d broadcast: %w", stream, version, err)
	}
	return nil
}
