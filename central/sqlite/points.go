package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/tillsync/tillsync/central"
)

const entryColumns = `entry_id, card, member_id, kind, points, sale_id, store_id, agent_id, at_ms,
	available_at_ms, expires_at_ms, reward_id, pending_points, debt_points, lot_id, reason`

// Balance implements central.Store.
func (db *DB) Balance(ctx context.Context, card string, now time.Time) (central.Balance, error) {
	var member string
	err := db.read.QueryRowContext(ctx, `SELECT member_id FROM points_cards WHERE card = ?`, card).Scan(&member)
	if errors.Is(err, sql.ErrNoRows) {
		return central.Balance{}, central.Errorf(central.ENOTFOUND, "card %s has no points", central.MaskCard(card))
	}
	if err != nil {
		return central.Balance{}, fmt.Errorf("read card %s: %w", central.MaskCard(card), err)
	}
	entries, err := db.CardEntries(ctx, card, -1)
	if err != nil {
		return central.Balance{}, err
	}
	return central.CardBalance(card, member, entries, now), nil
}

// CardEntries implements central.Store. A negative limit means all.
func (db *DB) CardEntries(ctx context.Context, card string, limit int) ([]central.PointsEntry, error) {
	return queryEntries(ctx, db.read, card, limit)
}

type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func queryEntries(ctx context.Context, q queryer, card string, limit int) ([]central.PointsEntry, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+entryColumns+` FROM points_entries WHERE card = ?
		ORDER BY at_ms, entry_id LIMIT ?`, card, limit)
	if err != nil {
		return nil, fmt.Errorf("read entries of card %s: %w", central.MaskCard(card), err)
	}
	out := []central.PointsEntry{}
	for rows.Next() {
		var e central.PointsEntry
		var at, avail, exp int64
		if err := rows.Scan(&e.ID, &e.Card, &e.MemberID, &e.Kind, &e.Points, &e.SaleID, &e.StoreID, &e.AgentID,
			&at, &avail, &exp, &e.RewardID, &e.PendingPoints, &e.DebtPoints, &e.LotID, &e.Reason); err != nil {
			return nil, errors.Join(fmt.Errorf("read entries of card %s: %w", central.MaskCard(card), err), rows.Close())
		}
		e.At, e.AvailableAt, e.ExpiresAt = time.UnixMilli(at).UTC(), fromMS(avail), fromMS(exp)
		out = append(out, e)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, fmt.Errorf("read entries of card %s: %w", central.MaskCard(card), err)
	}
	return out, nil
}

// Debtors implements central.Store.
func (db *DB) Debtors(ctx context.Context, limit int) ([]central.Debtor, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT card, member_id, balance FROM points_cards
		WHERE balance < 0 ORDER BY balance, card LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("read debtors: %w", err)
	}
	defer closeRows(rows, db)
	out := []central.Debtor{}
	for rows.Next() {
		var d central.Debtor
		if err := rows.Scan(&d.Card, &d.MemberID, &d.Balance); err != nil {
			return nil, fmt.Errorf("read debtors: %w", err)
		}
		d.Debt = -d.Balance
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read debtors: %w", err)
	}
	return out, nil
}

// OverdraftFlags implements central.Store.
func (db *DB) OverdraftFlags(ctx context.Context, limit int) ([]central.OverdraftFlag, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT entry_id, card, sale_id, store_id, agent_id, points,
		balance_after, flagged_ms FROM overdraft_flags ORDER BY flagged_ms, entry_id LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("read overdraft flags: %w", err)
	}
	defer closeRows(rows, db)
	out := []central.OverdraftFlag{}
	for rows.Next() {
		var f central.OverdraftFlag
		var ms int64
		if err := rows.Scan(&f.EntryID, &f.Card, &f.SaleID, &f.StoreID, &f.AgentID, &f.Points, &f.BalanceAfter, &ms); err != nil {
			return nil, fmt.Errorf("read overdraft flags: %w", err)
		}
		f.FlaggedAt = time.UnixMilli(ms).UTC()
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read overdraft flags: %w", err)
	}
	return out, nil
}

// UnresolvedReturns implements central.Store.
func (db *DB) UnresolvedReturns(ctx context.Context, limit int) ([]central.UnresolvedReturn, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT return_id, original_sale_id, store_id, agent_id, seq
		FROM points_returns WHERE resolved_ms IS NULL ORDER BY return_id LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("read unresolved returns: %w", err)
	}
	defer closeRows(rows, db)
	out := []central.UnresolvedReturn{}
	for rows.Next() {
		var u central.UnresolvedReturn
		var seq int64
		if err := rows.Scan(&u.ReturnID, &u.OriginalSaleID, &u.StoreID, &u.AgentID, &seq); err != nil {
			return nil, fmt.Errorf("read unresolved returns: %w", err)
		}
		u.Seq = uint64(seq)
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read unresolved returns: %w", err)
	}
	return out, nil
}

// expiryCandidatesSQL finds the cards holding a lot whose expiry passed
// and that has no expired entry yet (ExpireLots posts one, maybe of 0
// points, for every lot it ends, so a card drops out once done).
const expiryCandidatesSQL = `SELECT DISTINCT l.card FROM points_entries l
	WHERE l.expires_at_ms > 0 AND l.expires_at_ms <= ? AND l.points > 0
	AND NOT EXISTS (SELECT 1 FROM points_entries x WHERE x.entry_id = ? || l.entry_id)
	ORDER BY l.card`

// ExpirePoints implements central.Store: one write transaction per card.
func (db *DB) ExpirePoints(ctx context.Context, now time.Time) (central.ExpireResult, error) {
	var res central.ExpireResult
	if db.write == nil {
		return res, central.Errorf(central.EUNAVAILABLE, "database %q is open read-only", db.path)
	}
	rows, err := db.read.QueryContext(ctx, expiryCandidatesSQL, now.UnixMilli(), central.ExpiryID(""))
	if err != nil {
		return res, fmt.Errorf("find lots to expire: %w", err)
	}
	var cards []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return res, errors.Join(fmt.Errorf("find lots to expire: %w", err), rows.Close())
		}
		cards = append(cards, c)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return res, fmt.Errorf("find lots to expire: %w", err)
	}
	for _, card := range cards {
		if err := db.expireCard(ctx, card, now, &res); err != nil {
			return res, err
		}
	}
	return res, nil
}

func (db *DB) expireCard(ctx context.Context, card string, now time.Time, res *central.ExpireResult) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("expire card %s: begin: %w", central.MaskCard(card), err)
	}
	defer rollback(tx, db.logger)
	entries, err := queryEntries(ctx, tx, card, -1)
	if err != nil {
		return err
	}
	l := ledger{tx: tx, nowMS: now.UnixMilli()}
	var posted int
	var points int64
	for _, e := range central.ExpireLots(entries, now) {
		ok, err := l.insertEntry(ctx, e)
		if err != nil {
			return fmt.Errorf("expire card %s: %w", central.MaskCard(card), err)
		}
		if ok {
			posted++
			points -= e.Points
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("expire card %s: commit: %w", central.MaskCard(card), err)
	}
	if posted > 0 {
		res.Cards++
		res.Entries += posted
		res.Points += points
	}
	return nil
}

// AdjustPoints implements central.Store.
func (db *DB) AdjustPoints(ctx context.Context, a central.Adjustment) (bool, error) {
	e, err := central.AdjustmentEntry(a)
	if err != nil {
		return false, err
	}
	if db.write == nil {
		return false, central.Errorf(central.EUNAVAILABLE, "database %q is open read-only", db.path)
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("adjust card %s: begin: %w", central.MaskCard(a.Card), err)
	}
	defer rollback(tx, db.logger)
	l := ledger{tx: tx, nowMS: db.now().UnixMilli()}
	ok, err := l.insertEntry(ctx, e)
	if err != nil {
		return false, fmt.Errorf("adjust card %s: %w", central.MaskCard(a.Card), err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("adjust card %s: commit: %w", central.MaskCard(a.Card), err)
	}
	return ok, nil
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
