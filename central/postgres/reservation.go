package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/tillsync/tillsync/central"
	"github.com/tillsync/tillsync/syncproto"
)

var _ central.Reservations = (*DB)(nil)

// reservationMigration is schema version 5, as in package sqlite.
const reservationMigration = `
CREATE TABLE reservations (
	reservation_id TEXT   PRIMARY KEY, -- the agent's sale id
	card           TEXT   NOT NULL,
	points         BIGINT NOT NULL,
	store_id       TEXT   NOT NULL,
	agent_id       TEXT   NOT NULL,
	created_ms     BIGINT NOT NULL,
	expires_ms     BIGINT NOT NULL
);
CREATE INDEX reservations_card ON reservations (card);
`

// AuthorizeRedeem implements central.Reservations. A transaction-scoped
// advisory lock on the card serialises the decisions of every central
// instance for that card; under READ COMMITTED each statement after the
// lock sees what the previous holder committed. The card's entries are
// read in one statement, so a redemption synced meanwhile is counted
// either in the balance or as an open reservation, never both or neither
// (central.Reservation.Open).
func (db *DB) AuthorizeRedeem(ctx context.Context, req central.RedeemRequest, now time.Time) (central.Authorization, error) {
	if err := req.Validate(); err != nil {
		return central.Authorization{}, err
	}
	var d central.RedeemDecision
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('card:' || $1))`, req.Card); err != nil {
			return fmt.Errorf("lock: %w", err)
		}
		entries, err := queryEntries(ctx, tx, req.Card, -1)
		if err != nil {
			return err
		}
		held, err := cardReservations(ctx, tx, req.Card)
		if err != nil {
			return err
		}
		d = central.DecideRedeem(req, entries, held, now)
		return writeDecision(ctx, tx, req.ReservationID, d)
	})
	if err != nil {
		return central.Authorization{}, fmt.Errorf("authorize redeem on card %s: %w", central.MaskCard(req.Card), err)
	}
	return d.Authorization, nil
}

// writeDecision drops the card's dead reservations and stores or removes
// the request's own.
func writeDecision(ctx context.Context, tx pgx.Tx, id string, d central.RedeemDecision) error {
	if len(d.Drop) > 0 {
		if _, err := tx.Exec(ctx, `DELETE FROM reservations WHERE reservation_id = ANY($1)`, d.Drop); err != nil {
			return fmt.Errorf("drop reservations: %w", err)
		}
	}
	if d.Hold == nil {
		if _, err := tx.Exec(ctx, `DELETE FROM reservations WHERE reservation_id = $1`, id); err != nil {
			return fmt.Errorf("remove refused reservation: %w", err)
		}
		return nil
	}
	h := d.Hold
	_, err := tx.Exec(ctx, `INSERT INTO reservations (reservation_id, card, points, store_id, agent_id,
		created_ms, expires_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (reservation_id) DO UPDATE SET card = excluded.card, points = excluded.points,
		store_id = excluded.store_id, agent_id = excluded.agent_id, created_ms = excluded.created_ms,
		expires_ms = excluded.expires_ms`,
		h.ID, h.Card, h.Points, h.StoreID, h.AgentID, h.CreatedAt.UnixMilli(), h.ExpiresAt.UnixMilli())
	if err != nil {
		return fmt.Errorf("store reservation: %w", err)
	}
	return nil
}

// cardReservations reads every stored reservation of card, live or not.
func cardReservations(ctx context.Context, q queryer, card string) ([]central.Reservation, error) {
	rows, err := q.Query(ctx, `SELECT reservation_id, card, points, store_id, agent_id, created_ms, expires_ms
		FROM reservations WHERE card = $1 ORDER BY reservation_id COLLATE "C"`, card)
	if err != nil {
		return nil, fmt.Errorf("read reservations of card %s: %w", central.MaskCard(card), err)
	}
	var out []central.Reservation
	var r central.Reservation
	var created, expires int64
	if _, err := pgx.ForEachRow(rows, []any{&r.ID, &r.Card, &r.Points, &r.StoreID, &r.AgentID, &created, &expires}, func() error {
		r.CreatedAt, r.ExpiresAt = time.UnixMilli(created).UTC(), time.UnixMilli(expires).UTC()
		out = append(out, r)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read reservations of card %s: %w", central.MaskCard(card), err)
	}
	return out, nil
}

// LookupMember implements central.Reservations.
func (db *DB) LookupMember(ctx context.Context, card string, now time.Time) (central.MemberLookup, error) {
	var bal *central.Balance
	b, err := db.Balance(ctx, card, now)
	switch {
	case err == nil:
		bal = &b
	case central.ErrorCode(err) != central.ENOTFOUND:
		return central.MemberLookup{}, fmt.Errorf("look up card %s: %w", central.MaskCard(card), err)
	}
	blocks, err := db.LatestStreamVersion(ctx, syncproto.StreamCardBlocks)
	if err != nil {
		return central.MemberLookup{}, fmt.Errorf("look up card %s: %w", central.MaskCard(card), err)
	}
	var content *syncproto.CardBlocksContent
	if blocks != nil {
		content = blocks.Snapshot.GetCardBlocks()
	}
	m := central.LookupFrom(card, bal, content, now)
	d, err := cardDisplay(ctx, db.pool, card)
	if err != nil {
		return central.MemberLookup{}, err
	}
	m.Apply(d)
	return m, nil
}
