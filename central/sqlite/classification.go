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

var _ central.ClassificationStore = (*DB)(nil)

// classificationMigration (version 7) holds classification runs
// (central/classification.go): one row per run with its options, and one
// row per card and run. Classes are stored by name, so a report in SQL
// reads them and a reordered Go enum cannot change their meaning.
const classificationMigration = `
CREATE TABLE classification_runs (
	run_id                  INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused after pruning
	as_of_ms                INTEGER NOT NULL,
	months                  INTEGER NOT NULL,
	pyramid_vip_bp          INTEGER NOT NULL,
	pyramid_big_bp          INTEGER NOT NULL,
	pyramid_ordinary_bp     INTEGER NOT NULL,
	quadrant_high_income    INTEGER NOT NULL,
	quadrant_high_spend_fen INTEGER NOT NULL,
	abc_a_bp                INTEGER NOT NULL,
	abc_b_bp                INTEGER NOT NULL,
	members                 INTEGER NOT NULL,
	excluded                INTEGER NOT NULL,
	created_ms              INTEGER NOT NULL
);

-- No foreign key to classification_runs: a run's rows are written and
-- deleted with it, and checking a key per row would slow a million-row save.
CREATE TABLE classification_members (
	run_id    INTEGER NOT NULL,
	card      TEXT    NOT NULL,
	member_id TEXT    NOT NULL,
	pyramid   TEXT    NOT NULL,
	r         INTEGER NOT NULL,
	f         INTEGER NOT NULL,
	m         INTEGER NOT NULL,
	segment   TEXT    NOT NULL,
	quadrant  TEXT    NOT NULL,
	abc       TEXT    NOT NULL,
	spend_fen INTEGER NOT NULL,
	PRIMARY KEY (run_id, card)
) WITHOUT ROWID;
`

// classInsertRows is the number of rows per INSERT statement: 11 columns
// × 500 rows stays far below SQLite's 32766 bound parameters, and one
// statement per 500 rows cuts the per-statement cost of a million rows.
const classInsertRows = 500

const classMemberColumns = 11

// SaveClassification implements central.ClassificationStore: one
// transaction (BEGIN IMMEDIATE, so saves of several processes queue) with
// the members written by prepared 500-row INSERTs.
func (db *DB) SaveClassification(ctx context.Context, run central.ClassificationRun, members []central.MemberClass, keep int) (central.ClassificationRun, error) {
	if db.write == nil {
		return central.ClassificationRun{}, central.Errorf(central.EUNAVAILABLE, "database %q is open read-only", db.path)
	}
	if err := central.CheckKeepRuns(keep); err != nil {
		return central.ClassificationRun{}, err
	}
	if keep == 0 {
		keep = central.DefaultKeepRuns
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return central.ClassificationRun{}, fmt.Errorf("save classification: begin: %w", err)
	}
	defer rollback(tx, db.logger)
	o := run.Options
	err = tx.QueryRowContext(ctx, `INSERT INTO classification_runs (as_of_ms, months, pyramid_vip_bp, pyramid_big_bp,
		pyramid_ordinary_bp, quadrant_high_income, quadrant_high_spend_fen, abc_a_bp, abc_b_bp, members, excluded, created_ms)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING run_id`,
		run.AsOf.UnixMilli(), run.Months, o.Pyramid.VIPShareBP, o.Pyramid.BigShareBP, o.Pyramid.OrdinaryShareBP,
		int64(o.Quadrant.HighIncomeFrom), o.Quadrant.HighSpendFromFen, o.ABC.AUpToBP, o.ABC.BUpToBP,
		run.Members, run.Excluded, db.now().UnixMilli()).Scan(&run.ID)
	if err != nil {
		return central.ClassificationRun{}, fmt.Errorf("save classification run: %w", err)
	}
	if err := db.insertClassMembers(ctx, tx, run.ID, members); err != nil {
		return central.ClassificationRun{}, fmt.Errorf("save classification run %d: %w", run.ID, err)
	}
	for _, table := range []string{"classification_members", "classification_runs"} {
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE run_id IN
			(SELECT run_id FROM classification_runs ORDER BY run_id DESC LIMIT -1 OFFSET ?)`, keep); err != nil {
			return central.ClassificationRun{}, fmt.Errorf("prune classification runs from %s: %w", table, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return central.ClassificationRun{}, fmt.Errorf("save classification run %d: commit: %w", run.ID, err)
	}
	return run, nil
}

// insertClassMembers writes members with one prepared statement of
// classInsertRows rows, and one more for the remainder.
func (db *DB) insertClassMembers(ctx context.Context, tx *sql.Tx, runID int64, members []central.MemberClass) error {
	full, err := tx.PrepareContext(ctx, classInsertSQL(classInsertRows))
	if err != nil {
		return fmt.Errorf("prepare insert: %w", err)
	}
	defer db.closeStmt(full)
	args := make([]any, 0, classInsertRows*classMemberColumns)
	for start := 0; start < len(members); start += classInsertRows {
		chunk := members[start:min(start+classInsertRows, len(members))]
		args = args[:0]
		for i := range chunk {
			c := &chunk[i]
			args = append(args, runID, c.Card, c.MemberID, c.Pyramid.String(), int64(c.RFM.R), int64(c.RFM.F),
				int64(c.RFM.M), c.RFM.Segment.String(), c.Quadrant.String(), c.ABC.String(), c.SpendFen)
		}
		stmt := full
		if len(chunk) < classInsertRows {
			if stmt, err = tx.PrepareContext(ctx, classInsertSQL(len(chunk))); err != nil {
				return fmt.Errorf("prepare insert: %w", err)
			}
			defer db.closeStmt(stmt)
		}
		if _, err := stmt.ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("insert members from card %s: %w", central.MaskCard(chunk[0].Card), err)
		}
	}
	return nil
}

func (db *DB) closeStmt(s *sql.Stmt) {
	if err := s.Close(); err != nil {
		db.logger.Warn("close statement", "err", err)
	}
}

func classInsertSQL(rows int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO classification_members (run_id, card, member_id, pyramid, r, f, m, segment, quadrant, abc, spend_fen) VALUES `)
	for i := range rows {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`(?,?,?,?,?,?,?,?,?,?,?)`)
	}
	return b.String()
}

const classRunColumns = `run_id, as_of_ms, months, pyramid_vip_bp, pyramid_big_bp, pyramid_ordinary_bp,
	quadrant_high_income, quadrant_high_spend_fen, abc_a_bp, abc_b_bp, members, excluded`

// LatestRun implements central.ClassificationStore.
func (db *DB) LatestRun(ctx context.Context) (central.ClassificationRun, error) {
	var r central.ClassificationRun
	var asOf, income int64
	o := &r.Options
	err := db.read.QueryRowContext(ctx, `SELECT `+classRunColumns+` FROM classification_runs ORDER BY run_id DESC LIMIT 1`).Scan(
		&r.ID, &asOf, &r.Months, &o.Pyramid.VIPShareBP, &o.Pyramid.BigShareBP, &o.Pyramid.OrdinaryShareBP,
		&income, &o.Quadrant.HighSpendFromFen, &o.ABC.AUpToBP, &o.ABC.BUpToBP, &r.Members, &r.Excluded)
	if errors.Is(err, sql.ErrNoRows) {
		return central.ClassificationRun{}, central.Errorf(central.ENOTFOUND, "no classification run stored; run tillsync-central classify")
	}
	if err != nil {
		return central.ClassificationRun{}, fmt.Errorf("read latest classification run: %w", err)
	}
	r.AsOf = time.UnixMilli(asOf).UTC()
	o.Quadrant.HighIncomeFrom = central.IncomeBracket(income)
	return r, nil
}

// classSizesSQL groups one run's members by each classifier's class in one
// statement, so the four reports read one snapshot.
const classSizesSQL = `SELECT 'pyramid', pyramid, COUNT(*), SUM(MAX(spend_fen, 0)) FROM classification_members WHERE run_id = ?1 GROUP BY pyramid
UNION ALL SELECT 'segment', segment, COUNT(*), SUM(MAX(spend_fen, 0)) FROM classification_members WHERE run_id = ?1 GROUP BY segment
UNION ALL SELECT 'quadrant', quadrant, COUNT(*), SUM(MAX(spend_fen, 0)) FROM classification_members WHERE run_id = ?1 GROUP BY quadrant
UNION ALL SELECT 'abc', abc, COUNT(*), SUM(MAX(spend_fen, 0)) FROM classification_members WHERE run_id = ?1 GROUP BY abc`

// ClassSizes implements central.ClassificationStore.
func (db *DB) ClassSizes(ctx context.Context, runID int64) ([]central.ClassSize, error) {
	rows, err := db.read.QueryContext(ctx, classSizesSQL, runID)
	if err != nil {
		return nil, fmt.Errorf("read class sizes of run %d: %w", runID, err)
	}
	defer closeRows(rows, db)
	var counted []central.ClassSize
	for rows.Next() {
		var c central.ClassSize
		if err := rows.Scan(&c.Classifier, &c.Class, &c.Members, &c.SpendFen); err != nil {
			return nil, fmt.Errorf("read class sizes of run %d: %w", runID, err)
		}
		counted = append(counted, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read class sizes of run %d: %w", runID, err)
	}
	if len(counted) == 0 { // no members: an empty run, or none at all
		var n int
		if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM classification_runs WHERE run_id = ?`, runID).Scan(&n); err != nil {
			return nil, fmt.Errorf("read classification run %d: %w", runID, err)
		}
		if n == 0 {
			return nil, central.Errorf(central.ENOTFOUND, "no classification run %d", runID)
		}
	}
	return central.ClassSizesOf(counted)
}

// LatestMemberClass implements central.ClassificationStore.
func (db *DB) LatestMemberClass(ctx context.Context, card string) (central.MemberClass, error) {
	c := central.MemberClass{Card: card}
	var pyramid, segment, quadrant, abc string
	var r, f, m uint8
	err := db.read.QueryRowContext(ctx, `SELECT run_id, member_id, pyramid, r, f, m, segment, quadrant, abc, spend_fen
		FROM classification_members WHERE card = ? AND run_id = (SELECT MAX(run_id) FROM classification_runs)`, card).Scan(
		&c.RunID, &c.MemberID, &pyramid, &r, &f, &m, &segment, &quadrant, &abc, &c.SpendFen)
	if errors.Is(err, sql.ErrNoRows) {
		return central.MemberClass{}, central.Errorf(central.ENOTFOUND, "card %s is not in the latest classification run", central.MaskCard(card))
	}
	if err != nil {
		return central.MemberClass{}, fmt.Errorf("read classes of card %s: %w", central.MaskCard(card), err)
	}
	if c.Classification, err = central.ParseClassification(pyramid, segment, quadrant, abc, r, f, m); err != nil {
		return central.MemberClass{}, fmt.Errorf("read classes of card %s: %w", central.MaskCard(card), err)
	}
	return c, nil
}
