package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/tillsync/tillsync/central"
)

var _ central.TierStore = (*DB)(nil)

// tiersMigration (version 9) holds every card's tier (central/tiers.go).
// Times are Unix milliseconds, 0 for none.
const tiersMigration = `
CREATE TABLE member_tiers (
	card                       TEXT   PRIMARY KEY,
	tier                       TEXT   NOT NULL,
	since_ms                   BIGINT NOT NULL,
	floor                      TEXT   NOT NULL DEFAULT '',
	downgrade_pending_since_ms BIGINT NOT NULL DEFAULT 0
);
`

// tierPage is how many cards ApplyTiers reads and writes at a time: the
// run is paged by card, so a million members never sit in memory at once
// and no query is left open while the page is written (a pgx connection
// runs one statement at a time).
const tierPage = 2000

// tierLock serialises every writer of member_tiers across instances, so
// two ApplyTiers (or one and a SetTierFloor) never compute from the same
// previous states.
const tierLock = `SELECT pg_advisory_xact_lock(hashtext('member_tiers'))`

// ApplyTiers implements central.TierStore: one transaction holding
// tierLock over the run's cards, then the cards with a tier the run does
// not hold, a page at a time.
func (db *DB) ApplyTiers(ctx context.Context, runID int64, p central.TierPolicy, now time.Time) (central.TierChanges, error) {
	var ch central.TierChanges
	if err := p.Validate(); err != nil {
		return ch, err
	}
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, tierLock); err != nil {
			return fmt.Errorf("lock: %w", err)
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM classification_runs WHERE run_id = $1`, runID).Scan(&n); err != nil {
			return fmt.Errorf("read run: %w", err)
		}
		if n == 0 {
			return central.Errorf(central.ENOTFOUND, "no classification run %d", runID)
		}
		inRun := `SELECT m.card, m.pyramid, COALESCE(t.tier, ''), COALESCE(t.since_ms, 0), COALESCE(t.floor, ''),
			COALESCE(t.downgrade_pending_since_ms, 0) FROM classification_members m LEFT JOIN member_tiers t ON t.card = m.card
			WHERE m.run_id = $1 AND m.card > $2 ORDER BY m.card LIMIT $3`
		// Cards with a tier but no place in the run: no spend in its window.
		notInRun := `SELECT t.card, '', t.tier, t.since_ms, t.floor, t.downgrade_pending_since_ms FROM member_tiers t
			WHERE t.card > $2 AND NOT EXISTS (SELECT 1 FROM classification_members m WHERE m.run_id = $1 AND m.card = t.card)
			ORDER BY t.card LIMIT $3`
		for _, q := range []string{inRun, notInRun} {
			if err := applyTierPages(ctx, tx, q, runID, p, now, &ch); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return central.TierChanges{}, fmt.Errorf("apply tiers of run %d: %w", runID, err)
	}
	return ch, nil
}

// applyTierPages reads query's cards a page at a time, computes their
// next states and writes the changed ones.
func applyTierPages(ctx context.Context, tx pgx.Tx, query string, runID int64, p central.TierPolicy, now time.Time, ch *central.TierChanges) error {
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

func readTierPage(ctx context.Context, tx pgx.Tx, query string, runID int64, after string) ([]central.TierState, []string, error) {
	rows, err := tx.Query(ctx, query, runID, after, tierPage)
	if err != nil {
		return nil, nil, fmt.Errorf("read tiers after card %s: %w", central.MaskCard(after), err)
	}
	defer rows.Close()
	var states []central.TierState
	var classes []string
	for rows.Next() {
		var s central.TierState
		var class string
		var since, pending int64
		if err := rows.Scan(&s.Card, &class, &s.Tier, &since, &s.Floor, &pending); err != nil {
			return nil, nil, fmt.Errorf("read tiers: %w", err)
		}
		s.Since, s.DowngradePendingSince = fromMS(since), fromMS(pending)
		states = append(states, s)
		classes = append(classes, class)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("read tiers: %w", err)
	}
	return states, classes, nil
}

// upsertTiers writes states with one INSERT of up to tierPage rows (5
// parameters a row, far below PostgreSQL's 65535).
func upsertTiers(ctx context.Context, tx pgx.Tx, states []central.TierState) error {
	if len(states) == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString(`INSERT INTO member_tiers (card, tier, since_ms, floor, downgrade_pending_since_ms) VALUES `)
	args := make([]any, 0, len(states)*5)
	for i, s := range states {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "($%d,$%d,$%d,$%d,$%d)", i*5+1, i*5+2, i*5+3, i*5+4, i*5+5)
		args = append(args, s.Card, s.Tier, unixMS(s.Since), s.Floor, unixMS(s.DowngradePendingSince))
	}
	b.WriteString(` ON CONFLICT (card) DO UPDATE SET tier = excluded.tier, since_ms = excluded.since_ms,
		floor = excluded.floor, downgrade_pending_since_ms = excluded.downgrade_pending_since_ms`)
	if _, err := tx.Exec(ctx, b.String(), args...); err != nil {
		return fmt.Errorf("write tiers from card %s: %w", central.MaskCard(states[0].Card), err)
	}
	return nil
}

// SetTierFloor implements central.TierStore, under tierLock.
func (db *DB) SetTierFloor(ctx context.Context, card, floor string, p central.TierPolicy, now time.Time) (central.TierState, error) {
	if err := p.Validate(); err != nil {
		return central.TierState{}, err
	}
	var next central.TierState
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, tierLock); err != nil {
			return fmt.Errorf("lock: %w", err)
		}
		prev, err := tierOf(ctx, tx, card)
		if err != nil && central.ErrorCode(err) != central.ENOTFOUND {
			return err
		}
		if next, err = central.WithFloor(p, prev, floor, now); err != nil {
			return err
		}
		return upsertTiers(ctx, tx, []central.TierState{next})
	})
	if err != nil {
		return central.TierState{}, fmt.Errorf("set tier floor of card %s: %w", central.MaskCard(card), err)
	}
	return next, nil
}

// Tier implements central.TierStore.
func (db *DB) Tier(ctx context.Context, card string) (central.TierState, error) {
	return tierOf(ctx, db.pool, card)
}

type rowQuerier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// tierOf returns card's state, with Card set even when it has none.
func tierOf(ctx context.Context, q rowQuerier, card string) (central.TierState, error) {
	s := central.TierState{Card: card}
	var since, pending int64
	err := q.QueryRow(ctx, `SELECT tier, since_ms, floor, downgrade_pending_since_ms FROM member_tiers WHERE card = $1`,
		card).Scan(&s.Tier, &since, &s.Floor, &pending)
	if errors.Is(err, pgx.ErrNoRows) {
		return s, central.Errorf(central.ENOTFOUND, "card %s has no tier", central.MaskCard(card))
	}
	if err != nil {
		return s, fmt.Errorf("read tier of card %s: %w", central.MaskCard(card), err)
	}
	s.Since, s.DowngradePendingSince = fromMS(since), fromMS(pending)
	return s, nil
}

// recalcLockKey names the session lock of TryRecalcLock.
const recalcLockKey = `hashtext('tier_recalculation')`

// TryRecalcLock takes, without waiting, a session advisory lock held on
// one pooled connection until release, so that of several central
// instances one recalculates tiers on schedule and the others skip. It
// returns false, and no release, when another session holds it.
func (db *DB) TryRecalcLock(ctx context.Context) (release func(), ok bool, err error) {
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("recalculation lock: %w", err)
	}
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock(`+recalcLockKey+`)`).Scan(&ok); err != nil || !ok {
		conn.Release()
		if err != nil {
			return nil, false, fmt.Errorf("recalculation lock: %w", err)
		}
		return nil, false, nil
	}
	return func() {
		// Unlock even when the caller's ctx has ended; a connection that
		// cannot unlock is closed, which ends its session and the lock.
		uctx := context.WithoutCancel(ctx)
		if _, err := conn.Exec(uctx, `SELECT pg_advisory_unlock(`+recalcLockKey+`)`); err != nil {
			db.logger.Warn("recalculation unlock failed; closing the connection", "err", err)
			if err := conn.Conn().Close(uctx); err != nil {
				db.logger.Warn("close connection", "err", err)
			}
		}
		conn.Release()
	}, true, nil
}
