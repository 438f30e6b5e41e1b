package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/tillsync/tillsync/central"
)

// ledger applies ledger changes inside one transaction, in pipelined
// rounds as the writer does. Every entry insert is ON CONFLICT (entry_id)
// DO NOTHING and the card's cached balance moves in the same statement only
// when the insert took, so the cache stays the sum of the card's entries.
type ledger struct {
	tx    pgx.Tx
	nowMS int64 // central's clock: flag and resolution times
	// redeems are the redemptions applied for the first time in this
	// transaction, checked for overdraft at its end (flag).
	redeems []central.PointsEntry
	// inserted and insertedPoints count the entries this ledger stored.
	inserted       int
	insertedPoints int64
	// added are the entries stored for the first time, for the member
	// statistics (memberstats.go).
	added []central.PointsEntry
}

// insertEntrySQL inserts an entry and, only when its id was free, adds it
// to its card (upsertCard's rule for the member).
const insertEntrySQL = `WITH e AS (
	INSERT INTO points_entries (entry_id, card, member_id, kind, points, sale_id, store_id, agent_id, at_ms,
		available_at_ms, expires_at_ms, reward_id, pending_points, debt_points, lot_id, reason)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
	ON CONFLICT (entry_id) DO NOTHING RETURNING card, member_id, points
)
INSERT INTO points_cards (card, member_id, enrolled, balance, entries)
SELECT card, member_id, 0, points, 1 FROM e ` + cardConflict

// upsertCardSQL links a card to an enrolled member.
const upsertCardSQL = `INSERT INTO points_cards (card, member_id, enrolled, balance, entries)
	VALUES ($1, $2, $3, 0, 0) ` + cardConflict

// cardConflict adds to a card's cached balance and links its member: the
// greatest enrolled member id when an enrollment named one, else the
// greatest any entry named — no "first wins", so any apply order gives the
// same row (as in package sqlite).
const cardConflict = `ON CONFLICT (card) DO UPDATE SET
	member_id = CASE
		WHEN points_cards.enrolled = excluded.enrolled THEN GREATEST(points_cards.member_id, excluded.member_id)
		WHEN excluded.enrolled = 1 THEN excluded.member_id
		ELSE points_cards.member_id END,
	enrolled = GREATEST(points_cards.enrolled, excluded.enrolled),
	balance = points_cards.balance + excluded.balance,
	entries = points_cards.entries + excluded.entries`

func entryArgs(e *central.PointsEntry) []any {
	return []any{e.ID, e.Card, e.MemberID, e.Kind, e.Points, e.SaleID, e.StoreID, e.AgentID, e.At.UnixMilli(),
		unixMS(e.AvailableAt), unixMS(e.ExpiresAt), e.RewardID, e.PendingPoints, e.DebtPoints, e.LotID, e.Reason}
}

// apply writes the changes of a batch's applied events: entries and
// enrollments (card rows touched in card order, so two transactions lock
// them in one order), the foreign returns, and then resolves every return
// whose original sale is now stored.
func (l *ledger) apply(ctx context.Context, changes []*central.LedgerChange) error {
	var es []central.PointsEntry
	var enrolls []central.Enrollment
	var returns []central.UnresolvedReturn
	var keys []string
	for _, lc := range changes {
		es = append(es, lc.Entries...)
		if lc.Enroll != nil {
			enrolls = append(enrolls, *lc.Enroll)
		}
		if lc.Return != nil {
			returns = append(returns, *lc.Return)
			keys = append(keys, lc.Return.OriginalSaleID)
		}
		if lc.SaleID != "" {
			keys = append(keys, lc.SaleID)
		}
	}
	slices.SortStableFunc(es, func(a, b central.PointsEntry) int { return cmp.Compare(a.Card, b.Card) })
	slices.SortStableFunc(enrolls, func(a, b central.Enrollment) int { return cmp.Compare(a.Card, b.Card) })
	slices.Sort(keys)
	keys = slices.Compact(keys)
	if err := l.insertEntries(ctx, es); err != nil {
		return err
	}
	batch := &pgx.Batch{}
	for _, en := range enrolls {
		batch.Queue(upsertCardSQL, en.Card, en.MemberID, boolInt(en.MemberID != ""))
	}
	for _, u := range returns {
		batch.Queue(`INSERT INTO points_returns (return_id, original_sale_id, store_id, agent_id, seq)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`, u.ReturnID, u.OriginalSaleID, u.StoreID, u.AgentID, int64(u.Seq))
	}
	if len(keys) > 0 {
		batch.Queue(`INSERT INTO ledger_sale_keys (sale_id) SELECT unnest($1::text[]) ORDER BY 1
			ON CONFLICT (sale_id) DO UPDATE SET sale_id = excluded.sale_id`, keys)
	}
	if batch.Len() > 0 {
		if err := l.tx.SendBatch(ctx, batch).Close(); err != nil {
			return fmt.Errorf("write enrollments and returns: %w", err)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	return l.resolveReturns(ctx, `original_sale_id = ANY($1)`, keys)
}

// insertEntries inserts es in one round and notes the new redemptions.
func (l *ledger) insertEntries(ctx context.Context, es []central.PointsEntry) error {
	if len(es) == 0 {
		return nil
	}
	batch := &pgx.Batch{}
	for i := range es {
		e := &es[i]
		batch.Queue(insertEntrySQL, entryArgs(e)...).Exec(func(ct pgconn.CommandTag) error {
			if ct.RowsAffected() != 1 {
				return nil
			}
			l.inserted++
			l.insertedPoints += e.Points
			l.added = append(l.added, *e)
			if e.Kind == central.PointsRedeem {
				l.redeems = append(l.redeems, *e)
			}
			return nil
		})
	}
	if err := l.tx.SendBatch(ctx, batch).Close(); err != nil {
		return fmt.Errorf("insert points entries: %w", err)
	}
	return nil
}

// resolveReturns resolves every unresolved return matching where (one
// parameter, arg) whose original sale is stored.
func (l *ledger) resolveReturns(ctx context.Context, where string, arg any) error {
	rows, err := l.tx.Query(ctx, `SELECT return_id, original_sale_id, store_id, agent_id, seq
		FROM points_returns WHERE resolved_ms IS NULL AND `+where+` ORDER BY return_id COLLATE "C"`, arg)
	if err != nil {
		return fmt.Errorf("find unresolved returns: %w", err)
	}
	us, err := pgx.CollectRows(rows, scanUnresolved)
	if err != nil {
		return fmt.Errorf("find unresolved returns: %w", err)
	}
	for _, u := range us {
		if err := l.resolve(ctx, u); err != nil {
			return fmt.Errorf("resolve return %s: %w", u.ReturnID, err)
		}
	}
	return nil
}

func scanUnresolved(row pgx.CollectableRow) (central.UnresolvedReturn, error) {
	var u central.UnresolvedReturn
	var seq int64
	err := row.Scan(&u.ReturnID, &u.OriginalSaleID, &u.StoreID, &u.AgentID, &seq)
	u.Seq = uint64(seq)
	return u, err
}

// resolve posts u's entries when its original sale is stored, and marks
// it resolved; without the sale it leaves u for the sale's transaction.
func (l *ledger) resolve(ctx context.Context, u central.UnresolvedReturn) error {
	var salePayload, retPayload []byte
	err := l.tx.QueryRow(ctx, `SELECT e.payload FROM sales s
		JOIN events e ON e.agent_id = s.agent_id AND e.seq = s.seq WHERE s.sale_id = $1`, u.OriginalSaleID).Scan(&salePayload)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read original sale: %w", err)
	}
	if err := l.tx.QueryRow(ctx, `SELECT payload FROM events WHERE agent_id = $1 AND seq = $2`,
		u.AgentID, int64(u.Seq)).Scan(&retPayload); err != nil {
		return fmt.Errorf("read return event: %w", err)
	}
	returned := map[uint32]int64{}
	rows, err := l.tx.Query(ctx, `SELECT line_no, quantity_milli FROM points_returned_lines WHERE sale_id = $1`, u.OriginalSaleID)
	if err != nil {
		return fmt.Errorf("read returned lines: %w", err)
	}
	var no, q int64
	if _, err := pgx.ForEachRow(rows, []any{&no, &q}, func() error {
		returned[uint32(no)] = q
		return nil
	}); err != nil {
		return fmt.Errorf("read returned lines: %w", err)
	}
	var pending int64
	if err := l.tx.QueryRow(ctx, `SELECT COALESCE(SUM(pending_points), 0)::bigint FROM points_entries
		WHERE sale_id = $1 AND kind = $2`, u.OriginalSaleID, central.PointsReverseEarn).Scan(&pending); err != nil {
		return fmt.Errorf("read reversed pending points: %w", err)
	}
	res, err := central.ResolutionFor(u, retPayload, salePayload, returned, pending)
	if err != nil {
		return err
	}
	entries, after := central.ResolveReturn(res)
	if err := l.insertEntries(ctx, entries); err != nil {
		return err
	}
	batch := &pgx.Batch{}
	for no, q := range after {
		batch.Queue(`INSERT INTO points_returned_lines (sale_id, line_no, quantity_milli) VALUES ($1, $2, $3)
			ON CONFLICT (sale_id, line_no) DO UPDATE SET quantity_milli = excluded.quantity_milli`,
			u.OriginalSaleID, int64(no), q)
	}
	batch.Queue(`UPDATE points_returns SET resolved_ms = $1 WHERE return_id = $2`, l.nowMS, u.ReturnID)
	if err := l.tx.SendBatch(ctx, batch).Close(); err != nil {
		return fmt.Errorf("record resolution: %w", err)
	}
	return nil
}

// flag records, in one round, the overdraft flag of every redemption
// applied in this transaction whose card is negative now
// (central.OverdraftFlag).
func (l *ledger) flag(ctx context.Context) error {
	if len(l.redeems) == 0 {
		return nil
	}
	batch := &pgx.Batch{}
	for _, e := range l.redeems {
		batch.Queue(`INSERT INTO overdraft_flags
			(entry_id, card, sale_id, store_id, agent_id, points, balance_after, flagged_ms)
			SELECT $1, card, $2, $3, $4, $5, balance, $6 FROM points_cards WHERE card = $7 AND balance < 0
			ON CONFLICT (entry_id) DO NOTHING`, e.ID, e.SaleID, e.StoreID, e.AgentID, e.Points, l.nowMS, e.Card)
	}
	l.redeems = nil
	if err := l.tx.SendBatch(ctx, batch).Close(); err != nil {
		return fmt.Errorf("flag redemptions: %w", err)
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
