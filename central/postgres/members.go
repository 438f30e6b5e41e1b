package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/tillsync/tillsync/central"
)

var _ central.MemberStore = (*DB)(nil)

// membersMigration (version 10) holds the member master, as in package
// sqlite.
const membersMigration = `
CREATE TABLE members (
	member_id   TEXT   PRIMARY KEY,
	kind        TEXT   NOT NULL,
	masked_name TEXT   NOT NULL,
	phone_last4 TEXT   NOT NULL,
	store_id    TEXT   NOT NULL,
	joined_ms   BIGINT NOT NULL,
	opt_out     INT    NOT NULL,
	personal    BYTEA,
	income      BYTEA,
	key_id      TEXT   NOT NULL,
	erased_ms   BIGINT NOT NULL,
	updated_ms  BIGINT NOT NULL
);
CREATE INDEX members_key ON members (key_id);

CREATE TABLE member_cards (
	card        TEXT   PRIMARY KEY,
	member_id   TEXT   NOT NULL,
	status      TEXT   NOT NULL,
	linked_ms   BIGINT NOT NULL,
	replaced_by TEXT   NOT NULL DEFAULT '',
	reason      TEXT   NOT NULL DEFAULT ''
);
CREATE INDEX member_cards_member ON member_cards (member_id, status);

CREATE TABLE member_imports (
	import_id    TEXT   PRIMARY KEY,
	name         TEXT   NOT NULL,
	size         BIGINT NOT NULL,
	offset_bytes BIGINT NOT NULL,
	line         BIGINT NOT NULL,
	rows_ok      BIGINT NOT NULL,
	bad          BIGINT NOT NULL,
	done         INT    NOT NULL,
	started_ms   BIGINT NOT NULL,
	updated_ms   BIGINT NOT NULL
);

CREATE TABLE member_import_errors (
	import_id TEXT   NOT NULL,
	line      BIGINT NOT NULL,
	field     TEXT   NOT NULL,
	reason    TEXT   NOT NULL,
	PRIMARY KEY (import_id, line)
);
`

// memberLock serialises the transactions that link cards to members
// (imports, replacements) across central instances: a card's owner is
// decided from what the transaction read.
const memberLock = `SELECT pg_advisory_xact_lock(hashtext('tillsync member master'))`

const memberColumns = `member_id, kind, masked_name, phone_last4, store_id, joined_ms, opt_out, personal, income, erased_ms, updated_ms`

func scanMember(row pgx.Row) (central.Member, error) {
	var m central.Member
	var joined, erased, updated int64
	var optOut int
	err := row.Scan(&m.ID, &m.Kind, &m.MaskedName, &m.PhoneLast4, &m.StoreID, &joined, &optOut, &m.Personal, &m.Income, &erased, &updated)
	m.JoinedAt, m.ErasedAt, m.UpdatedAt, m.MarketingOptOut = fromMS(joined), fromMS(erased), fromMS(updated), optOut == 1
	return m, err
}

// pgxQuerier is a pool or a transaction.
type pgxQuerier interface {
	queryer
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Member implements central.MemberStore.
func (db *DB) Member(ctx context.Context, id string) (central.Member, error) {
	return member(ctx, db.pool, `member_id = $1`, id)
}

// MemberByCard implements central.MemberStore.
func (db *DB) MemberByCard(ctx context.Context, card string) (central.Member, error) {
	return member(ctx, db.pool, `member_id = (SELECT member_id FROM member_cards WHERE card = $1)`, card)
}

func member(ctx context.Context, q pgxQuerier, where, arg string) (central.Member, error) {
	m, err := scanMember(q.QueryRow(ctx, `SELECT `+memberColumns+` FROM members WHERE `+where, arg))
	if errors.Is(err, pgx.ErrNoRows) {
		return m, central.Errorf(central.ENOTFOUND, "no such member")
	}
	if err != nil {
		return m, fmt.Errorf("read member: %w", err)
	}
	rows, err := q.Query(ctx, `SELECT card, status, linked_ms, replaced_by, reason FROM member_cards
		WHERE member_id = $1 ORDER BY linked_ms, card COLLATE "C"`, m.ID)
	if err != nil {
		return m, fmt.Errorf("read cards of member %s: %w", m.ID, err)
	}
	var c central.MemberCard
	var linked int64
	_, err = pgx.ForEachRow(rows, []any{&c.Card, &c.Status, &linked, &c.ReplacedBy, &c.Reason}, func() error {
		c.LinkedAt = fromMS(linked)
		m.Cards = append(m.Cards, c)
		return nil
	})
	if err != nil {
		return m, fmt.Errorf("read cards of member %s: %w", m.ID, err)
	}
	return m, nil
}

// MemberImport implements central.MemberStore.
func (db *DB) MemberImport(ctx context.Context, id string) (central.MemberImport, error) {
	return memberImport(ctx, db.pool, id)
}

func memberImport(ctx context.Context, q pgxQuerier, id string) (central.MemberImport, error) {
	imp := central.MemberImport{ID: id}
	var started, updated int64
	var done int
	err := q.QueryRow(ctx, `SELECT name, size, offset_bytes, line, rows_ok, bad, done, started_ms, updated_ms
		FROM member_imports WHERE import_id = $1`, id).Scan(&imp.Name, &imp.Size, &imp.Offset, &imp.Line,
		&imp.Rows, &imp.Bad, &done, &started, &updated)
	if errors.Is(err, pgx.ErrNoRows) {
		return imp, central.Errorf(central.ENOTFOUND, "no import of that file")
	}
	if err != nil {
		return imp, fmt.Errorf("read import %s: %w", id, err)
	}
	imp.Done, imp.StartedAt, imp.UpdatedAt = done == 1, fromMS(started), fromMS(updated)
	return imp, nil
}

const upsertMemberSQL = `INSERT INTO members (` + memberColumns + `, key_id)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, $10, $11) ON CONFLICT (member_id) DO UPDATE SET
	kind = excluded.kind, masked_name = excluded.masked_name, phone_last4 = excluded.phone_last4,
	store_id = excluded.store_id, joined_ms = excluded.joined_ms, opt_out = excluded.opt_out,
	personal = excluded.personal, income = excluded.income, key_id = excluded.key_id,
	updated_ms = excluded.updated_ms WHERE members.erased_ms = 0`

const linkCardSQL = `INSERT INTO member_cards (card, member_id, status, linked_ms)
	VALUES ($1, $2, 'active', $3) ON CONFLICT (card) DO NOTHING`

// SaveImportChunk implements central.MemberStore: the chunk's state is
// read with three statements, and its writes go in one pipelined batch.
func (db *DB) SaveImportChunk(ctx context.Context, c central.ImportChunk) ([]central.BadRow, error) {
	var rejected []central.BadRow
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, memberLock); err != nil {
			return err
		}
		prev, err := memberImport(ctx, tx, c.Import.ID)
		switch {
		case err == nil && prev.Offset != c.From:
			return central.Errorf(central.ECONFLICT, "another run of this import is ahead (at line %d): let it finish", prev.Line)
		case err != nil && central.ErrorCode(err) != central.ENOTFOUND:
			return err
		}
		st, err := importState(ctx, tx, c)
		if err != nil {
			return err
		}
		plan := central.PlanImportChunk(c, st)
		rejected = plan.Rejected
		nowMS := c.Now.UnixMilli()
		b := &pgx.Batch{}
		for _, r := range plan.Rows {
			m := r.Member
			b.Queue(upsertMemberSQL, m.ID, string(m.Kind), m.MaskedName, m.PhoneLast4, m.StoreID, unixMS(m.JoinedAt),
				boolInt(m.MarketingOptOut), m.Personal, m.Income, nowMS, m.KeyID())
		}
		for _, r := range plan.NewLinks {
			b.Queue(linkCardSQL, r.Card, r.Member.ID, nowMS)
			b.Queue(upsertCardSQL, r.Card, r.Member.ID, 1)
		}
		for _, e := range plan.ImportEntries(c.Now) {
			b.Queue(insertEntrySQL, entryArgs(&e)...)
		}
		for _, bad := range append(c.Bad, plan.Rejected...) {
			b.Queue(`INSERT INTO member_import_errors (import_id, line, field, reason) VALUES ($1, $2, $3, $4)
				ON CONFLICT DO NOTHING`, c.Import.ID, bad.Line, bad.Field, bad.Reason)
		}
		imp := c.Import
		imp.Rows -= int64(len(plan.Rejected))
		imp.Bad += int64(len(plan.Rejected))
		b.Queue(`INSERT INTO member_imports (import_id, name, size, offset_bytes, line, rows_ok, bad, done,
			started_ms, updated_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (import_id) DO UPDATE SET
			offset_bytes = excluded.offset_bytes, line = excluded.line, rows_ok = excluded.rows_ok, bad = excluded.bad,
			done = excluded.done, updated_ms = excluded.updated_ms`, imp.ID, imp.Name, imp.Size, imp.Offset, imp.Line,
			imp.Rows, imp.Bad, boolInt(imp.Done), unixMS(imp.StartedAt), nowMS)
		return tx.SendBatch(ctx, b).Close()
	})
	if err != nil {
		return nil, fmt.Errorf("save import chunk: %w", err)
	}
	return rejected, nil
}

// importState reads what the database holds of c's cards and members.
func importState(ctx context.Context, tx pgx.Tx, c central.ImportChunk) (central.ImportState, error) {
	st := central.NewImportState()
	cards, members := c.ChunkCards()
	var card, owner string
	rows, err := tx.Query(ctx, `SELECT card, member_id FROM member_cards WHERE card = ANY($1)`, cards)
	if err != nil {
		return st, fmt.Errorf("read import state: %w", err)
	}
	if _, err := pgx.ForEachRow(rows, []any{&card, &owner}, func() error {
		st.CardOwner[card] = owner
		return nil
	}); err != nil {
		return st, fmt.Errorf("read import state: %w", err)
	}
	rows, err = tx.Query(ctx, `SELECT member_id, card FROM member_cards WHERE member_id = ANY($1) AND status = 'active'`, members)
	if err != nil {
		return st, fmt.Errorf("read import state: %w", err)
	}
	if _, err := pgx.ForEachRow(rows, []any{&owner, &card}, func() error {
		st.ActiveCard[owner] = card
		return nil
	}); err != nil {
		return st, fmt.Errorf("read import state: %w", err)
	}
	rows, err = tx.Query(ctx, `SELECT member_id FROM members WHERE member_id = ANY($1) AND erased_ms > 0`, members)
	if err != nil {
		return st, fmt.Errorf("read import state: %w", err)
	}
	if _, err := pgx.ForEachRow(rows, []any{&owner}, func() error {
		st.Erased[owner] = true
		return nil
	}); err != nil {
		return st, fmt.Errorf("read import state: %w", err)
	}
	return st, nil
}

// ImportBadRows implements central.MemberStore.
func (db *DB) ImportBadRows(ctx context.Context, id string, limit int) ([]central.BadRow, error) {
	rows, err := db.pool.Query(ctx, `SELECT line, field, reason FROM member_import_errors
		WHERE import_id = $1 ORDER BY line LIMIT $2`, id, limit)
	if err != nil {
		return nil, fmt.Errorf("read bad rows: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (central.BadRow, error) {
		var b central.BadRow
		return b, r.Scan(&b.Line, &b.Field, &b.Reason)
	})
	if err != nil {
		return nil, fmt.Errorf("read bad rows: %w", err)
	}
	return out, nil
}

// EraseMember implements central.MemberStore.
func (db *DB) EraseMember(ctx context.Context, id string, now time.Time) (central.Member, error) {
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		m, err := member(ctx, tx, `member_id = $1`, id)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE members SET masked_name = '', phone_last4 = '', personal = NULL,
			income = NULL, key_id = '', erased_ms = CASE WHEN erased_ms = 0 THEN $2 ELSE erased_ms END, updated_ms = $2
			WHERE member_id = $1`, id, now.UnixMilli()); err != nil {
			return fmt.Errorf("erase member %s: %w", id, err)
		}
		cards := map[string]bool{}
		for _, c := range m.Cards {
			cards[c.Card] = true
		}
		return scrubEnrollments(ctx, tx, id, cards)
	})
	if err != nil {
		return central.Member{}, err
	}
	return db.Member(ctx, id)
}

// scrubEnrollments removes the personal fields from the stored
// enrollment events of the member.
func scrubEnrollments(ctx context.Context, tx pgx.Tx, id string, cards map[string]bool) error {
	rows, err := tx.Query(ctx, `SELECT agent_id, seq, payload FROM events WHERE kind = $1`, central.KindMemberEnrolled)
	if err != nil {
		return fmt.Errorf("read enrollments: %w", err)
	}
	var agent string
	var seq int64
	var payload []byte
	b := &pgx.Batch{}
	if _, err := pgx.ForEachRow(rows, []any{&agent, &seq, &payload}, func() error {
		out, changed, err := central.ScrubEnrollment(payload, id, cards)
		if changed {
			b.Queue(`UPDATE events SET payload = $1 WHERE agent_id = $2 AND seq = $3`, out, agent, seq)
		}
		return err
	}); err != nil {
		return fmt.Errorf("read enrollments: %w", err)
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("scrub enrollments: %w", err)
	}
	return nil
}

// ReplaceCard implements central.MemberStore.
func (db *DB) ReplaceCard(ctx context.Context, r central.CardReplacement) (central.CardTransferResult, error) {
	var res central.CardTransferResult
	if err := r.Validate(); err != nil {
		return res, err
	}
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		res = central.CardTransferResult{}
		if _, err := tx.Exec(ctx, memberLock); err != nil {
			return err
		}
		link, err := replacementLink(ctx, tx, r)
		if err != nil {
			return err
		}
		res.MemberID = link.member
		if link.firstTime {
			if _, err := tx.Exec(ctx, `UPDATE member_cards SET status = 'lost', replaced_by = $1, reason = $2
				WHERE card = $3`, r.New, r.Reason, r.Old); err != nil {
				return fmt.Errorf("mark card %s lost: %w", central.MaskCard(r.Old), err)
			}
			if _, err := tx.Exec(ctx, linkCardSQL, r.New, link.member, r.At.UnixMilli()); err != nil {
				return fmt.Errorf("link card %s: %w", central.MaskCard(r.New), err)
			}
			if _, err := tx.Exec(ctx, upsertCardSQL, r.New, link.member, 1); err != nil {
				return fmt.Errorf("link card %s: %w", central.MaskCard(r.New), err)
			}
		}
		entries, err := queryEntries(ctx, tx, r.Old, -1)
		if err != nil {
			return err
		}
		moves := central.TransferEntries(r, link.member, entries, central.DebtMoves(entries))
		posted := map[string]bool{}
		for _, e := range moves {
			ct, err := tx.Exec(ctx, insertEntrySQL, entryArgs(&e)...)
			if err != nil {
				return fmt.Errorf("move points of card %s: %w", central.MaskCard(r.Old), err)
			}
			posted[e.ID] = ct.RowsAffected() == 1
		}
		res.Tally(moves, func(e central.PointsEntry) bool { return posted[e.ID] })
		return nil
	})
	if err != nil {
		return central.CardTransferResult{}, err
	}
	return res, nil
}

type replacement struct {
	member    string
	firstTime bool // the old card is still active: link the new one now
}

// replacementLink checks r against the cards' links, as in package sqlite.
func replacementLink(ctx context.Context, tx pgx.Tx, r central.CardReplacement) (replacement, error) {
	var rep replacement
	var status, replacedBy string
	err := tx.QueryRow(ctx, `SELECT member_id, status, replaced_by FROM member_cards WHERE card = $1`, r.Old).
		Scan(&rep.member, &status, &replacedBy)
	if errors.Is(err, pgx.ErrNoRows) {
		err = tx.QueryRow(ctx, `SELECT member_id FROM points_cards WHERE card = $1 AND member_id <> ''`, r.Old).Scan(&rep.member)
		if errors.Is(err, pgx.ErrNoRows) {
			return rep, central.Errorf(central.ENOTFOUND, "card %s is linked to no member", central.MaskCard(r.Old))
		}
		if err != nil {
			return rep, fmt.Errorf("read card %s: %w", central.MaskCard(r.Old), err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO members (`+memberColumns+`, key_id)
			VALUES ($1, 'customer', '', '', '', 0, 0, NULL, NULL, 0, $2, '') ON CONFLICT DO NOTHING`, rep.member, r.At.UnixMilli()); err != nil {
			return rep, fmt.Errorf("add member %s: %w", rep.member, err)
		}
		if _, err := tx.Exec(ctx, linkCardSQL, r.Old, rep.member, r.At.UnixMilli()); err != nil {
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
		return rep, nil
	}
	var owned bool
	var entries int64
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM member_cards WHERE card = $1),
		COALESCE((SELECT entries FROM points_cards WHERE card = $1), 0)`, r.New).Scan(&owned, &entries); err != nil {
		return rep, fmt.Errorf("read card %s: %w", central.MaskCard(r.New), err)
	}
	switch {
	case owned:
		return rep, central.Errorf(central.ECONFLICT, "card %s already belongs to a member", central.MaskCard(r.New))
	case entries > 0:
		return rep, central.Errorf(central.ECONFLICT, "card %s has points of its own: give the member an unused card", central.MaskCard(r.New))
	}
	rep.firstTime = true
	return rep, nil
}

// MemberTraits implements central.MemberStore.
func (db *DB) MemberTraits(ctx context.Context, fn func(central.MemberTrait) error) error {
	rows, err := db.pool.Query(ctx, `SELECT c.card, m.member_id, m.kind, m.income FROM member_cards c
		JOIN members m ON m.member_id = c.member_id WHERE m.kind <> 'customer' OR m.income IS NOT NULL
		ORDER BY c.card COLLATE "C"`)
	if err != nil {
		return fmt.Errorf("read member traits: %w", err)
	}
	var t central.MemberTrait
	if _, err := pgx.ForEachRow(rows, []any{&t.Card, &t.MemberID, &t.Kind, &t.Income}, func() error {
		return fn(t)
	}); err != nil {
		return fmt.Errorf("read member traits: %w", err)
	}
	return nil
}

// resealPage is how many members ResealMembers rewrites per transaction.
const resealPage = 1000

// ResealMembers implements central.MemberStore, a page of members per
// transaction.
func (db *DB) ResealMembers(ctx context.Context, activeKey string, reseal func(*central.Member) error) (int, error) {
	total := 0
	after := ""
	for {
		var n int
		err := db.inTx(ctx, func(tx pgx.Tx) error {
			rows, err := tx.Query(ctx, `SELECT `+memberColumns+` FROM members WHERE key_id <> '' AND key_id <> $1
				AND member_id > $2 COLLATE "C" ORDER BY member_id COLLATE "C" LIMIT $3`, activeKey, after, resealPage)
			if err != nil {
				return err
			}
			ms, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (central.Member, error) { return scanMember(r) })
			if err != nil {
				return err
			}
			b := &pgx.Batch{}
			for i := range ms {
				if err := reseal(&ms[i]); err != nil {
					return err
				}
				b.Queue(`UPDATE members SET personal = $1, income = $2, key_id = $3 WHERE member_id = $4`,
					ms[i].Personal, ms[i].Income, ms[i].KeyID(), ms[i].ID)
			}
			n = len(ms)
			if n > 0 {
				after = ms[n-1].ID
			}
			return tx.SendBatch(ctx, b).Close()
		})
		if err != nil {
			return total, fmt.Errorf("reseal members: %w", err)
		}
		total += n
		if n == 0 {
			return total, nil
		}
	}
}

// cardDisplaySQL reads a card's display data and tier (central.CardDisplay).
const cardDisplaySQL = `SELECT COALESCE(MAX(m.masked_name), ''), COALESCE(MAX(m.phone_last4), ''), COALESCE(MAX(m.erased_ms), 0),
	COALESCE((SELECT tier FROM member_tiers WHERE card = $1), '')
	FROM member_cards c JOIN members m ON m.member_id = c.member_id WHERE c.card = $1`

// cardDisplay reads card's central.CardDisplay.
func cardDisplay(ctx context.Context, q pgxQuerier, card string) (central.CardDisplay, error) {
	var d central.CardDisplay
	var erased int64
	if err := q.QueryRow(ctx, cardDisplaySQL, card).Scan(&d.MaskedName, &d.PhoneLast4, &erased, &d.Tier); err != nil {
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
	afterAgent, afterSeq := "", int64(-1)
	for {
		var page central.AbsorbResult
		var n int
		var lastAgent string
		var lastSeq int64
		err := db.inTx(ctx, func(tx pgx.Tx) error {
			page, n, lastAgent, lastSeq = central.AbsorbResult{}, 0, afterAgent, afterSeq
			if _, err := tx.Exec(ctx, memberLock); err != nil {
				return err
			}
			rows, err := tx.Query(ctx, `SELECT agent_id, seq, payload FROM events WHERE kind = $1
				AND (agent_id, seq) > ($2 COLLATE "C", $3) ORDER BY agent_id COLLATE "C", seq LIMIT $4`,
				central.KindMemberEnrolled, afterAgent, afterSeq, absorbPage)
			if err != nil {
				return err
			}
			type stored struct {
				agent   string
				seq     int64
				payload []byte
			}
			list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (stored, error) {
				var s stored
				return s, r.Scan(&s.agent, &s.seq, &s.payload)
			})
			if err != nil {
				return err
			}
			n = len(list)
			for _, s := range list {
				lastAgent, lastSeq = s.agent, s.seq
				if err := absorbOne(ctx, tx, open, s.agent, s.seq, s.payload, now, &page); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return res, fmt.Errorf("absorb enrollments: %w", err)
		}
		res.Absorbed += page.Absorbed
		res.Dropped += page.Dropped
		res.Unopened += page.Unopened
		afterAgent, afterSeq = lastAgent, lastSeq
		if n < absorbPage {
			return res, nil
		}
	}
}

// absorbOne absorbs one stored enrollment event (see AbsorbEnrollments).
func absorbOne(ctx context.Context, tx pgx.Tx, open func(central.SealedEnrollment) (central.Member, error),
	agent string, seq int64, payload []byte, now time.Time, res *central.AbsorbResult) error {
	e, ok := central.SealedEnrollmentOf(agent, uint64(seq), payload)
	if !ok {
		return nil
	}
	m, openErr := open(e)
	var erased int64
	var hasPersonal bool
	err := tx.QueryRow(ctx, `SELECT erased_ms, personal IS NOT NULL FROM members WHERE member_id = $1`,
		e.Enrolled.GetMemberId()).Scan(&erased, &hasPersonal)
	exists := err == nil
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("read member %s: %w", e.Enrolled.GetMemberId(), err)
	}
	fill, strip, err := central.AbsorbOutcome(openErr, exists, erased > 0, hasPersonal)
	if err != nil {
		return err
	}
	res.Count(fill, strip)
	nowMS := now.UnixMilli()
	if fill {
		if _, err := tx.Exec(ctx, `INSERT INTO members (`+memberColumns+`, key_id)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, $10, $11) ON CONFLICT (member_id) DO UPDATE SET
			masked_name = excluded.masked_name, phone_last4 = excluded.phone_last4, store_id = excluded.store_id,
			joined_ms = excluded.joined_ms, opt_out = excluded.opt_out, personal = excluded.personal,
			income = excluded.income, key_id = excluded.key_id, updated_ms = excluded.updated_ms
			WHERE members.personal IS NULL AND members.erased_ms = 0`,
			m.ID, string(m.Kind), m.MaskedName, m.PhoneLast4, m.StoreID, unixMS(m.JoinedAt),
			boolInt(m.MarketingOptOut), m.Personal, m.Income, nowMS, m.KeyID()); err != nil {
			return fmt.Errorf("fill member %s: %w", m.ID, err)
		}
		card := e.Enrolled.GetMemberCard()
		var taken bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM member_cards WHERE card = $1)
			OR EXISTS (SELECT 1 FROM member_cards WHERE member_id = $2 AND status = 'active')`, card, m.ID).Scan(&taken); err != nil {
			return fmt.Errorf("read card %s: %w", central.MaskCard(card), err)
		}
		if !taken {
			if _, err := tx.Exec(ctx, linkCardSQL, card, m.ID, nowMS); err != nil {
				return fmt.Errorf("link card %s: %w", central.MaskCard(card), err)
			}
			if _, err := tx.Exec(ctx, upsertCardSQL, card, m.ID, 1); err != nil {
				return fmt.Errorf("link card %s: %w", central.MaskCard(card), err)
			}
		}
	}
	if strip {
		out, err := central.StripSealed(payload)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE events SET payload = $1 WHERE agent_id = $2 AND seq = $3`, out, agent, seq); err != nil {
			return fmt.Errorf("strip enrollment %s/%d: %w", agent, seq, err)
		}
	}
	return nil
}
