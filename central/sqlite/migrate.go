package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/tillsync/tillsync/central"
)

// migrations are applied in order; migrations[i] brings the schema to
// version i+1. Append only: a released migration is never edited.
var migrations = []string{
	// 1: events, derived sales, per-store totals, quarantine, agents.
	`
CREATE TABLE events (
	agent_id      TEXT    NOT NULL,
	seq           INTEGER NOT NULL,
	event_id      TEXT    UNIQUE, -- NULL when missing or taken (quarantined)
	store_id      TEXT    NOT NULL,
	kind          TEXT    NOT NULL,
	agent_wall_ms INTEGER NOT NULL,
	received_ms   INTEGER NOT NULL,
	payload       BLOB    NOT NULL,
	PRIMARY KEY (agent_id, seq)
) WITHOUT ROWID;

CREATE TABLE sales (
	sale_id       TEXT    PRIMARY KEY,
	agent_id      TEXT    NOT NULL,
	seq           INTEGER NOT NULL,
	store_id      TEXT    NOT NULL,
	lane_id       TEXT    NOT NULL,
	receipt_no    TEXT    NOT NULL,
	total_fen     INTEGER NOT NULL,
	member_card   TEXT    NOT NULL,
	agent_wall_ms INTEGER NOT NULL,
	received_ms   INTEGER NOT NULL,
	FOREIGN KEY (agent_id, seq) REFERENCES events (agent_id, seq)
);
CREATE INDEX sales_store ON sales (store_id);

CREATE TABLE sale_lines (
	sale_id        TEXT    NOT NULL REFERENCES sales (sale_id),
	position       INTEGER NOT NULL, -- index in the event; line_no is the till's and may repeat
	line_no        INTEGER NOT NULL,
	sku            TEXT    NOT NULL,
	barcode        TEXT    NOT NULL,
	name           TEXT    NOT NULL,
	quantity_milli INTEGER NOT NULL,
	unit_price_fen INTEGER NOT NULL,
	line_total_fen INTEGER NOT NULL,
	PRIMARY KEY (sale_id, position)
) WITHOUT ROWID;

CREATE TABLE store_totals (
	store_id  TEXT    PRIMARY KEY,
	sales     INTEGER NOT NULL,
	total_fen INTEGER NOT NULL
);

CREATE TABLE quarantine (
	id          INTEGER PRIMARY KEY,
	agent_id    TEXT    NOT NULL,
	seq         INTEGER NOT NULL,
	event_id    TEXT    NOT NULL, -- '' when the event had none
	store_id    TEXT    NOT NULL,
	reason      TEXT    NOT NULL,
	payload     BLOB    NOT NULL,
	received_ms INTEGER NOT NULL,
	UNIQUE (agent_id, seq, event_id) -- a redelivery quarantines nothing new
);

CREATE TABLE agents (
	agent_id         TEXT    PRIMARY KEY,
	store_id         TEXT    NOT NULL,
	last_received_ms INTEGER NOT NULL,
	max_skew_ms      INTEGER NOT NULL
);
`,
	// 2: presence, one row per agent from its birth and death messages
	// (DESIGN §5 rule 3); session orders them.
	`
CREATE TABLE presence (
	agent_id           TEXT    PRIMARY KEY,
	store_id           TEXT    NOT NULL,
	session            INTEGER NOT NULL,
	online             INTEGER NOT NULL,
	last_seen_ms       INTEGER NOT NULL,
	outbox_depth       INTEGER NOT NULL,
	oldest_unsynced_ms INTEGER NOT NULL, -- 0 when the outbox was empty
	clock_skew_ms      INTEGER NOT NULL
);
`,
	// 3: the member points ledger. points_entries is the ledger (a card's
	// balance is the sum of its points); points_cards caches that sum per
	// card with the member the card is linked to; overdraft_flags lists
	// redemptions that left a card negative; points_returns and
	// points_returned_lines track returns of other stores' sales that
	// central resolves.
	`
CREATE TABLE points_entries (
	entry_id        TEXT    PRIMARY KEY,
	card            TEXT    NOT NULL,
	member_id       TEXT    NOT NULL,
	kind            TEXT    NOT NULL,
	points          INTEGER NOT NULL,
	sale_id         TEXT    NOT NULL,
	store_id        TEXT    NOT NULL, -- '' for central's own entries
	agent_id        TEXT    NOT NULL,
	at_ms           INTEGER NOT NULL,
	available_at_ms INTEGER NOT NULL, -- 0: available at once
	expires_at_ms   INTEGER NOT NULL, -- 0: never expires
	reward_id       TEXT    NOT NULL,
	pending_points  INTEGER NOT NULL,
	debt_points     INTEGER NOT NULL,
	lot_id          TEXT    NOT NULL, -- expired: the lot's entry id
	reason          TEXT    NOT NULL  -- adjust: why
) WITHOUT ROWID;
CREATE INDEX points_entries_card ON points_entries (card, at_ms, entry_id);
CREATE INDEX points_entries_sale ON points_entries (sale_id);
CREATE INDEX points_entries_expiry ON points_entries (expires_at_ms) WHERE expires_at_ms > 0;

CREATE TABLE points_cards (
	card      TEXT    PRIMARY KEY,
	member_id TEXT    NOT NULL,
	enrolled  INTEGER NOT NULL, -- 1 when member_id comes from an enrollment
	balance   INTEGER NOT NULL, -- cache of SUM(points) of the card's entries
	entries   INTEGER NOT NULL
);
CREATE INDEX points_cards_debt ON points_cards (balance) WHERE balance < 0;

CREATE TABLE overdraft_flags (
	entry_id      TEXT    PRIMARY KEY,
	card          TEXT    NOT NULL,
	sale_id       TEXT    NOT NULL,
	store_id      TEXT    NOT NULL,
	agent_id      TEXT    NOT NULL,
	points        INTEGER NOT NULL,
	balance_after INTEGER NOT NULL,
	flagged_ms    INTEGER NOT NULL
);

CREATE TABLE points_returns (
	return_id        TEXT    PRIMARY KEY,
	original_sale_id TEXT    NOT NULL,
	store_id         TEXT    NOT NULL,
	agent_id         TEXT    NOT NULL,
	seq              INTEGER NOT NULL, -- the return's event: (agent_id, seq)
	resolved_ms      INTEGER           -- NULL until the original sale arrived
);
CREATE INDEX points_returns_sale ON points_returns (original_sale_id);

CREATE TABLE points_returned_lines (
	sale_id        TEXT    NOT NULL,
	line_no        INTEGER NOT NULL,
	quantity_milli INTEGER NOT NULL, -- taken back by resolved foreign returns
	PRIMARY KEY (sale_id, line_no)
) WITHOUT ROWID;
`,
	// 4: versions of the chain-wide downstream streams (downstream.go).
	downstreamMigration,
	// 5: redemption reservations of the online RPC (reservation.go).
	reservationMigration,
	// 6: member statistics kept at ingest (memberstats.go).
	memberStatsMigration,
	// 7: customer classification runs (classification.go).
	classificationMigration,
	// 8: indexes of the HQ reports (reports.go).
	reportsMigration,
	// 9: member tiers (tiers.go).
	tiersMigration,
	// 10: the member master (members.go).
	membersMigration,
}

// migrate brings the schema to len(migrations) in one transaction.
func (db *DB) migrate(ctx context.Context) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate %q: begin: %w", db.path, err)
	}
	defer rollback(tx, db.logger)
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, applied_ms INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("migrate %q: %w", db.path, err)
	}
	have, err := schemaVersion(ctx, tx)
	if err != nil {
		return fmt.Errorf("migrate %q: %w", db.path, err)
	}
	if have > len(migrations) {
		return fmt.Errorf("database %q has schema version %d, this build knows up to %d: %w",
			db.path, have, len(migrations), central.ErrSchemaTooNew)
	}
	for v := have + 1; v <= len(migrations); v++ {
		if _, err := tx.ExecContext(ctx, migrations[v-1]); err != nil {
			return fmt.Errorf("migrate %q to version %d: %w", db.path, v, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_ms) VALUES (?, ?)`,
			v, db.now().UnixMilli()); err != nil {
			return fmt.Errorf("migrate %q to version %d: %w", db.path, v, err)
		}
		db.logger.Info("migrated database", "path", db.path, "version", v)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate %q: commit: %w", db.path, err)
	}
	return nil
}

// checkVersion fails unless a read-only database is exactly at the schema
// version this build writes.
func (db *DB) checkVersion(ctx context.Context) error {
	have, err := schemaVersion(ctx, db.read)
	if err != nil {
		return fmt.Errorf("database %q: %w", db.path, err)
	}
	switch {
	case have > len(migrations):
		return fmt.Errorf("database %q has schema version %d, this build knows up to %d: %w",
			db.path, have, len(migrations), central.ErrSchemaTooNew)
	case have < len(migrations):
		return fmt.Errorf("database %q has schema version %d, this build needs %d: %w",
			db.path, have, len(migrations), central.ErrSchemaTooOld)
	}
	return nil
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func schemaVersion(ctx context.Context, q querier) (int, error) {
	var v int
	err := q.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}
