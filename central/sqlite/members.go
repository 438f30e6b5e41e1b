package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/tillsync/tillsync/central"
)

var _ central.MemberStore = (*DB)(nil)

// membersMigration (version 10) holds the member master (central/members.go):
// members with their display data in clear and personal data sealed
// (key_id names the key both sealed fields were made with), the cards
// linked to them, and the checkpoints and bad rows of legacy imports.
const membersMigration = `
CREATE TABLE members (
	member_id   TEXT    PRIMARY KEY,
	kind        TEXT    NOT NULL,
	masked_name TEXT    NOT NULL,
	phone_last4 TEXT    NOT NULL,
	store_id    TEXT    NOT NULL,
	joined_ms   INTEGER NOT NULL,
	opt_out     INTEGER NOT NULL,
	personal    BLOB,
	income      BLOB,
	key_id      TEXT    NOT NULL,
	erased_ms   INTEGER NOT NULL,
	updated_ms  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX members_key ON members (key_id);

CREATE TABLE member_cards (
	card        TEXT    PRIMARY KEY,
	member_id   TEXT    NOT NULL,
	status      TEXT    NOT NULL,
	linked_ms   INTEGER NOT NULL,
	replaced_by TEXT    NOT NULL DEFAULT '',
	reason      TEXT    NOT NULL DEFAULT ''
) WITHOUT ROWID;
CREATE INDEX member_cards_member ON member_cards (member_id, status);

CREATE TABLE member_imports (
	import_id  TEXT    PRIMARY KEY,
	name       TEXT    NOT NULL,
	size       INTEGER NOT NULL,
	offset_bytes INTEGER NOT NULL,
	line       INTEGER NOT NULL,
	rows_ok    INTEGER NOT NULL,
	bad        INTEGER NOT NULL,
	done       INTEGER NOT NULL,
	started_ms INTEGER NOT NULL,
	updated_ms INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE member_import_errors (
	import_id TEXT    NOT NULL,
	line      INTEGER NOT NULL,
	field     TEXT    NOT NULL,
	reason    TEXT    NOT NULL,
	PRIMARY KEY (import_id, line)
) WITHOUT ROWID;
`

// dbtx is a *sql.DB or *sql.Tx.
type dbtx interface {
	queryer
	rowQueryer
}

const memberColumns = `member_id, kind, masked_name, phone_last4, store_id, joined_ms, opt_out, personal, income, erased_ms, updated_ms`

func scanMember(row interface{ Scan(...any) error }) (central.Member, error) {
	var m central.Member
	var joined, erased, updated int64
	var optOut int
	err := row.Scan(&m.ID, &m.Kind, &m.MaskedName, &m.PhoneLast4, &m.StoreID, &joined, &optOut, &m.Personal, &m.Income, &erased, &updated)
	m.JoinedAt, m.ErasedAt, m.UpdatedAt, m.MarketingOptOut = fromMS(joined), fromMS(erased), fromMS(updated), optOut == 1
	return m, err
}

// Member implements central.MemberStore.
func (db *DB) Member(ctx context.Context, id string) (central.Member, error) {
	return db.member(ctx, db.read, `member_id = ?`, id)
}

// MemberByCard implements central.MemberStore.
func (db *DB) MemberByCard(ctx context.Context, card string) (central.Member, error) {
	return db.member(ctx, db.read, `member_id = (SELECT member_id FROM member_cards WHERE card = ?)`, card)
}

func (db *DB) member(ctx context.Context, q dbtx, where string, arg string) (central.Member, error) {
	m, err := scanMember(q.QueryRowContext(ctx, `SELECT `+memberColumns+` FROM members WHERE `+where, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return m, central.Errorf(central.ENOTFOUND, "no such member")
	}
	if err != nil {
		return m, fmt.Errorf("read member: %w", err)
	}
	rows, err := q.QueryContext(ctx, `SELECT card, status, linked_ms, replaced_by, reason FROM member_cards
		WHERE member_id = ? ORDER BY linked_ms, card`, m.ID)
	if err != nil {
		return m, fmt.Errorf("read cards of member %s: %w", m.ID, err)
	}
	defer closeRows(rows, db)
	for rows.Next() {
		var c central.MemberCard
		var linked int64
		if err := rows.Scan(&c.Card, &c.Status, &linked, &c.ReplacedBy, &c.Reason); err != nil {
			return m, fmt.Errorf("read cards of member %s: %w", m.ID, err)
		}
		c.LinkedAt = fromMS(linked)
		m.Cards = append(m.Cards, c)
	}
	return m, rows.Err()
}

// MemberImport implements central.MemberStore.
func (db *DB) MemberImport(ctx context.Context, id string) (central.MemberImport, error) {
	return memberImport(ctx, db.read, id)
}

func memberImport(ctx context.Context, q dbtx, id string) (central.MemberImport, error) {
	imp := central.MemberImport{ID: id}
	var started, updated int64
	var done int
	err := q.QueryRowContext(ctx, `SELECT name, size, offset_bytes, line, rows_ok, bad, done, started_ms, updated_ms
		FROM member_imports WHERE import_id = ?`, id).Scan(&imp.Name, &imp.Size, &imp.Offset, &imp.Line,
		&imp.Rows, &imp.Bad, &done, &started, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return imp, central.Errorf(central.ENOTFOUND, "no import of that file")
	}
	if err != nil {
		return imp, fmt.Errorf("read import %s: %w", id, err)
	}
	imp.Done, imp.StartedAt, imp.UpdatedAt = done == 1, fromMS(started), fromMS(updated)
	return imp, nil
}

// SaveImportChunk implements central.MemberStore.
func (db *DB) SaveImportChunk(ctx context.Context, c central.ImportChunk) ([]central.BadRow, error) {
	if db.write == nil {
		return nil, central.Errorf(central.EUNAVAILABLE, "database %q is open read-only", db.path)
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("save import chunk: begin: %w", err)
	}
	defer rollback(tx, db.logger)
	prev, err := memberImport(ctx, tx, c.Import.ID)
	switch {
	case err == nil && prev.Offset != c.From:
		return nil, central.Errorf(central.ECONFLICT, "another run of this import is ahead (at line %d): let it finish", prev.Line)
	case err != nil && central.ErrorCode(err) != central.ENOTFOUND:
		return nil, err
	}
	st, err := importState(ctx, tx, c)
	if err != nil {
		return nil, err
	}
	plan := central.PlanImportChunk(c, st)
	nowMS := c.Now.UnixMilli()
	ins, err := tx.PrepareContext(ctx, `INSERT INTO members (`+memberColumns+`, key_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?) ON CONFLICT (member_id) DO UPDATE SET
		kind = excluded.kind, masked_name = excluded.masked_name, phone_last4 = excluded.phone_last4,
		store_id = excluded.store_id, joined_ms = excluded.joined_ms, opt_out = excluded.opt_out,
		personal = excluded.personal, income = excluded.income, key_id = excluded.key_id,
		updated_ms = excluded.updated_ms WHERE members.erased_ms = 0`)
	if err != nil {
		return nil, fmt.Errorf("save import chunk: %w", err)
	}
	defer ins.Close()
	for _, r := range plan.Rows {
		m := r.Member
		if _, err := ins.ExecContext(ctx, m.ID, string(m.Kind), m.MaskedName, m.PhoneLast4, m.StoreID, unixMS(m.JoinedAt),
			boolInt(m.MarketingOptOut), m.Personal, m.Income, nowMS, m.KeyID()); err != nil {
			return nil, fmt.Errorf("save member at line %d: %w", r.Line, err)
		}
	}
	l := ledger{tx: tx, nowMS: nowMS}
	for _, r := range plan.NewLinks {
		if err := linkCard(ctx, &l, r.Card, r.Member.ID, nowMS); err != nil {
			return nil, fmt.Errorf("line %d: %w", r.Line, err)
		}
	}
	for _, e := range plan.ImportEntries(c.Now) {
		if _, err := l.insertEntry(ctx, e); err != nil {
			return nil, fmt.Errorf("opening balance of card %s: %w", central.MaskCard(e.Card), err)
		}
	}
	for _, b := range append(c.Bad, plan.Rejected...) {
		if _, err := l.exec(ctx, `INSERT INTO member_import_errors (import_id, line, field, reason)
			VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`, c.Import.ID, b.Line, b.Field, b.Reason); err != nil {
			return nil, fmt.Errorf("save bad row of line %d: %w", b.Line, err)
		}
	}
	imp := c.Import
	imp.Rows -= int64(len(plan.Rejected))
	imp.Bad += int64(len(plan.Rejected))
	if _, err := tx.ExecContext(ctx, `INSERT INTO member_imports (import_id, name, size, offset_bytes, line, rows_ok, bad, done,
		started_ms, updated_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (import_id) DO UPDATE SET
		offset_bytes = excluded.offset_bytes, line = excluded.line, rows_ok = excluded.rows_ok, bad = excluded.bad, done = excluded.done,
		updated_ms = excluded.updated_ms`, imp.ID, imp.Name, imp.Size, imp.Offset, imp.Line, imp.Rows, imp.Bad,
		boolInt(imp.Done), unixMS(imp.StartedAt), nowMS); err != nil {
		return nil, fmt.Errorf("save import checkpoint: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("save import chunk: commit: %w", err)
	}
	return plan.Rejected, nil
}

// linkCard links card to member as its active card, and names the member
// on the card's ledger row.
func linkCard(ctx context.Context, l *ledger, card, member string, nowMS int64) error {
	if _, err := l.exec(ctx, `INSERT INTO member_cards (card, member_id, status, linked_ms)
		VALUES (?, ?, 'active', ?) ON CONFLICT (card) DO NOTHING`, card, member, nowMS); err != nil {
		return fmt.Errorf("link card %s: %w", central.MaskCard(card), err)
	}
	if _, err := l.exec(ctx, upsertCardSQL, card, member, 1, 0, 0); err != nil {
		return fmt.Errorf("link card %s: %w", central.MaskCard(card), err)
	}
	return nil
}

// importState reads what the database holds of c's cards and members.
func importState(ctx context.Context, tx *sql.Tx, c central.ImportChunk) (central.ImportState, error) {
	st := central.NewImportState()
	cardQ, err := tx.PrepareContext(ctx, `SELECT member_id FROM member_cards WHERE card = ?`)
	if err != nil {
		return st, fmt.Errorf("read import state: %w", err)
	}
	defer cardQ.Close()
	memberQ, err := tx.PrepareContext(ctx, `SELECT m.erased_ms, COALESCE((SELECT card FROM member_cards c
		WHERE c.member_id = m.member_id AND c.status = 'active' LIMIT 1), '') FROM members m WHERE m.member_id = ?`)
	if err != nil {
		return st, fmt.Errorf("read import state: %w", err)
	}
	defer memberQ.Close()
	cards, members := c.ChunkCards()
	for _, card := range cards {
		var owner string
		switch err := cardQ.QueryRowContext(ctx, card).Scan(&owner); {
		case err == nil:
			st.CardOwner[card] = owner
		case !errors.Is(err, sql.ErrNoRows):
			return st, fmt.Errorf("read card %s: %w", central.MaskCard(card), err)
		}
	}
	for _, id := range members {
		var erased int64
		var active string
		switch err := memberQ.QueryRowContext(ctx, id).Scan(&erased, &active); {
		case err == nil:
			st.Erased[id] = erased > 0
			if active != "" {
				st.ActiveCard[id] = active
			}
		case !errors.Is(err, sql.ErrNoRows):
			return st, fmt.Errorf("read member %s: %w", id, err)
		}
	}
	return st, nil
}

// ImportBadRows implements central.MemberStore.
func (db *DB) ImportBadRows(ctx context.Context, id string, limit int) ([]central.BadRow, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT line, field, reason FROM member_import_errors
		WHERE import_id = ? ORDER BY line LIMIT ?`, id, limit)
	if err != nil {
		return nil, fmt.Errorf("read bad rows: %w", err)
	}
	defer closeRows(rows, db)
	var out []central.BadRow
	for rows.Next() {
		var b central.BadRow
		if err := rows.Scan(&b.Line, &b.Field, &b.Reason); err != nil {
			return nil, fmt.Errorf("read bad rows: %w", err)
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// EraseMember implements central.MemberStore.
func (db *DB) EraseMember(ctx context.Context, id string, now time.Time) (central.Member, error) {
	if db.write == nil {
		return central.Member{}, central.Errorf(central.EUNAVAILABLE, "database %q is open read-only", db.path)
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return central.Member{}, fmt.Errorf("erase member: begin: %w", err)
	}
	defer rollback(tx, db.logger)
	m, err := db.member(ctx, tx, `member_id = ?`, id)
	if err != nil {
		return m, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE members SET masked_name = '', phone_last4 = '', personal = NULL,
		income = NULL, key_id = '', erased_ms = CASE WHEN erased_ms = 0 THEN ?2 ELSE erased_ms END, updated_ms = ?2
		WHERE member_id = ?1`, id, now.UnixMilli()); err != nil {
		return m, fmt.Errorf("erase member %s: %w", id, err)
	}
	cards := map[string]bool{}
	for _, c := range m.Cards {
		cards[c.Card] = true
	}
	if err := scrubEnrollments(ctx, tx, id, cards); err != nil {
		return m, err
	}
	if err := tx.Commit(); err != nil {
		return m, fmt.Errorf("erase member: commit: %w", err)
	}
	return db.Member(ctx, id)
}

// scrubEnrollments removes the personal fields from the stored
// enrollment events of the member.
func scrubEnrollments(ctx context.Context, tx *sql.Tx, id string, cards map[string]bool) error {
	rows, err := tx.QueryContext(ctx, `SELECT agent_id, seq, payload FROM events WHERE kind = ?`, central.KindMemberEnrolled)
	if err != nil {
		return fmt.Errorf("read enrollments: %w", err)
	}
	type fix struct {
		agent   string
		seq     int64
		payload []byte
	}
	var fixes []fix
	for rows.Next() {
		var f fix
		if err := rows.Scan(&f.agent, &f.seq, &f.payload); err != nil {
			return errors.Join(fmt.Errorf("read enrollments: %w", err), rows.Close())
		}
		out, changed, err := central.ScrubEnrollment(f.payload, id, cards)
		if err != nil {
			return errors.Join(err, rows.Close())
		}
		if changed {
			f.payload = out
			fixes = append(fixes, f)
		}
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return fmt.Errorf("read enrollments: %w", err)
	}
	for _, f := range fixes {
		if _, err := tx.ExecContext(ctx, `UPDATE events SET payload = ? WHERE agent_id = ? AND seq = ?`,
			f.payload, f.agent, f.seq); err != nil {
			return fmt.Errorf("scrub enrollment %s/%d: %w", f.agent, f.seq, err)
		}
	}
	return nil
}

// ReplaceCard implements central.MemberStore.
func (db *DB) ReplaceCard(ctx context.Context, r central.CardReplacement) (central.CardTransferResult, error) {
	var res central.CardTransferResult
	if err := r.Validate(); err != nil {
		return res, err
	}
	if db.write == nil {
		return res, central.Errorf(central.EUNAVAILABLE, "database %q is open read-only", db.path)
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return res, fmt.Errorf("replace card: begin: %w", err)
	}
	defer rollback(tx, db.logger)
	link, err := replacementLink(ctx, tx, r)
	if err != nil {
		return res, err
	}
	res.MemberID = link.member
	nowMS := r.At.UnixMilli()
	l := ledger{tx: tx, nowMS: nowMS}
	if link.firstTime {
		if _, err := tx.ExecContext(ctx, `UPDATE member_cards SET status = 'lost', replaced_by = ?, reason = ?
			WHERE card = ?`, r.New, r.Reason, r.Old); err != nil {
			return res, fmt.Errorf("mark card %s lost: %w", central.MaskCard(r.Old), err)
		}
		if err := linkCard(ctx, &l, r.New, link.member, nowMS); err != nil {
			return res, err
		}
	}
	entries, err := queryEntries(ctx, tx, r.Old, -1)
	if err != nil {
		return res, err
	}
	moves := central.TransferEntries(r, link.member, entries, central.DebtMoves(entries))
	posted := map[string]bool{}
	for _, e := range moves {
		ok, err := l.insertEntry(ctx, e)
		if err != nil {
			return res, fmt.Errorf("move points of card %s: %w", central.MaskCard(r.Old), err)
		}
		posted[e.ID] = ok
	}
	res.Tally(moves, func(e central.PointsEntry) bool { return posted[e.ID] })
	if err := tx.Commit(); err != nil {
		return res, fmt.Errorf("replace card: commit: %w", err)
	}
	return res, nil
}

type replacement struct {
	member    string
	firstTime bool // the old card is still active: link the new one now
}

// replacementLink checks r against the cards' links: the old card's
// member (from the master, or else from the ledger's enrollment link,
// which then enters the master), and whether the new card is free.
func replacementLink(ctx context.Context, tx *sql.Tx, r central.CardReplacement) (replacement, error) {
	var rep replacement
	var status, replacedBy string
	err := tx.QueryRowContext(ctx, `SELECT member_id, status, replaced_by FROM member_cards WHERE card = ?`, r.Old).
		Scan(&rep.member, &status, &replacedBy)
	if errors.Is(err, sql.ErrNoRows) {
		// A card enrolled at a till: its member is known to the ledger
		// only. It enters the master now.
		err = tx.QueryRowContext(ctx, `SELECT member_id FROM points_cards WHERE card = ? AND member_id <> ''`, r.Old).Scan(&rep.member)
		if errors.Is(err, sql.ErrNoRows) {
			return rep, central.Errorf(central.ENOTFOUND, "card %s is linked to no member", central.MaskCard(r.Old))
		}
		if err != nil {
			return rep, fmt.Errorf("read card %s: %w", central.MaskCard(r.Old), err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO members (`+memberColumns+`, key_id)
			VALUES (?, 'customer', '', '', '', 0, 0, NULL, NULL, 0, ?, '') ON CONFLICT DO NOTHING`, rep.member, r.At.UnixMilli()); err != nil {
			return rep, fmt.Errorf("add member %s: %w", rep.member, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO member_cards (card, member_id, status, linked_ms)
			VALUES (?, ?, 'active', ?)`, r.Old, rep.member, r.At.UnixMilli()); err != nil {
			return rep, fmt.Errorf("link card %s: %w", central.MaskCard(r.Old), err)
		}
		status = string(central.CardActive)
	} else if err != nil {
		return rep, fmt.Errorf("read card %s: %w", central.MaskCard(r.Old), err)
	}
	switch {
	case status == string(central.CardLost) && replacedBy != r.New:
		return rep, central.Errorf(central.ECONFLICT, "card %s was already replaced by card %s", central.MaskCard(r.Old), central.MaskCard(replacedBy))
	case status == string(central.CardLost):
		return rep, nil // a repeat: move what reached the old card since
	}
	var owner string
	err = tx.QueryRowContext(ctx, `SELECT member_id FROM member_cards WHERE card = ?`, r.New).Scan(&owner)
	switch {
	case err == nil:
		return rep, central.Errorf(central.ECONFLICT, "card %s already belongs to a member", central.MaskCard(r.New))
	case !errors.Is(err, sql.ErrNoRows):
		return rep, fmt.Errorf("read card %s: %w", central.MaskCard(r.New), err)
	}
	var entries int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE((SELECT entries FROM points_cards WHERE card = ?), 0)`, r.New).Scan(&entries); err != nil {
		return rep, fmt.Errorf("read card %s: %w", central.MaskCard(r.New), err)
	}
	if entries > 0 {
		return rep, central.Errorf(central.ECONFLICT, "card %s has points of its own: give the member an unused card", central.MaskCard(r.New))
	}
	rep.firstTime = true
	return rep, nil
}

// MemberTraits implements central.MemberStore.
func (db *DB) MemberTraits(ctx context.Context, fn func(central.MemberTrait) error) error {
	rows, err := db.read.QueryContext(ctx, `SELECT c.card, m.member_id, m.kind, m.income FROM member_cards c
		JOIN members m ON m.member_id = c.member_id WHERE m.kind <> 'customer' OR m.income IS NOT NULL ORDER BY c.card`)
	if err != nil {
		return fmt.Errorf("read member traits: %w", err)
	}
	defer closeRows(rows, db)
	for rows.Next() {
		var t central.MemberTrait
		if err := rows.Scan(&t.Card, &t.MemberID, &t.Kind, &t.Income); err != nil {
			return fmt.Errorf("read member traits: %w", err)
		}
		if err := fn(t); err != nil {
			return err
		}
	}
	return rows.Err()
}

// resealPage is how many members ResealMembers rewrites per transaction.
const resealPage = 1000

// ResealMembers implements central.MemberStore: pages by member id, one
// write transaction each, so a rotation can stop and run again.
func (db *DB) ResealMembers(ctx context.Context, activeKey string, reseal func(*central.Member) error) (int, error) {
	if db.write == nil {
		return 0, central.Errorf(central.EUNAVAILABLE, "database %q is open read-only", db.path)
	}
	total := 0
	after := ""
	for {
		n, last, err := db.resealPage(ctx, activeKey, after, reseal)
		total += n
		if err != nil || last == "" {
			return total, err
		}
		after = last
	}
}

func (db *DB) resealPage(ctx context.Context, activeKey, after string, reseal func(*central.Member) error) (int, string, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return 0, "", fmt.Errorf("reseal members: begin: %w", err)
	}
	defer rollback(tx, db.logger)
	rows, err := tx.QueryContext(ctx, `SELECT `+memberColumns+` FROM members
		WHERE key_id <> '' AND key_id <> ? AND member_id > ? ORDER BY member_id LIMIT ?`, activeKey, after, resealPage)
	if err != nil {
		return 0, "", fmt.Errorf("reseal members: %w", err)
	}
	var ms []central.Member
	for rows.Next() {
		m, err := scanMember(rows)
		if err != nil {
			return 0, "", errors.Join(fmt.Errorf("reseal members: %w", err), rows.Close())
		}
		ms = append(ms, m)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return 0, "", fmt.Errorf("reseal members: %w", err)
	}
	if len(ms) == 0 {
		return 0, "", nil
	}
	for i := range ms {
		m := &ms[i]
		if err := reseal(m); err != nil {
			return 0, "", err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE members SET personal = ?, income = ?, key_id = ? WHERE member_id = ?`,
			m.Personal, m.Income, m.KeyID(), m.ID); err != nil {
			return 0, "", fmt.Errorf("reseal member %s: %w", m.ID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, "", fmt.Errorf("reseal members: commit: %w", err)
	}
	return len(ms), ms[len(ms)-1].ID, nil
}

// cardDisplaySQL reads a card's display data and tier (central.CardDisplay).
const cardDisplaySQL = `SELECT COALESCE(MAX(m.masked_name), ''), COALESCE(MAX(m.phone_last4), ''), COALESCE(MAX(m.erased_ms), 0),
	COALESCE((SELECT tier FROM member_tiers WHERE card = ?1), '')
	FROM member_cards c JOIN members m ON m.member_id = c.member_id WHERE c.card = ?1`

// cardDisplay reads card's central.CardDisplay.
func cardDisplay(ctx context.Context, q rowQueryer, card string) (central.CardDisplay, error) {
	var d central.CardDisplay
	var erased int64
	if err := q.QueryRowContext(ctx, cardDisplaySQL, card).Scan(&d.MaskedName, &d.PhoneLast4, &erased, &d.Tier); err != nil {
		return d, fmt.Errorf("read card %s: %w", central.MaskCard(card), err)
	}
	d.Erased = erased > 0
	return d, nil
}

// absorbPage is how many enrollment events AbsorbEnrollments reads per
// transaction.
const absorbPage = 500

// AbsorbEnrollments implements central.MemberStore.
func (db *DB) AbsorbEnrollments(ctx context.Context, open func(central.SealedEnrollment) (central.Member, error), now time.Time) (central.AbsorbResult, error) {
	var res central.AbsorbResult
	if db.write == nil {
		return res, central.Errorf(central.EUNAVAILABLE, "database %q is open read-only", db.path)
	}
	afterAgent, afterSeq := "", int64(-1)
	for {
		n, err := db.absorbPage(ctx, open, now, &afterAgent, &afterSeq, &res)
		if err != nil || n < absorbPage {
			return res, err
		}
	}
}

func (db *DB) absorbPage(ctx context.Context, open func(central.SealedEnrollment) (central.Member, error), now time.Time,
	afterAgent *string, afterSeq *int64, res *central.AbsorbResult) (int, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("absorb enrollments: begin: %w", err)
	}
	defer rollback(tx, db.logger)
	rows, err := tx.QueryContext(ctx, `SELECT agent_id, seq, payload FROM events WHERE kind = ?
		AND (agent_id > ? OR (agent_id = ? AND seq > ?)) ORDER BY agent_id, seq LIMIT ?`,
		central.KindMemberEnrolled, *afterAgent, *afterAgent, *afterSeq, absorbPage)
	if err != nil {
		return 0, fmt.Errorf("absorb enrollments: %w", err)
	}
	type stored struct {
		agent   string
		seq     int64
		payload []byte
	}
	var page []stored
	for rows.Next() {
		var s stored
		if err := rows.Scan(&s.agent, &s.seq, &s.payload); err != nil {
			return 0, errors.Join(fmt.Errorf("absorb enrollments: %w", err), rows.Close())
		}
		page = append(page, s)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return 0, fmt.Errorf("absorb enrollments: %w", err)
	}
	l := ledger{tx: tx, nowMS: now.UnixMilli()}
	var page0 central.AbsorbResult
	for _, s := range page {
		*afterAgent, *afterSeq = s.agent, s.seq
		e, ok := central.SealedEnrollmentOf(s.agent, uint64(s.seq), s.payload)
		if !ok {
			continue
		}
		m, openErr := open(e)
		var erased int64
		var hasPersonal bool
		err := tx.QueryRowContext(ctx, `SELECT erased_ms, personal IS NOT NULL FROM members WHERE member_id = ?`,
			e.Enrolled.GetMemberId()).Scan(&erased, &hasPersonal)
		exists := err == nil
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return 0, fmt.Errorf("read member %s: %w", e.Enrolled.GetMemberId(), err)
		}
		fill, strip, err := central.AbsorbOutcome(openErr, exists, erased > 0, hasPersonal)
		if err != nil {
			return 0, err
		}
		page0.Count(fill, strip)
		if fill {
			if _, err := l.exec(ctx, `INSERT INTO members (`+memberColumns+`, key_id)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?) ON CONFLICT (member_id) DO UPDATE SET
				masked_name = excluded.masked_name, phone_last4 = excluded.phone_last4, store_id = excluded.store_id,
				joined_ms = excluded.joined_ms, opt_out = excluded.opt_out, personal = excluded.personal,
				income = excluded.income, key_id = excluded.key_id, updated_ms = excluded.updated_ms
				WHERE members.personal IS NULL AND members.erased_ms = 0`,
				m.ID, string(m.Kind), m.MaskedName, m.PhoneLast4, m.StoreID, unixMS(m.JoinedAt),
				boolInt(m.MarketingOptOut), m.Personal, m.Income, now.UnixMilli(), m.KeyID()); err != nil {
				return 0, fmt.Errorf("fill member %s: %w", m.ID, err)
			}
			if err := linkFreeCard(ctx, tx, &l, e.Enrolled.GetMemberCard(), m.ID, now.UnixMilli()); err != nil {
				return 0, err
			}
		}
		if strip {
			out, err := central.StripSealed(s.payload)
			if err != nil {
				return 0, err
			}
			if _, err := l.exec(ctx, `UPDATE events SET payload = ? WHERE agent_id = ? AND seq = ?`, out, s.agent, s.seq); err != nil {
				return 0, fmt.Errorf("strip enrollment %s/%d: %w", s.agent, s.seq, err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("absorb enrollments: commit: %w", err)
	}
	res.Absorbed += page0.Absorbed
	res.Dropped += page0.Dropped
	res.Unopened += page0.Unopened
	return len(page), nil
}

// linkFreeCard links card to member unless a member has it already, or
// the member already has an active card.
func linkFreeCard(ctx context.Context, tx *sql.Tx, l *ledger, card, member string, nowMS int64) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM member_cards WHERE card = ?) +
		(SELECT COUNT(*) FROM member_cards WHERE member_id = ? AND status = 'active')`, card, member).Scan(&n); err != nil {
		return fmt.Errorf("read card %s: %w", central.MaskCard(card), err)
	}
	if n > 0 {
		return nil
	}
	return linkCard(ctx, l, card, member, nowMS)
}
