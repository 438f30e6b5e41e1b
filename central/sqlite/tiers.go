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

var _ central.TierStore = (*DB)(nil)

// tiersMigration (version 9) holds every card's tier (central/tiers.go).
// Times are Unix milliseconds, 0 for none.
const tiersMigration = `
CREATE TABLE member_tiers (
	card                       TEXT    PRIMARY KEY,
	tier                       TEXT    NOT NULL,
	since_ms                   INTEGER NOT NULL,
	floor                      TEXT    NOT NULL DEFAULT '',
	downgrade_pending_since_ms INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
`

// tierPage is how many cards ApplyTiers reads and writes at a time: the
// run is paged by card, so a million members never sit in memory at once
// and no statement is left open while the page is written.
const tierPage = 2000

// tierColumns is the number of columns of one member_tiers row.
const tierColumns = 5

// ApplyTiers implements central.TierStore: one write transaction (BEGIN
// IMMEDIATE, so a concurrent ApplyTiers waits) over the run's cards, then
// the cards with a tier the run does not hold, a page at a time.
func (db *DB) ApplyTiers(ctx context.Context, runID int64, p central.TierPolicy, now time.Time) (central.TierChanges, error) {
	var ch central.TierChanges
	if err := p.Validate(); err != nil {
		return ch, err
	}
	if db.write == nil {
		return ch, central.Errorf(central.EUNAVAILABLE, "database %q is open read-only", db.path)
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return ch, fmt.Errorf("apply tiers: begin: %w", err)
	}
	defer rollback(tx, db.logger)
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM classification_runs WHERE run_id = ?`, runID).Scan(&n); err != nil {
		return ch, fmt.Errorf("apply tiers: read run %d: %w", runID, err)
	}
	if n == 0 {
		return ch, central.Errorf(central.ENOTFOUND, "no classification run %d", runID)
	}
	// The run's cards, by the run's primary key (run_id, card).
	inRun := `SELECT m.card, m.pyramid, COALESCE(t.tier, ''), COALESCE(t.since_ms, 0), COALESCE(t.floor, ''),
		COALESCE(t.downgrade_pending_since_ms, 0) FROM classification_members m LEFT JOIN member_tiers t ON t.card = m.card
		WHERE m.run_id = ?1 AND m.card > ?2 ORDER BY m.card LIMIT ?3`
	// Cards with a tier but no place in the run: no spend in its window.
	notInRun := `SELECT t.card, '', t.tier, t.since_ms, t.floor, t.downgrade_pending_since_ms FROM member_tiers t
		WHERE t.card > ?2 AND NOT EXISTS (SELECT 1 FROM classification_members m WHERE m.run_id = ?1 AND m.card = t.card)
		ORDER BY t.card LIMIT ?3`
	for _, q := range []string{inRun, notInRun} {
		if err := db.applyTierPages(ctx, tx, q, runID, p, now, &ch); err != nil {
			return central.TierChanges{}, fmt.Errorf("apply tiers of run %d: %w", runID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return central.TierChanges{}, fmt.Errorf("apply tiers of run %d: commit: %w", runID, err)
	}
	return ch, nil
}

// applyTierPages reads query's cards a page at a time, computes their
// next states and writes the changed ones.
func (db *DB) applyTierPages(ctx context.Context, tx *sql.Tx, query string, runID int64, p central.TierPolicy, now time.Time, ch *central.TierChanges) error {
	after := ""
	for {
		prev, classes, err := readTierPage(ctx, tx, query, runID, after)
		if err != nil {
			return err
		}
		var changed []central.TierState
		for i := range prev {
			next := central.NextTier(p, prev[i], p.ClassTier(classes[i]), now)
			ch.Count(p, prev[i], next)
			if next != prev[i] {
				changed = append(changed, next)
			}
		}
		if err := upsertTiers(ctx, tx, changed); err != nil {
			return err
		}
		if len(prev) < tierPage {
			return nil
		}
		after = prev[len(prev)-1].Card
	}
}

func readTierPage(ctx context.Context, tx *sql.Tx, query string, runID int64, after string) ([]central.TierState, []string, error) {
	rows, err := tx.QueryContext(ctx, query, runID, after, tierPage)
	if err != nil {
		return nil, nil, fmt.Errorf("read tiers after card %s: %w", central.MaskCard(after), err)
	}
	var states []central.TierState
	var classes []string
	for rows.Next() {
		var s central.TierState
		var class string
		var since, pending int64
		if err := rows.Scan(&s.Card, &class, &s.Tier, &since, &s.Floor, &pending); err != nil {
			return nil, nil, errors.Join(fmt.Errorf("read tiers: %w", err), rows.Close())
		}
		s.Since, s.DowngradePendingSince = fromMS(since), fromMS(pending)
		states = append(states, s)
		classes = append(classes, class)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, nil, fmt.Errorf("read tiers: %w", err)
	}
	return states, classes, nil
}

// upsertTiers writes states with one INSERT of up to tierPage rows.
func upsertTiers(ctx context.Context, tx *sql.Tx, states []central.TierState) error {
	if len(states) == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString(`INSERT INTO member_tiers (card, tier, since_ms, floor, downgrade_pending_since_ms) VALUES `)
	args := make([]any, 0, len(states)*tierColumns)
	for i, s := range states {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`(?,?,?,?,?)`)
		args = append(args, s.Card, s.Tier, unixMS(s.Since), s.Floor, unixMS(s.DowngradePendingSince))
	}
	b.WriteString(` ON CONFLICT (card) DO UPDATE SET tier = excluded.tier, since_ms = excluded.since_ms,
		floor = excluded.floor, downgrade_pending_since_ms = excluded.downgrade_pending_since_ms`)
	if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
		return fmt.Errorf("write tiers from card %s: %w", central.MaskCard(states[0].Card), err)
	}
	return nil
}

// SetTierFloor implements central.TierStore.
func (db *DB) SetTierFloor(ctx context.Context, card, floor string, p central.TierPolicy, now time.Time) (central.TierState, error) {
	if err := p.Validate(); err != nil {
		return central.TierState{}, err
	}
	if db.write == nil {
		return central.TierState{}, central.Errorf(central.EUNAVAILABLE, "database %q is open read-only", db.path)
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return central.TierState{}, fmt.Errorf("set tier floor: begin: %w", err)
	}
	defer rollback(tx, db.logger)
	prev, err := tierOf(ctx, tx, card)
	if err != nil && central.ErrorCode(err) != central.ENOTFOUND {
		return central.TierState{}, err
	}
	next, err := central.WithFloor(p, prev, floor, now)
	if err != nil {
		return central.TierState{}, err
	}
	if err := upsertTiers(ctx, tx, []central.TierState{next}); err != nil {
		return central.TierState{}, err
	}
	if err := tx.Commit(); err != nil {
		return central.TierState{}, fmt.Errorf("set tier floor of card %s: commit: %w", central.MaskCard(card), err)
	}
	return next, nil
}

// Tier implements central.TierStore.
func (db *DB) Tier(ctx context.Context, card string) (central.TierState, error) {
	return tierOf(ctx, db.read, card)
}

type rowQuerier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// tierOf returns card's state, with Card set even when it has none.
func tierOf(ctx context.Context, q rowQuerier, card string) (central.TierState, error) {
	s := central.TierState{Card: card}
	var since, pending int64
	err := q.QueryRowContext(ctx, `SELECT tier, since_ms, floor, downgrade_pending_since_ms FROM member_tiers WHERE card = ?`,
		card).Scan(&s.Tier, &since, &s.Floor, &pending)
	if errors.Is(err, sql.ErrNoRows) {
		return s, central.Errorf(central.ENOTFOUND, "card %s has no tier", central.MaskCard(card))
	}
	if err != nil {
		return s, fmt.Errorf("read tier of card %s: %w", central.MaskCard(card), err)
	}
	s.Since, s.DowngradePendingSince = fromMS(since), fromMS(pending)
	return s, nil
}
