package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/tillsync/tillsync/central"
)

var _ central.ClassificationStore = (*DB)(nil)

// classificationMigration is schema version 7, as in package sqlite:
// classification runs and one row per card and run, classes by name.
const classificationMigration = `
CREATE TABLE classification_runs (
	run_id                  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	as_of_ms                BIGINT   NOT NULL,
	months                  INTEGER  NOT NULL,
	pyramid_vip_bp          BIGINT   NOT NULL,
	pyramid_big_bp          BIGINT   NOT NULL,
	pyramid_ordinary_bp     BIGINT   NOT NULL,
	quadrant_high_income    SMALLINT NOT NULL,
	quadrant_high_spend_fen BIGINT   NOT NULL,
	abc_a_bp                BIGINT   NOT NULL,
	abc_b_bp                BIGINT   NOT NULL,
	members                 BIGINT   NOT NULL,
	excluded                BIGINT   NOT NULL,
	created_ms              BIGINT   NOT NULL
);
-- No foreign key: a run's rows are written and deleted with it, and a key
-- check per row would slow a million-row COPY.
CREATE TABLE classification_members (
	run_id    BIGINT   NOT NULL,
	card      TEXT     NOT NULL,
	member_id TEXT     NOT NULL,
	pyramid   TEXT     NOT NULL,
	r         SMALLINT NOT NULL,
	f         SMALLINT NOT NULL,
	m         SMALLINT NOT NULL,
	segment   TEXT     NOT NULL,
	quadrant  TEXT     NOT NULL,
	abc       TEXT     NOT NULL,
	spend_fen BIGINT   NOT NULL,
	PRIMARY KEY (run_id, card)
);
`

var classMemberColumns = []string{"run_id", "card", "member_id", "pyramid", "r", "f", "m", "segment", "quadrant", "abc", "spend_fen"}

// SaveClassification implements central.ClassificationStore: one
// transaction holding an advisory lock, so saves of several instances
// queue and run ids rise in commit order; the members go in by COPY.
func (db *DB) SaveClassification(ctx context.Context, run central.ClassificationRun, members []central.MemberClass, keep int) (central.ClassificationRun, error) {
	if err := central.CheckKeepRuns(keep); err != nil {
		return central.ClassificationRun{}, err
	}
	if keep == 0 {
		keep = central.DefaultKeepRuns
	}
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('classification_runs'))`); err != nil {
			return fmt.Errorf("lock: %w", err)
		}
		o := run.Options
		err := tx.QueryRow(ctx, `INSERT INTO classification_runs (as_of_ms, months, pyramid_vip_bp, pyramid_big_bp,
			pyramid_ordinary_bp, quadrant_high_income, quadrant_high_spend_fen, abc_a_bp, abc_b_bp, members, excluded, created_ms)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING run_id`,
			run.AsOf.UnixMilli(), run.Months, o.Pyramid.VIPShareBP, o.Pyramid.BigShareBP, o.Pyramid.OrdinaryShareBP,
			int16(o.Quadrant.HighIncomeFrom), o.Quadrant.HighSpendFromFen, o.ABC.AUpToBP, o.ABC.BUpToBP,
			run.Members, run.Excluded, db.now().UnixMilli()).Scan(&run.ID)
		if err != nil {
			return fmt.Errorf("insert run: %w", err)
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"classification_members"}, classMemberColumns,
			&classMemberSource{runID: run.ID, members: members, i: -1}); err != nil {
			return fmt.Errorf("copy members of run %d: %w", run.ID, err)
		}
		for _, table := range []string{"classification_members", "classification_runs"} {
			if _, err := tx.Exec(ctx, `DELETE FROM `+table+` WHERE run_id IN
				(SELECT run_id FROM classification_runs ORDER BY run_id DESC OFFSET $1)`, keep); err != nil {
				return fmt.Errorf("prune runs from %s: %w", table, err)
			}
		}
		return nil
	})
	if err != nil {
		return central.ClassificationRun{}, fmt.Errorf("save classification: %w", err)
	}
	return run, nil
}

// classMemberSource feeds COPY one member row at a time, without building
// a second copy of a million rows.
type classMemberSource struct {
	runID   int64
	members []central.MemberClass
	i       int
	row     [11]any
}

func (s *classMemberSource) Next() bool {
	s.i++
	return s.i < len(s.members)
}

func (s *classMemberSource) Values() ([]any, error) {
	c := &s.members[s.i]
	s.row = [11]any{s.runID, c.Card, c.MemberID, c.Pyramid.String(), int16(c.RFM.R), int16(c.RFM.F), int16(c.RFM.M),
		c.RFM.Segment.String(), c.Quadrant.String(), c.ABC.String(), c.SpendFen}
	return s.row[:], nil
}

func (s *classMemberSource) Err() error { return nil }

const classRunColumns = `run_id, as_of_ms, months, pyramid_vip_bp, pyramid_big_bp, pyramid_ordinary_bp,
	quadrant_high_income, quadrant_high_spend_fen, abc_a_bp, abc_b_bp, members, excluded`

// LatestRun implements central.ClassificationStore.
func (db *DB) LatestRun(ctx context.Context) (central.ClassificationRun, error) {
	var r central.ClassificationRun
	var asOf int64
	var income int16
	o := &r.Options
	err := db.pool.QueryRow(ctx, `SELECT `+classRunColumns+` FROM classification_runs ORDER BY run_id DESC LIMIT 1`).Scan(
		&r.ID, &asOf, &r.Months, &o.Pyramid.VIPShareBP, &o.Pyramid.BigShareBP, &o.Pyramid.OrdinaryShareBP,
		&income, &o.Quadrant.HighSpendFromFen, &o.ABC.AUpToBP, &o.ABC.BUpToBP, &r.Members, &r.Excluded)
	if errors.Is(err, pgx.ErrNoRows) {
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
// statement (one snapshot, one scan of the run's rows).
const classSizesSQL = `SELECT CASE WHEN GROUPING(pyramid) = 0 THEN 'pyramid' WHEN GROUPING(segment) = 0 THEN 'segment'
		WHEN GROUPING(quadrant) = 0 THEN 'quadrant' ELSE 'abc' END,
	COALESCE(pyramid, segment, quadrant, abc), COUNT(*), COALESCE(SUM(GREATEST(spend_fen, 0)), 0)::bigint
FROM classification_members WHERE run_id = $1
GROUP BY GROUPING SETS ((pyramid), (segment), (quadrant), (abc))`

// ClassSizes implements central.ClassificationStore.
func (db *DB) ClassSizes(ctx context.Context, runID int64) ([]central.ClassSize, error) {
	rows, err := db.pool.Query(ctx, classSizesSQL, runID)
	if err != nil {
		return nil, fmt.Errorf("read class sizes of run %d: %w", runID, err)
	}
	counted, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (central.ClassSize, error) {
		var c central.ClassSize
		err := row.Scan(&c.Classifier, &c.Class, &c.Members, &c.SpendFen)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("read class sizes of run %d: %w", runID, err)
	}
	if len(counted) == 0 { // no members: an empty run, or none at all
		var exists bool
		if err := db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM classification_runs WHERE run_id = $1)`, runID).Scan(&exists); err != nil {
			return nil, fmt.Errorf("read classification run %d: %w", runID, err)
		}
		if !exists {
			return nil, central.Errorf(central.ENOTFOUND, "no classification run %d", runID)
		}
	}
	return central.ClassSizesOf(counted)
}

// LatestMemberClass implements central.ClassificationStore.
func (db *DB) LatestMemberClass(ctx context.Context, card string) (central.MemberClass, error) {
	c := central.MemberClass{Card: card}
	var pyramid, segment, quadrant, abc string
	var r, f, m int16
	err := db.pool.QueryRow(ctx, `SELECT run_id, member_id, pyramid, r, f, m, segment, quadrant, abc, spend_fen
		FROM classification_members WHERE card = $1 AND run_id = (SELECT MAX(run_id) FROM classification_runs)`, card).Scan(
		&c.RunID, &c.MemberID, &pyramid, &r, &f, &m, &segment, &quadrant, &abc, &c.SpendFen)
	if errors.Is(err, pgx.ErrNoRows) {
		return central.MemberClass{}, central.Errorf(central.ENOTFOUND, "card %s is not in the latest classification run", central.MaskCard(card))
	}
	if err != nil {
		return central.MemberClass{}, fmt.Errorf("read classes of card %s: %w", central.MaskCard(card), err)
	}
	if c.Classification, err = central.ParseClassification(pyramid, segment, quadrant, abc, uint8(r), uint8(f), uint8(m)); err != nil {
		return central.MemberClass{}, fmt.Errorf("read classes of card %s: %w", central.MaskCard(card), err)
	}
	return c, nil
}
