package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/tillsync/tillsync/central"
)

// ledger applies ledger changes inside one write transaction. Every entry
// insert is ON CONFLICT (entry_id) DO NOTHING and the card's cached
// balance moves only when the insert took, so the cache stays the sum of
// the card's entries however often an entry arrives.
type ledger struct {
	tx    *sql.Tx
	nowMS int64 // central's clock: flag and resolution times
	// redeems are the redemptions applied for the first time in this
	// transaction, checked for overdraft at its end (flag).
	redeems []central.PointsEntry
	// added are the entries stored for the first time, for the member
	// statistics (memberstats.go).
	added []central.PointsEntry
	// stmts are the statements exec prepared in tx: modernc's SQLite
	// parses a statement again on every unprepared Exec, which costs more
	// than running it.
	stmts map[string]*sql.Stmt
}

// exec runs query in l's transaction through a statement prepared once
// per transaction (closed with it).
func (l *ledger) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, ok := l.stmts[query]
	if !ok {
		var err error
		if st, err = l.tx.PrepareContext(ctx, query); err != nil {
			return nil, err
		}
		if l.stmts == nil {
			l.stmts = map[string]*sql.Stmt{}
		}
		l.stmts[query] = st
	}
	return st.ExecContext(ctx, args...)
}

const insertEntrySQL = `INSERT INTO points_entries (entry_id, card, member_id, kind, points, sale_id,
	store_id, agent_id, at_ms, available_at_ms, expires_at_ms, reward_id, pending_points, debt_points,
	lot_id, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (entry_id) DO NOTHING`

// upsertCardSQL adds to a card's cached balance and links its member. The
// member is the greatest enrolled member id when an enrollment named one,
// else the greatest member id any entry named: a rule with no "first
// wins", so any apply order gives the same row.
const upsertCardSQL = `INSERT INTO points_cards (card, member_id, enrolled, balance, entries)
	VALUES (?, ?, ?, ?, ?) ON CONFLICT (card) DO UPDATE SET
	member_id = CASE
		WHEN points_cards.enrolled = excluded.enrolled THEN MAX(points_cards.member_id, excluded.member_id)
		WHEN excluded.enrolled = 1 THEN excluded.member_id
		ELSE points_cards.member_id END,
	enrolled = MAX(points_cards.enrolled, excluded.enrolled),
	balance = points_cards.balance + excluded.balance,
	entries = points_cards.entries + excluded.entries`

// apply writes lc: its entries, its enrollment, its foreign return (resolved
// at once when the original sale is stored) and, for a sale, the returns
// of it that arrived first.
func (l *ledger) apply(ctx context.Context, lc *central.LedgerChange) error {
	if lc == nil {
		return nil
	}
	for _, e := range lc.Entries {
		if _, err := l.insertEntry(ctx, e); err != nil {
			return err
		}
	}
	if en := lc.Enroll; en != nil {
		if _, err := l.exec(ctx, upsertCardSQL, en.Card, en.MemberID, boolInt(en.MemberID != ""), 0, 0); err != nil {
			return fmt.Errorf("enroll card %s: %w", central.MaskCard(en.Card), err)
		}
	}
	if u := lc.Return; u != nil {
		if _, err := l.tx.ExecContext(ctx, `INSERT INTO points_returns
			(return_id, original_sale_id, store_id, agent_id, seq) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			u.ReturnID, u.OriginalSaleID, u.StoreID, u.AgentID, int64(u.Seq)); err != nil {
			return fmt.Errorf("record return %s: %w", u.ReturnID, err)
		}
		if err := l.resolveReturns(ctx, `return_id = ?`, u.ReturnID); err != nil {
			return err
		}
	}
	if lc.SaleID != "" {
		return l.resolveReturns(ctx, `original_sale_id = ?`, lc.SaleID)
	}
	return nil
}

// insertEntry stores e and adds it to its card; false when its id was
// already stored (nothing changes).
func (l *ledger) insertEntry(ctx context.Context, e central.PointsEntry) (bool, error) {
	r, err := l.exec(ctx, insertEntrySQL, e.ID, e.Card, e.MemberID, e.Kind, e.Points, e.SaleID,
		e.StoreID, e.AgentID, e.At.UnixMilli(), unixMS(e.AvailableAt), unixMS(e.ExpiresAt), e.RewardID,
		e.PendingPoints, e.DebtPoints, e.LotID, e.Reason)
	if err != nil {
		return false, fmt.Errorf("insert points entry %s: %w", e.ID, err)
	}
	if ok, err := inserted(r); err != nil || !ok {
		return false, err
	}
	if _, err := l.exec(ctx, upsertCardSQL, e.Card, e.MemberID, 0, e.Points, 1); err != nil {
		return false, fmt.Errorf("add points entry %s to card %s: %w", e.ID, central.MaskCard(e.Card), err)
	}
	if e.Kind == central.PointsRedeem {
		l.redeems = append(l.redeems, e)
	}
	l.added = append(l.added, e)
	return true, nil
}

// resolveReturns resolves every unresolved return matching where (one
// placeholder, arg) whose original sale is stored.
func (l *ledger) resolveReturns(ctx context.Context, where, arg string) error {
	rows, err := l.tx.QueryContext(ctx, `SELECT return_id, original_sale_id, store_id, agent_id, seq
		FROM points_returns WHERE resolved_ms IS NULL AND `+where+` ORDER BY return_id`, arg)
	if err != nil {
		return fmt.Errorf("find unresolved returns: %w", err)
	}
	var us []central.UnresolvedReturn
	for rows.Next() {
		var u central.UnresolvedReturn
		var seq int64
		if err := rows.Scan(&u.ReturnID, &u.OriginalSaleID, &u.StoreID, &u.AgentID, &seq); err != nil {
			return errors.Join(fmt.Errorf("find unresolved returns: %w", err), rows.Close())
		}
		u.Seq = uint64(seq)
		us = append(us, u)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return fmt.Errorf("find unresolved returns: %w", err)
	}
	for _, u := range us {
		if err := l.resolve(ctx, u); err != nil {
			return fmt.Errorf("resolve return %s: %w", u.ReturnID, err)
		}
	}
	return nil
}

// resolve posts u's entries when its original sale is stored, and marks
// it resolved; without the sale it leaves u for the sale's transaction.
func (l *ledger) resolve(ctx context.Context, u central.UnresolvedReturn) error {
	var salePayload, retPayload []byte
	err := l.tx.QueryRowContext(ctx, `SELECT e.payload FROM sales s
		JOIN events e ON e.agent_id = s.agent_id AND e.seq = s.seq WHERE s.sale_id = ?`, u.OriginalSaleID).Scan(&salePayload)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read original sale: %w", err)
	}
	if err := l.tx.QueryRowContext(ctx, `SELECT payload FROM events WHERE agent_id = ? AND seq = ?`,
		u.AgentID, int64(u.Seq)).Scan(&retPayload); err != nil {
		return fmt.Errorf("read return event: %w", err)
	}
	returned, pendingReversed, err := l.returnedSoFar(ctx, u.OriginalSaleID)
	if err != nil {
		return err
	}
	res, err := central.ResolutionFor(u, retPayload, salePayload, returned, pendingReversed)
	if err != nil {
		return err
	}
	entries, after := central.ResolveReturn(res)
	for _, e := range entries {
		if _, err := l.insertEntry(ctx, e); err != nil {
			return err
		}
	}
	for no, q := range after {
		if _, err := l.tx.ExecContext(ctx, `INSERT INTO points_returned_lines (sale_id, line_no, quantity_milli)
			VALUES (?, ?, ?) ON CONFLICT (sale_id, line_no) DO UPDATE SET quantity_milli = excluded.quantity_milli`,
			u.OriginalSaleID, int64(no), q); err != nil {
			return fmt.Errorf("record returned line %d: %w", no, err)
		}
	}
	if _, err := l.tx.ExecContext(ctx, `UPDATE points_returns SET resolved_ms = ? WHERE return_id = ?`,
		l.nowMS, u.ReturnID); err != nil {
		return fmt.Errorf("mark resolved: %w", err)
	}
	return nil
}

// returnedSoFar returns what earlier resolved returns of sale took back
// per line, and the pending part of every reversal of the sale.
func (l *ledger) returnedSoFar(ctx context.Context, sale string) (map[uint32]int64, int64, error) {
	returned := map[uint32]int64{}
	rows, err := l.tx.QueryContext(ctx, `SELECT line_no, quantity_milli FROM points_returned_lines WHERE sale_id = ?`, sale)
	if err != nil {
		return nil, 0, fmt.Errorf("read returned lines: %w", err)
	}
	for rows.Next() {
		var no, q int64
		if err := rows.Scan(&no, &q); err != nil {
			return nil, 0, errors.Join(fmt.Errorf("read returned lines: %w", err), rows.Close())
		}
		returned[uint32(no)] = q
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, 0, fmt.Errorf("read returned lines: %w", err)
	}
	var pending int64
	if err := l.tx.QueryRowContext(ctx, `SELECT COALESCE(SUM(pending_points), 0) FROM points_entries
		WHERE sale_id = ? AND kind = ?`, sale, central.PointsReverseEarn).Scan(&pending); err != nil {
		return nil, 0, fmt.Errorf("read reversed pending points: %w", err)
	}
	return returned, pending, nil
}

// flag records the overdraft flag of every redemption applied in this
// transaction whose card is negative now (central.OverdraftFlag).
func (l *ledger) flag(ctx context.Context) error {
	for _, e := range l.redeems {
		if _, err := l.tx.ExecContext(ctx, `INSERT INTO overdraft_flags
			(entry_id, card, sale_id, store_id, agent_id, points, balance_after, flagged_ms)
			SELECT ?, card, ?, ?, ?, ?, balance, ? FROM points_cards WHERE card = ? AND balance < 0
			ON CONFLICT (entry_id) DO NOTHING`,
			e.ID, e.SaleID, e.StoreID, e.AgentID, e.Points, l.nowMS, e.Card); err != nil {
			return fmt.Errorf("flag redemption %s: %w", e.ID, err)
		}
	}
	l.redeems = nil
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
