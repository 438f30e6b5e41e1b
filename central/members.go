package central

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/tillsync/tillsync/syncproto"
	"google.golang.org/protobuf/proto"
)

// The member master (tillsync issue 6, members admin): central's record of
// every member — kind (customer, staff, test), display data stores may
// show, personal data sealed at rest (Keyring), and the cards linked to
// the member. A member has one active card at a time (DESIGN §3: one card,
// one member); a lost card stays linked, marked lost, and names the card
// that replaced it.

// MemberKind says whether a member is a real customer. Staff and test
// members are kept out of every classification.
type MemberKind string

// Member kinds.
const (
	MemberCustomer MemberKind = "customer"
	MemberStaff    MemberKind = "staff"
	MemberTest     MemberKind = "test"
)

// ParseMemberKind returns the kind s names ("" is a customer), or an
// EINVALID *Error.
func ParseMemberKind(s string) (MemberKind, error) {
	switch MemberKind(s) {
	case "", MemberCustomer:
		return MemberCustomer, nil
	case MemberStaff, MemberTest:
		return MemberKind(s), nil
	}
	return "", Errorf(EINVALID, "member kind must be customer, staff or test")
}

// CardStatus is the state of a card linked to a member.
type CardStatus string

// Card states.
const (
	CardActive CardStatus = "active"
	CardLost   CardStatus = "lost"
)

// Sealed field names (the additional data of their ciphertext).
const (
	FieldPersonal = "personal"
	FieldIncome   = "income"
)

// Member is a member's master record as stored. Personal and Income are
// sealed (Keyring); both are nil for a member who declared nothing or was
// erased.
type Member struct {
	ID              string
	Kind            MemberKind
	MaskedName      string // as stores show it ("张*"); "" once erased
	PhoneLast4      string
	StoreID         string // where the member joined; "" when unknown
	JoinedAt        time.Time
	MarketingOptOut bool
	Personal        []byte // sealed syncproto.PersonalData without the income bracket
	Income          []byte // sealed income bracket text
	ErasedAt        time.Time
	UpdatedAt       time.Time
	Cards           []MemberCard // filled by reads, oldest link first
}

// MemberCard is one card linked to a member.
type MemberCard struct {
	Card       string // mask it before logging
	Status     CardStatus
	LinkedAt   time.Time
	ReplacedBy string // the card linked in its place when lost; "" otherwise
	Reason     string // why it was replaced
}

// ActiveCard returns m's active card, "" when it has none.
func (m *Member) ActiveCard() string {
	for _, c := range m.Cards {
		if c.Status == CardActive {
			return c.Card
		}
	}
	return ""
}

// SealPersonal fills m's display data and sealed fields from pd, which
// must be clean (syncproto.CleanPersonal).
func (m *Member) SealPersonal(k *Keyring, pd syncproto.PersonalData) error {
	m.MaskedName = syncproto.MaskName(pd.Name)
	m.PhoneLast4 = syncproto.PhoneLast4(pd.Phone)
	income := pd.IncomeBracket
	pd.IncomeBracket = ""
	doc, err := json.Marshal(pd)
	if err != nil {
		return fmt.Errorf("member %s: %w", m.ID, err)
	}
	if m.Personal, err = k.Seal(m.ID, FieldPersonal, doc); err != nil {
		return err
	}
	m.Income = nil
	if income != "" {
		if m.Income, err = k.Seal(m.ID, FieldIncome, []byte(income)); err != nil {
			return err
		}
	}
	return nil
}

// OpenPersonal returns m's personal data, with its income bracket. An
// erased member, or one who never gave any, has none (zero value).
func (m *Member) OpenPersonal(k *Keyring) (syncproto.PersonalData, error) {
	var pd syncproto.PersonalData
	if m.Personal != nil {
		doc, err := k.Open(m.ID, FieldPersonal, m.Personal)
		if err != nil {
			return pd, err
		}
		if err := json.Unmarshal(doc, &pd); err != nil {
			return pd, Errorf(EINVALID, "member %s: personal data does not decode", m.ID)
		}
	}
	if m.Income != nil {
		b, err := k.Open(m.ID, FieldIncome, m.Income)
		if err != nil {
			return pd, err
		}
		pd.IncomeBracket = string(b)
	}
	return pd, nil
}

// Reseal seals m's fields again with k's active key; it reports whether
// any field was sealed with another key.
func (m *Member) Reseal(k *Keyring) (bool, error) {
	changed := false
	for _, f := range []struct {
		name string
		v    *[]byte
	}{{FieldPersonal, &m.Personal}, {FieldIncome, &m.Income}} {
		if *f.v == nil {
			continue
		}
		id, _, err := SealedKeyID(*f.v)
		if err != nil {
			return false, fmt.Errorf("member %s %s: %w", m.ID, f.name, err)
		}
		if id == k.Active() {
			continue
		}
		plain, err := k.Open(m.ID, f.name, *f.v)
		if err != nil {
			return false, fmt.Errorf("member %s: %w", m.ID, err)
		}
		if *f.v, err = k.Seal(m.ID, f.name, plain); err != nil {
			return false, err
		}
		changed = true
	}
	return changed, nil
}

// MemberTrait is what classification needs of one card's member: its kind
// and its sealed income bracket (nil when none).
type MemberTrait struct {
	Card     string
	MemberID string
	Kind     MemberKind
	Income   []byte
}

// CardReplacement asks to replace a member's lost card Old by New.
type CardReplacement struct {
	Old, New string
	Reason   string // "reported lost" when empty
	At       time.Time
}

// CardTransferResult is what a replacement moved from the old card to the
// new one.
type CardTransferResult struct {
	MemberID string
	Entries  int   // transfer entries posted now (both cards)
	Points   int64 // points moved now (lots), positive
	Debt     int64 // debt moved now, positive
}

// MemberStore is the member master. Implementations are safe for
// concurrent use, also by several central instances sharing a database.
type MemberStore interface {
	// Member returns the member with id and its cards, or an ENOTFOUND
	// *Error.
	Member(ctx context.Context, id string) (Member, error)
	// MemberByCard returns the member card is linked to (active or lost),
	// or an ENOTFOUND *Error.
	MemberByCard(ctx context.Context, card string) (Member, error)
	// MemberImport returns the checkpoint of the import with id, or an
	// ENOTFOUND *Error when it never started.
	MemberImport(ctx context.Context, id string) (MemberImport, error)
	// SaveImportChunk stores one chunk of an import in one transaction:
	// its members (upserted by id, their card linked), their opening
	// points (posted once per card), its bad rows and the import's new
	// checkpoint. It fails with ECONFLICT, writing nothing, when the
	// stored checkpoint is not at c.From (another run of the same import
	// got there first). A row whose card belongs to another member is not
	// stored: it is returned, and stored, as a bad row.
	SaveImportChunk(ctx context.Context, c ImportChunk) (rejected []BadRow, err error)
	// ImportBadRows returns up to limit bad rows of the import, by line.
	ImportBadRows(ctx context.Context, id string, limit int) ([]BadRow, error)
	// EraseMember removes the member's personal and display data for good
	// (the sealed fields, masked name, phone digits, and the same data in
	// the enrollment events central keeps) and stamps ErasedAt; cards,
	// sales and points stay, anonymous. Erasing twice changes nothing
	// more. ENOTFOUND for an unknown member.
	EraseMember(ctx context.Context, id string, now time.Time) (Member, error)
	// ReplaceCard marks r.Old lost, links r.New to the same member and
	// moves r.Old's points (lot by lot, with their dates) and debt to
	// r.New, in one transaction. Repeating it moves only what reached the
	// old card since (say an offline sale that arrived late). It fails
	// with ENOTFOUND when r.Old is linked to no member, and ECONFLICT when
	// r.New belongs to another member, has points of its own, or r.Old
	// was already replaced by another card.
	ReplaceCard(ctx context.Context, r CardReplacement) (CardTransferResult, error)
	// MemberTraits calls fn for every card linked to a member whose kind
	// is not customer or who declared an income, ordered by card.
	MemberTraits(ctx context.Context, fn func(MemberTrait) error) error
	// ResealMembers calls reseal for every member with a sealed field not
	// made with key activeKey, a page at a time, and stores the sealed
	// fields reseal leaves; it returns how many members it rewrote.
	ResealMembers(ctx context.Context, activeKey string, reseal func(*Member) error) (int, error)
	// AbsorbEnrollments calls open for every stored enrollment event that
	// still carries sealed personal data, a page per transaction, and
	// stores what it returns as the member's master record (when the
	// master holds no personal data of the member yet and the member was
	// not erased), links the card when no member has it, and removes the
	// sealed data from the stored event. An open error wrapping
	// ErrNotSealedForKey, or an EINVALID one, leaves the event as it is.
	AbsorbEnrollments(ctx context.Context, open func(SealedEnrollment) (Member, error), now time.Time) (AbsorbResult, error)
}

// absorbable reports whether an open error leaves the enrollment as it
// is (counted, not returned).
func absorbable(err error) bool {
	return errors.Is(err, ErrNotSealedForKey) || ErrorCode(err) == EINVALID
}

// AbsorbOutcome decides what AbsorbEnrollments does with one enrollment
// given open's result and what the master holds of the member: fill
// (store the member and strip the event), strip (drop the sealed data
// only), or keep (leave the event; counted as unopened). A non-nil error
// stops the run.
func AbsorbOutcome(openErr error, exists, erased, hasPersonal bool) (fill, strip bool, err error) {
	switch {
	case openErr != nil && absorbable(openErr):
		return false, false, nil
	case openErr != nil:
		return false, false, openErr
	case erased || (exists && hasPersonal):
		return false, true, nil
	}
	return true, true, nil
}

// Count adds one enrollment's outcome to r.
func (r *AbsorbResult) Count(fill, strip bool) {
	switch {
	case fill:
		r.Absorbed++
	case strip:
		r.Dropped++
	default:
		r.Unopened++
	}
}

// ScrubEnrollment returns the stored event payload with the personal
// fields of a MemberEnrolled event of memberID (or of one of cards)
// removed — sealed personal data, masked name and phone digits — and
// whether it changed. Other events, and payloads that do not decode, come
// back unchanged.
func ScrubEnrollment(payload []byte, memberID string, cards map[string]bool) ([]byte, bool, error) {
	var ev syncproto.Event
	if err := proto.Unmarshal(payload, &ev); err != nil {
		return payload, false, nil
	}
	me := ev.GetMemberEnrolled()
	if me == nil || (me.GetMemberId() != memberID && !cards[me.GetMemberCard()]) {
		return payload, false, nil
	}
	if me.SealedPersonal == nil && me.MaskedName == "" && me.PhoneLast4 == "" {
		return payload, false, nil
	}
	me.SealedPersonal, me.MaskedName, me.PhoneLast4 = nil, "", ""
	out, err := proto.Marshal(&ev)
	if err != nil {
		return nil, false, fmt.Errorf("scrub enrollment %s: %w", ev.GetEventId(), err)
	}
	return out, true, nil
}

// CardDisplay is what central shows a store of a card beyond its points:
// the member master's display data and the card's tier.
type CardDisplay struct {
	MaskedName, PhoneLast4 string // the master's; "" when it has none
	Erased                 bool   // the member's personal data was erased
	Tier                   string // "" when the card has none
}

// applyTo sets c's display fields: an erased member shows nothing, a
// master record with a name wins over the card's enrollment data.
func (d CardDisplay) applyTo(name, phone, tier *string) {
	switch {
	case d.Erased:
		*name, *phone = "", ""
	case d.MaskedName != "":
		*name, *phone = d.MaskedName, d.PhoneLast4
	}
	*tier = d.Tier
}

// Apply sets c's display data and tier from d.
func (c *StoreMemberCard) Apply(d CardDisplay) { d.applyTo(&c.MaskedName, &c.PhoneLast4, &c.Tier) }

// Apply sets m's display data and tier from d.
func (m *MemberLookup) Apply(d CardDisplay) { d.applyTo(&m.MaskedName, &m.PhoneLast4, &m.Tier) }
