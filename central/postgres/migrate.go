package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/tillsync/tillsync/central"
)

// migrations are applied in order; migrations[i] brings the schema to
// version i+1, as in package sqlite. Append only: a released migration is
// never edited.
var migrations = []string{
	// 1: events, derived sales, per-store totals, quarantine, agents — the
	// same tables and columns as sqlite's version 1.
	`
CREATE TABLE events (
	agent_id      TEXT   NOT NULL,
	seq           BIGINT NOT NULL,
	event_id      TEXT   UNIQUE, -- NULL when missing or taken (quarantined)
	store_id      TEXT   NOT NULL,
	kind          TEXT   NOT NULL,
	agent_wall_ms BIGINT NOT NULL,
	received_ms   BIGINT NOT NULL,
	payload       BYTEA  NOT NULL,
	PRIMARY KEY (agent_id, seq)
);
CREATE TABLE sales (
	sale_id       TEXT   PRIMARY KEY,
	agent_id      TEXT   NOT NULL,
	seq           BIGINT NOT NULL,
	store_id      TEXT   NOT NULL,
	lane_id       TEXT   NOT NULL,
	receipt_no    TEXT   NOT NULL,
	total_fen     BIGINT NOT NULL,
	member_card   TEXT   NOT NULL,
	agent_wall_ms BIGINT NOT NULL,
	received_ms   BIGINT NOT NULL,
	FOREIGN KEY (agent_id, seq) REFERENCES events (agent_id, seq)
);
CREATE INDEX sales_store ON sales (store_id);
CREATE TABLE sale_lines (
	sale_id        TEXT    NOT NULL REFERENCES sales (sale_id),
	position       INTEGER NOT NULL, -- index in the event; line_no is the till's and may repeat
	line_no        BIGINT  NOT NULL, -- the wire's uint32 does not fit INTEGER
	sku            TEXT    NOT NULL,
	barcode        TEXT    NOT NULL,
	name           TEXT    NOT NULL,
	quantity_milli BIGINT  NOT NULL,
	unit_price_fen BIGINT  NOT NULL,
	line_total_fen BIGINT  NOT NULL,
	PRIMARY KEY (sale_id, position)
);
CREATE TABLE store_totals (
	store_id  TEXT   PRIMARY KEY,
	sales     BIGINT NOT NULL,
	total_fen BIGINT NOT NULL
);
CREATE TABLE quarantine (
	id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	agent_id    TEXT   NOT NULL,
	seq         BIGINT NOT NULL,
	event_id    TEXT   NOT NULL, -- '' when the event had none
	store_id    TEXT   NOT NULL,
	reason      TEXT   NOT NULL,
	payload     BYTEA  NOT NULL,
	received_ms BIGINT NOT NULL,
	UNIQUE (agent_id, seq, event_id) -- a redelivery quarantines nothing new
);
CREATE TABLE agents (
	agent_id         TEXT   PRIMARY KEY,
	store_id         TEXT   NOT NULL,
	last_received_ms BIGINT NOT NULL,
	max_skew_ms      BIGINT NOT NULL
);
`,
	// 2: presence, one row per agent from its birth and death messages
	// (DESIGN §5 rule 3); session orders them.
	`
CREATE TABLE presence (
	agent_id           TEXT    PRIMARY KEY,
	store_id           TEXT    NOT NULL,
	session            BIGINT  NOT NULL,
	online             BOOLEAN NOT NULL,
	last_seen_ms       BIGINT  NOT NULL,
	outbox_depth       BIGINT  NOT NULL,
	oldest_unsynced_ms BIGINT  NOT NULL, -- 0 when the outbox was empty
	clock_skew_ms      BIGINT  NOT NULL
);
`,
	// 3: the member points ledger, the same tables and columns as sqlite's
	// version 3, plus ledger_sale_keys (see below).
	`
CREATE TABLE points_entries (
	entry_id        TEXT   PRIMARY KEY,
	card            TEXT   NOT NULL,
	member_id       TEXT   NOT NULL,
	kind            TEXT   NOT NULL,
	points          BIGINT NOT NULL,
	sale_id         TEXT   NOT NULL,
	store_id        TEXT   NOT NULL, -- '' for central's own entries
	agent_id        TEXT   NOT NULL,
	at_ms           BIGINT NOT NULL,
	available_at_ms BIGINT NOT NULL, -- 0: available at once
	expires_at_ms   BIGINT NOT NULL, -- 0: never expires
	reward_id       TEXT   NOT NULL,
	pending_points  BIGINT NOT NULL,
	debt_points     BIGINT NOT NULL,
	lot_id          TEXT   NOT NULL, -- expired: the lot's entry id
	reason          TEXT   NOT NULL  -- adjust: why
);
CREATE INDEX points_entries_card ON points_entries (card, at_ms, entry_id);
CREATE INDEX points_entries_sale ON points_entries (sale_id);
CREATE INDEX points_entries_expiry ON points_entries (expires_at_ms) WHERE expires_at_ms > 0;
CREATE TABLE points_cards (
	card      TEXT     PRIMARY KEY,
	member_id TEXT     NOT NULL,
	enrolled  SMALLINT NOT NULL, -- 1 when member_id comes from an enrollment
	balance   BIGINT   NOT NULL, -- cache of SUM(points) of the card's entries
	entries   BIGINT   NOT NULL
);
CREATE INDEX points_cards_debt ON points_cards (balance) WHERE balance < 0;
CREATE TABLE overdraft_flags (
	entry_id      TEXT   PRIMARY KEY,
	card          TEXT   NOT NULL,
	sale_id       TEXT   NOT NULL,
	store_id      TEXT   NOT NULL,
	agent_id      TEXT   NOT NULL,
	points        BIGINT NOT NULL,
	balance_after BIGINT NOT NULL,
	flagged_ms    BIGINT NOT NULL
);
CREATE TABLE points_returns (
	return_id        TEXT   PRIMARY KEY,
	original_sale_id TEXT   NOT NULL,
	store_id         TEXT   NOT NULL,
	agent_id         TEXT   NOT NULL,
	seq              BIGINT NOT NULL, -- the return's event: (agent_id, seq)
	resolved_ms      BIGINT           -- NULL until the original sale arrived
);
CREATE INDEX points_returns_sale ON points_returns (original_sale_id);
CREATE TABLE points_returned_lines (
	sale_id        TEXT   NOT NULL,
	line_no        BIGINT NOT NULL,
	quantity_milli BIGINT NOT NULL, -- taken back by resolved foreign returns
	PRIMARY KEY (sale_id, line_no)
);
-- ledger_sale_keys is where a sale and a foreign return of it meet: both
-- transactions upsert the sale id's row before looking for each other, so
-- under READ COMMITTED the second waits for the first to commit and then
-- sees it. Without it a return and its sale committed at once on two
-- instances would each miss the other and the return stay unresolved.
CREATE TABLE ledger_sale_keys (
	sale_id TEXT PRIMARY KEY
);
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
	// 11: a covering index for the full statistics read (memberstats_read.go).
	memberMonthsCoverMigration,
}

// migrateLockKey is the advisory lock migrations hold, so instances started
// together migrate one after the other instead of racing on CREATE TABLE
// (DESIGN §7). Any constant works; this one is "tillsync" in ASCII.
const migrateLockKey int64 = 0x74696c6c73796e63

// migrate brings the schema to len(migrations) in one transaction.
func (db *DB) migrate(ctx context.Context) error {
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrateLockKey); err != nil {
			return fmt.Errorf("lock: %w", err)
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version INTEGER PRIMARY KEY, applied_ms BIGINT NOT NULL)`); err != nil {
			return err
		}
		var have int
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&have); err != nil {
			return fmt.Errorf("read schema version: %w", err)
		}
		if have > len(migrations) {
			return fmt.Errorf("schema version %d, this build knows up to %d: %w",
				have, len(migrations), central.ErrSchemaTooNew)
		}
		for v := have + 1; v <= len(migrations); v++ {
			if _, err := tx.Exec(ctx, migrations[v-1]); err != nil {
				return fmt.Errorf("to version %d: %w", v, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, applied_ms) VALUES ($1, $2)`,
				v, db.now().UnixMilli()); err != nil {
				return fmt.Errorf("to version %d: %w", v, err)
			}
			db.logger.Info("migrated database", "database", db.target, "version", v)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("migrate database %s: %w", db.target, err)
	}
	return nil
}
