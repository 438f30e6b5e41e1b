package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/tillsync/tillsync/central"
)

// Balance implements central.Store.
func (db *DB) Balance(ctx context.Context, card string, now time.Time) (central.Balance, error) {
	var member string
	err := db.pool.QueryRow(ctx, `SELECT member_id FROM points_cards WHERE card = $1`, card).Scan(&member)
	if errors.Is(err, pgx.ErrNoRows) {
		return central.Balance{}, central.Errorf(central.ENOTFOUND, "card %s has no points", central.MaskCard(card))
	}
	if err != nil {
		return central.Balance{}, fmt.Errorf("read card %s: %w", central.MaskCard(card), err)
	}
	entries, err := queryEntries(ctx, db.pool, card, -1)
	if err != nil {
		return central.Balance{}, err
	}
	return central.CardBalance(card, member, entries, now), nil
}

// CardEntries implements central.Store. A negative limit means all.
func (db *DB) CardEntries(ctx context.Context, card string, limit int) ([]central.PointsEntry, error) {
	return queryEntries(ctx, db.pool, card, limit)
}

type queryer interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// queryEntries reads card's entries oldest first; ids compare bytewise
// (COLLATE "C") as in SQLite, so both stores list ties alike.
func queryEntries(ctx context.Context, q queryer, card string, limit int) ([]central.PointsEntry, error) {
	var lim *int
	if limit >= 0 {
		lim = &limit
	}
	rows, err := q.Query(ctx, `SELECT entry_id, card, member_id, kind, points, sale_id, store_id, agent_id, at_ms,
		available_at_ms, expires_at_ms, reward_id, pending_points, debt_points, lot_id, reason
		FROM points_entries WHERE card = $1 ORDER BY at_ms, entry_id COLLATE "C" LIMIT $2`, card, lim)
	if err != nil {
		return nil, fmt.Errorf("read entries of card %s: %w", central.MaskCard(card), err)
	}
	out := []central.PointsEntry{}
	var e central.PointsEntry
	var at, avail, exp int64
	if _, err := pgx.ForEachRow(rows, []any{&e.ID, &e.Card, &e.MemberID, &e.Kind, &e.Points, &e.SaleID, &e.StoreID,
		&e.AgentID, &at, &avail, &exp, &e.RewardID, &e.PendingPoints, &e.DebtPoints, &e.LotID, &e.Reason}, func() error {
		e.At, e.AvailableAt, e.ExpiresAt = time.UnixMilli(at).UTC(), fromMS(avail), fromMS(exp)
		out = append(out, e)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read entries of card %s: %w", central.MaskCard(card), err)
	}
	return out, nil
}

// Debtors implements central.Store.
func (db *DB) Debtors(ctx context.Context, limit int) ([]central.Debtor, error) {
	rows, err := db.pool.Query(ctx, `SELECT card, member_id, balance FROM points_cards
		WHERE balance < 0 ORDER BY balance, card COLLATE "C" LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("read debtors: %w", err)
	}
	out := []central.Debtor{}
	var d central.Debtor
	if _, err := pgx.ForEachRow(rows, []any{&d.Card, &d.MemberID, &d.Balance}, func() error {
		d.Debt = -d.Balance
		out = append(out, d)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read debtors: %w", err)
	}
	return out, nil
}

// OverdraftFlags implements central.Store.
func (db *DB) OverdraftFlags(ctx context.Context, limit int) ([]central.OverdraftFlag, error) {
	rows, err := db.pool.Query(ctx, `SELECT entry_id, card, sale_id, store_id, agent_id, points, balance_after,
		flagged_ms FROM overdraft_flags ORDER BY flagged_ms, entry_id COLLATE "C" LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("read overdraft flags: %w", err)
	}
	out := []central.OverdraftFlag{}
	var f central.OverdraftFlag
	var ms int64
	if _, err := pgx.ForEachRow(rows, []any{&f.EntryID, &f.Card, &f.SaleID, &f.StoreID, &f.AgentID, &f.Points,
		&f.BalanceAfter, &ms}, func() error {
		f.FlaggedAt = time.UnixMilli(ms).UTC()
		out = append(out, f)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read overdraft flags: %w", err)
	}
	return out, nil
}

// UnresolvedReturns implements central.Store.
func (db *DB) UnresolvedReturns(ctx context.Context, limit int) ([]central.UnresolvedReturn, error) {
	rows, err := db.pool.Query(ctx, `SELECT return_id, original_sale_id, store_id, agent_id, seq
		FROM points_returns WHERE resolved_ms IS NULL ORDER BY return_id COLLATE "C" LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("read unresolved returns: %w", err)
	}
	out, err := pgx.CollectRows(rows, scanUnresolved)
	if err != nil {
		return nil, fmt.Errorf("read unresolved returns: %w", err)
	}
	if out == nil {
		out = []central.UnresolvedReturn{}
	}
	return out, nil
}

// ExpirePoints implements central.Store: one transaction per card, which
// first locks the card's row so that two instances expiring one card run
// one after the other (the second finds the lots done).
func (db *DB) ExpirePoints(ctx context.Context, now time.Time) (central.ExpireResult, error) {
	var res central.ExpireResult
	rows, err := db.pool.Query(ctx, `SELECT DISTINCT l.card FROM points_entries l
		WHERE l.expires_at_ms > 0 AND l.expires_at_ms <= $1 AND l.points > 0
		AND NOT EXISTS (SELECT 1 FROM points_entries x WHERE x.entry_id = $2 || l.entry_id)`,
		now.UnixMilli(), central.ExpiryID(""))
	if err != nil {
		return res, fmt.Errorf("find lots to expire: %w", err)
	}
	cards, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return res, fmt.Errorf("find lots to expire: %w", err)
	}
	for _, card := range cards {
		var posted int
		var points int64
		err := db.inTx(ctx, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `SELECT 1 FROM points_cards WHERE card = $1 FOR UPDATE`, card); err != nil {
				return fmt.Errorf("lock card: %w", err)
			}
			entries, err := queryEntries(ctx, tx, card, -1)
			if err != nil {
				return err
			}
			l := ledger{tx: tx, nowMS: now.UnixMilli()}
			if err := l.insertEntries(ctx, central.ExpireLots(entries, now)); err != nil {
				return err
			}
			posted, points = l.inserted, -l.insertedPoints
			return nil
		})
		if err != nil {
			return res, fmt.Errorf("expire card %s: %w", central.MaskCard(card), err)
		}
		if posted > 0 {
			res.Cards++
			res.Entries += posted
			res.Points += points
		}
	}
	return res, nil
}

// AdjustPoints implements central.Store.
func (db *DB) AdjustPoints(ctx context.Context, a central.Adjustment) (bool, error) {
	e, err := central.AdjustmentEntry(a)
	if err != nil {
		return false, err
	}
	var ok bool
	err = db.inTx(ctx, func(tx pgx.Tx) error {
		ct, err := tx.Exec(ctx, insertEntrySQL, entryArgs(&e)...)
		ok = ct.RowsAffected() == 1
		return err
	})
	if err != nil {
		return false, fmt.Errorf("adjust card %s: %w", central.MaskCard(a.Card), err)
	}
	return ok, nil
}

// inTx runs fn in a transaction, again when PostgreSQL aborts it as a
// deadlock victim or serialization failure (as IngestBatch does).
func (db *DB) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := pgx.BeginFunc(ctx, db.pool, fn)
		if err == nil || !retryable(err) || attempt == maxAttempts || ctx.Err() != nil {
			return err
		}
	}
}

// unixMS is t in Unix milliseconds, 0 for the zero time ("never", "at once").
func unixMS(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMS(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}
