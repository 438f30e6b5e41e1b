package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tillsync/tillsync/central"
)

var _ central.Downstreams = (*DB)(nil)

// downstreamMigration is schema version 4: the versions of the chain-wide
// streams central sends to stores (catalog, policy, card blocks).
const downstreamMigration = `
CREATE TABLE stream_versions (
	stream       TEXT    NOT NULL,
	version      INTEGER NOT NULL,
	delta        BLOB    NOT NULL, -- protobuf syncproto.StreamContent
	delta_whole  INTEGER NOT NULL, -- 1: delta replaces everything
	snapshot     BLOB,             -- whole content; NULL once a newer version exists
	created_ms   INTEGER NOT NULL,
	broadcast_ms INTEGER,          -- NULL until published to every store
	PRIMARY KEY (stream, version)
) WITHOUT ROWID;
CREATE INDEX stream_versions_unbroadcast ON stream_versions (created_ms) WHERE broadcast_ms IS NULL;
`

// AppendStreamVersion implements central.Downstreams.
func (db *DB) AppendStreamVersion(ctx context.Context, stream string, now time.Time,
	next func(*central.StreamVersion) (*central.StreamVersion, error)) (*central.StreamVersion, error) {
	if db.write == nil {
		return nil, central.Errorf(central.EUNAVAILABLE, "database %q is open read-only", db.path)
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("append %s version: begin: %w", stream, err)
	}
	defer rollback(tx, db.logger)
	v, err := appendVersion(ctx, tx, stream, now, next)
	if err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("append %s version %d: commit: %w", stream, v.Version, err)
	}
	return v, nil
}

// appendVersion appends stream's next version inside tx (see
// AppendStreamVersion).
func appendVersion(ctx context.Context, tx *sql.Tx, stream string, now time.Time,
	next func(*central.StreamVersion) (*central.StreamVersion, error)) (*central.StreamVersion, error) {
	latest, err := latestVersion(ctx, tx, stream)
	if err != nil {
		return nil, err
	}
	v, delta, snap, err := central.NextStreamVersion(stream, latest, now, next)
	if err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE stream_versions SET snapshot = NULL WHERE stream = ? AND snapshot IS NOT NULL`, stream); err != nil {
		return nil, fmt.Errorf("append %s version: prune snapshots: %w", stream, err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO stream_versions (stream, version, delta, delta_whole, snapshot, created_ms)
		VALUES (?, ?, ?, ?, ?, ?)`, stream, int64(v.Version), delta, v.DeltaIsWhole, snap, now.UnixMilli())
	if err != nil {
		if strings.Contains(err.Error(), "UNIQUE") {
			return nil, central.Errorf(central.ECONFLICT, "%s version %d was added meanwhile; try again", stream, v.Version)
		}
		return nil, fmt.Errorf("append %s version %d: %w", stream, v.Version, err)
	}
	return v, nil
}

type rowQueryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func latestVersion(ctx context.Context, q rowQueryer, stream string) (*central.StreamVersion, error) {
	var version, created int64
	var broadcast sql.NullInt64
	var whole bool
	var delta, snap []byte
	err := q.QueryRowContext(ctx, `SELECT version, delta, delta_whole, snapshot, created_ms, broadcast_ms
		FROM stream_versions WHERE stream = ? ORDER BY version DESC LIMIT 1`, stream).
		Scan(&version, &delta, &whole, &snap, &created, &broadcast)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("latest %s version: %w", stream, err)
	}
	return central.StreamVersionFromRow(stream, uint64(version), delta, whole, snap, created, broadcast.Int64)
}

// LatestStreamVersion implements central.Downstreams.
func (db *DB) LatestStreamVersion(ctx context.Context, stream string) (*central.StreamVersion, error) {
	return latestVersion(ctx, db.read, stream)
}

// StreamDeltas implements central.Downstreams.
func (db *DB) StreamDeltas(ctx context.Context, stream string, after uint64, limit int) ([]*central.StreamVersion, error) {
	return db.versions(ctx, `SELECT stream, version, delta, delta_whole, created_ms, broadcast_ms FROM stream_versions
		WHERE stream = ? AND version > ? ORDER BY version LIMIT ?`, stream, int64(after), limit)
}

// UnbroadcastVersions implements central.Downstreams.
func (db *DB) UnbroadcastVersions(ctx context.Context, limit int) ([]*central.StreamVersion, error) {
	return db.versions(ctx, `SELECT stream, version, delta, delta_whole, created_ms, broadcast_ms FROM stream_versions
		WHERE broadcast_ms IS NULL ORDER BY created_ms, stream, version LIMIT ?`, limit)
}

func (db *DB) versions(ctx context.Context, query string, args ...any) ([]*central.StreamVersion, error) {
	rows, err := db.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("read stream versions: %w", err)
	}
	defer closeRows(rows, db)
	var out []*central.StreamVersion
	for rows.Next() {
		var stream string
		var version, created int64
		var broadcast sql.NullInt64
		var whole bool
		var delta []byte
		if err := rows.Scan(&stream, &version, &delta, &whole, &created, &broadcast); err != nil {
			return nil, fmt.Errorf("read stream versions: %w", err)
		}
		v, err := central.StreamVersionFromRow(stream, uint64(version), delta, whole, nil, created, broadcast.Int64)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read stream versions: %w", err)
	}
	return out, nil
}

// MarkBroadcast implements central.Downstreams.
func (db *DB) MarkBroadcast(ctx context.Context, stream string, version uint64, at time.Time) error {
	if db.write == nil {
		return central.Errorf(central.EUNAVAILABLE, "database %q is open read-only", db.path)
	}
	_, err := db.write.ExecContext(ctx, `UPDATE stream_versions SET broadcast_ms = ?
		WHERE stream = ? AND version = ? AND broadcast_ms IS NULL`, at.UnixMilli(), stream, int64(version))
	if err != nil {
		return fmt.Errorf("mark %s version %d broadcast: %w", stream, version, err)
	}
	return nil
}
