package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/tillsync/tillsync/central"
	"github.com/tillsync/tillsync/syncproto"
)

var _ central.Reservations = (*DB)(nil)

// reservationMigration is schema version 5: points held at central for a
// sale by an online redemption authorisation (central.Reservation).
const reservationMigration = `
CREATE TABLE reservations (
	reservation_id TEXT    PRIMARY KEY, -- the agent's sale id
	card           TEXT    NOT NULL,
	points         INTEGER NOT NULL,
	store_id       TEXT    NOT NULL,
	agent_id       TEXT    NOT NULL,
	created_ms     INTEGER NOT NULL,
	expires_ms     INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX reservations_card ON reservations (card);
`

// AuthorizeRedeem implements central.Reservations. The write connection's
// BEGIN IMMEDIATE makes the transaction the database's only writer from
// its first statement, so two requests for one card — from any process on
// the file — decide one after the other, each seeing the other's hold.
func (db *DB) AuthorizeRedeem(ctx context.Context, req central.RedeemRequest, now time.Time) (central.Authorization, error) {
	if err := req.Validate(); err != nil {
		return central.Authorization{}, err
	}
	if db.write == nil {
		return central.Authorization{}, central.Errorf(central.EUNAVAILABLE, "database %q is open read-only", db.path)
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return central.Authorization{}, fmt.Errorf("authorize redeem on card %s: begin: %w", central.MaskCard(req.Card), err)
	}
	defer rollback(tx, db.logger)
	entries, err := queryEntries(ctx, tx, req.Card, -1)
	if err != nil {
		return central.Authorization{}, err
	}
	held, err := cardReservations(ctx, tx, req.Card)
	if err != nil {
		return central.Authorization{}, err
	}
	d := central.DecideRedeem(req, entries, held, now)
	if err := writeDecision(ctx, tx, req.ReservationID, d); err != nil {
		return central.Authorization{}, fmt.Errorf("authorize redeem on card %s: %w", central.MaskCard(req.Card), err)
	}
	if err := tx.Commit(); err != nil {
		return central.Authorization{}, fmt.Errorf("authorize redeem on card %s: commit: %w", central.MaskCard(req.Card), err)
	}
	return d.Authorization, nil
}

// writeDecision drops the card's dead reservations and stores or removes
// the request's own.
func writeDecision(ctx context.Context, tx *sql.Tx, id string, d central.RedeemDecision) error {
	for _, dead := range d.Drop {
		if _, err := tx.ExecContext(ctx, `DELETE FROM reservations WHERE reservation_id = ?`, dead); err != nil {
			return fmt.Errorf("drop reservation: %w", err)
		}
	}
	if d.Hold == nil {
		if _, err := tx.ExecContext(ctx, `DELETE FROM reservations WHERE reservation_id = ?`, id); err != nil {
			return fmt.Errorf("remove refused reservation: %w", err)
		}
		return nil
	}
	h := d.Hold
	_, err := tx.ExecContext(ctx, `INSERT INTO reservations (reservation_id, card, points, store_id, agent_id,
		created_ms, expires_ms) VALUES (?, ?, ?, ?, ?, ?, ?)
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
	rows, err := q.QueryContext(ctx, `SELECT reservation_id, card, points, store_id, agent_id, created_ms, expires_ms
		FROM reservations WHERE card = ? ORDER BY reservation_id`, card)
	if err != nil {
		return nil, fmt.Errorf("read reservations of card %s: %w", central.MaskCard(card), err)
	}
	var out []central.Reservation
	for rows.Next() {
		var r central.Reservation
		var created, expires int64
		if err := rows.Scan(&r.ID, &r.Card, &r.Points, &r.StoreID, &r.AgentID, &created, &expires); err != nil {
			return nil, errors.Join(fmt.Errorf("read reservations of card %s: %w", central.MaskCard(card), err), rows.Close())
		}
		r.CreatedAt, r.ExpiresAt = time.UnixMilli(created).UTC(), time.UnixMilli(expires).UTC()
		out = append(out, r)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
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
	d, err := cardDisplay(ctx, db.read, card)
	if err != nil {
		return central.MemberLookup{}, err
	}
	m.Apply(d)
	return m, nil
}
