package agent

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/tillsync/tillsync/syncproto"
	"golang.org/x/crypto/nacl/box"
)

// TierRegular is the tier of a member enrolled at the till; central sets
// the real tier from spend later (DESIGN §3, tiers).
const TierRegular = "regular"

// Monthly income brackets (yuan) a member may give at enrollment. Income
// drives central's value quadrant (customer characteristic × value); it is
// optional and goes to central only, sealed.
const (
	IncomeUnder3000  = syncproto.IncomeUnder3000
	Income3000To8000 = syncproto.Income3000To8000
	Income8000To20k  = syncproto.Income8000To20k
	IncomeOver20000  = syncproto.IncomeOver20000
)

// IncomeBrackets lists the accepted income brackets in rising order.
func IncomeBrackets() []string { return syncproto.IncomeBrackets() }

// maxEnrollCardLen limits an enrolled card number: ISO/IEC 7812 PAN, card
// readers carry at most 19 digits.
const maxEnrollCardLen = 19

// PersonalData is what a member gives at enrollment. It goes to central
// only, sealed with central's public key; the store never writes it to
// disk or a log in clear (DESIGN §3, privacy; PIPL art. 6, 51). Its JSON
// form is the contract with central (syncproto.PersonalData).
type PersonalData = syncproto.PersonalData

// EnrollInput is a shopper signing up at a lane. QualifyingSaleID is the
// anonymous purchase (its receipt) that qualifies them, "" for none.
type EnrollInput struct {
	Lane             string
	Personal         PersonalData
	MarketingOptOut  bool
	QualifyingSaleID string
}

// EnrollConfig turns enrollment at the till on. Till.Enroll refuses with
// EUNAVAILABLE while Till.EnrollConfig is nil, or when it has no
// CentralKey and the ledger holds no key from central (CentralKeySource):
// central's key wins, the configured one is the fallback.
type EnrollConfig struct {
	// CentralKey is central's NaCl box public key (ParseCentralKey).
	CentralKey *[32]byte
	// CollectIDNumber lets the till take an ID-document number. Off by
	// default: a points programme should not collect them (DESIGN §3).
	CollectIDNumber bool
	// Rand is the randomness for sealing; nil means crypto/rand.
	Rand io.Reader
}

// ParseCentralKey decodes central's public key from standard base64 of
// its 32 bytes; the error says what is wrong without echoing the value.
func ParseCentralKey(s string) (*[32]byte, error) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return nil, Errorf(EINVALID, "central public key is not standard base64")
	}
	if len(raw) != 32 {
		return nil, Errorf(EINVALID, "central public key is %d bytes, want 32 (a NaCl box public key)", len(raw))
	}
	var k [32]byte
	copy(k[:], raw)
	return &k, nil
}

// Enrollment is a member signed up at the till, as the store records it
// and sends it to central (syncproto.MemberEnrolled).
type Enrollment struct {
	// Member is all the store keeps: card, provisional member id, masked
	// name, last four phone digits, tier regular, balance 0.
	Member   Member
	StoreID  string
	LaneID   string
	Seq      uint64
	WallTime time.Time
	// SealedPersonal is box.SealAnonymous(JSON PersonalData, central key).
	SealedPersonal   []byte
	QualifyingSaleID string
	MarketingOptOut  bool
	// Points credits the qualifying sale's points to the new card
	// (pending, as for a member sale); empty when there is none.
	Points []PointsEntry
}

// PointsCreditedPending is the points the enrollment credited (pending).
func (e *Enrollment) PointsCreditedPending() int64 {
	var n int64
	for _, p := range e.Points {
		if p.Kind == PointsEarn {
			n += p.Points
		}
	}
	return n
}

// AssignCard gives e its card number and the provisional member id that
// goes with it, on the member and on every points entry. The ledger calls
// it inside the transaction that takes the number from the block.
func (e *Enrollment) AssignCard(storeID, card string) {
	e.Member.Card, e.Member.MemberID = card, ProvisionalMemberID(storeID, card)
	for i := range e.Points {
		e.Points[i].Card, e.Points[i].MemberID = card, e.Member.MemberID
	}
}

// ProvisionalMemberID is the member id a store gives a member it enrolls
// offline; central links it to the member id it assigns.
func ProvisionalMemberID(storeID, card string) string {
	return "S-" + storeID + "-" + card
}

// EnrollStore records enrollments; the ledger implements it.
type EnrollStore interface {
	// CommitEnrollment takes the next free number of the store's
	// enrollment block, calls e.AssignCard, and stores the member, the
	// points entries, the qualifying sale's use and the MemberEnrolled
	// journal event in one durable transaction, setting e.Seq. It fails
	// with EUNAVAILABLE when the block is used up or there is none, and
	// with ECONFLICT when the qualifying sale already qualified an
	// enrollment; then nothing is written and e is unchanged.
	CommitEnrollment(ctx context.Context, e *Enrollment) error
	// EnrolledBySale returns the card of the enrollment sale id qualified,
	// or an ENOTFOUND *Error.
	EnrolledBySale(ctx context.Context, saleID string) (string, error)
}

// EnrollBlock is a range of card numbers central hands a store so that it
// can enroll members offline (DESIGN §3, enrollment). Card n is Prefix,
// n zero-padded to the digits of End, and a Luhn check digit.
type EnrollBlock struct {
	Prefix     string
	Start, End uint64 // inclusive
	// Next is the next number to hand out; past End the block is used up.
	Next uint64
}

// Validate returns an EINVALID *Error naming what is wrong with b's
// prefix and range, or nil.
func (b EnrollBlock) Validate() error {
	switch {
	case b.Prefix == "" || strings.Trim(b.Prefix, "0123456789") != "":
		return Errorf(EINVALID, "enroll card prefix must be 1 or more digits")
	case b.Start < 1 || b.End < b.Start:
		return Errorf(EINVALID, "enroll block %d..%d must start at 1 or more and not end before it starts", b.Start, b.End)
	case len(b.Card(b.End)) > maxEnrollCardLen:
		return Errorf(EINVALID, "enroll cards of prefix %s up to %d would be %d digits, at most %d", b.Prefix, b.End, len(b.Card(b.End)), maxEnrollCardLen)
	}
	return nil
}

// Card returns the card number of n in b (n is not checked against b).
func (b EnrollBlock) Card(n uint64) string {
	width := len(strconv.FormatUint(b.End, 10))
	payload := fmt.Sprintf("%s%0*d", b.Prefix, width, n)
	return payload + string(LuhnDigit(payload))
}

// Left returns how many numbers b still has.
func (b EnrollBlock) Left() uint64 {
	if b.Next > b.End || b.End == 0 {
		return 0
	}
	return b.End - max(b.Next, b.Start) + 1
}

// LuhnDigit returns the Luhn (ISO/IEC 7812-1 mod 10) check digit to append
// to digits, an all-digit string.
func LuhnDigit(digits string) byte {
	sum, double := 0, true // the digit left of the check digit is doubled
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if double {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return byte('0' + (10-sum%10)%10)
}

// Enroll signs a shopper up at the till with minimal data: the store
// keeps the masked name and last four phone digits; the personal fields
// are sealed for central with its public key, so the store's disk holds
// only ciphertext (DESIGN §3, privacy). A qualifying purchase
// (QualifyingSaleID) is credited to the new card as a member sale would
// have earned it, pending until its return window passes. The member,
// the credit and the MemberEnrolled event are committed in one durable
// transaction. Errors are coded for the cashier; none carries a personal
// field.
func (t *Till) Enroll(ctx context.Context, in EnrollInput) (*Enrollment, error) {
	cfg := t.EnrollConfig
	if cfg == nil {
		return nil, Errorf(EUNAVAILABLE, "enrollment is off: no central key configured")
	}
	key := cfg.CentralKey
	// Central's key, once it has sent one, wins over the configured one.
	if ks, ok := t.Store.(CentralKeySource); ok {
		k, err := ks.CentralKey(ctx)
		if err != nil {
			return nil, fmt.Errorf("central key: %w", err)
		}
		if k != nil {
			key = k
		}
	}
	if key == nil {
		return nil, Errorf(EUNAVAILABLE, "enrollment is off: no central key configured or received from central")
	}
	store, ok := t.Store.(EnrollStore)
	if !ok {
		return nil, Errorf(EUNAVAILABLE, "enrollment is off: this till's ledger cannot record enrollments")
	}
	if err := checkLane(in.Lane); err != nil {
		return nil, err
	}
	pd, err := cleanPersonal(in.Personal, cfg.CollectIDNumber)
	if err != nil {
		return nil, err
	}
	now := t.Now()
	e := &Enrollment{
		Member:  Member{MaskedName: MaskName(pd.Name), PhoneLast4: pd.Phone[len(pd.Phone)-4:], Tier: TierRegular},
		StoreID: t.StoreID, LaneID: in.Lane, WallTime: now,
		QualifyingSaleID: in.QualifyingSaleID, MarketingOptOut: in.MarketingOptOut,
	}
	if in.QualifyingSaleID != "" {
		if e.Points, err = t.qualifyingCredit(ctx, in.QualifyingSaleID, now); err != nil {
			return nil, err
		}
	}
	if e.SealedPersonal, err = sealPersonal(pd, key, cfg.Rand); err != nil {
		return nil, err
	}
	if err := store.CommitEnrollment(ctx, e); err != nil {
		return nil, fmt.Errorf("commit enrollment: %w", err)
	}
	if t.Uplink != nil {
		t.Uplink.Notify()
	}
	return e, nil
}

// sealPersonal seals pd for central: an anonymous sealed box, which only
// central's private key opens and which does not reveal the sender.
func sealPersonal(pd PersonalData, key *[32]byte, r io.Reader) ([]byte, error) {
	msg, err := json.Marshal(pd)
	if err != nil {
		return nil, fmt.Errorf("encode personal data: %w", err)
	}
	if r == nil {
		r = rand.Reader
	}
	sealed, err := box.SealAnonymous(nil, msg, key, r)
	clear(msg) // the plaintext lives no longer than it must
	if err != nil {
		return nil, fmt.Errorf("seal personal data: %w", err)
	}
	return sealed, nil
}

// qualifyingCredit checks that sale id qualifies an enrollment now and
// returns the points it credits to the new card (none when it earns 0).
// The ledger checks, in the committing transaction, that no other
// enrollment used the sale.
func (t *Till) qualifyingCredit(ctx context.Context, id string, now time.Time) ([]PointsEntry, error) {
	if id == "" || len(id) > maxIDLen {
		return nil, Errorf(EINVALID, "qualifying_sale_id must be 1 to %d characters: scan the receipt again", maxIDLen)
	}
	p, _, err := t.policy(ctx)
	if err != nil {
		return nil, err
	}
	s, err := t.Store.Sale(ctx, id)
	if ErrorCode(err) == ENOTFOUND {
		return nil, Errorf(ENOTFOUND, "sale %s is not in this store's records: check the receipt, or enroll without it", id)
	}
	if err != nil {
		return nil, fmt.Errorf("qualifying sale %s: %w", id, err)
	}
	if err := checkQualifying(s, p, now); err != nil {
		return nil, err
	}
	returned, err := t.Store.Returned(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("returns of qualifying sale %s: %w", id, err)
	}
	if len(returned) > 0 {
		return nil, Errorf(EINVALID, "goods of sale %s were returned, so it no longer qualifies: enroll without it", id)
	}
	// The journal keeps each line's points eligibility and multiplier as
	// they were at the sale, so the credit is what a member would have
	// earned then, whatever the catalog says today.
	res := p.Earn(EarnInput{Lines: earnLines(s.Lines), Tier: TierRegular, At: s.WallTime})
	if res.Points <= 0 {
		return nil, nil
	}
	eid, err := t.NewID()
	if err != nil {
		return nil, fmt.Errorf("new points entry id: %w", err)
	}
	return []PointsEntry{{ID: eid, Kind: PointsEarn, Points: res.Points, SaleID: s.ID, At: now,
		AvailableAt: p.PendingUntil(s.WallTime), ExpiresAt: p.ExpiresAt(s.WallTime)}}, nil
}

// checkQualifying applies the policy's rule for a purchase that qualifies
// an enrollment: anonymous, recent enough and large enough.
func checkQualifying(s *Sale, p *Policy, now time.Time) error {
	within := time.Duration(p.EnrollWithinMinutes) * time.Minute
	switch {
	case p.EnrollQualifyingFen <= 0 || p.EnrollWithinMinutes <= 0:
		return Errorf(EINVALID, "the chain's policy credits no purchase at enrollment: enroll without the receipt")
	case s.MemberCard != "":
		return Errorf(EINVALID, "sale %s was made with member card %s and its points went there: enroll without it", s.ID, MaskCard(s.MemberCard))
	case now.Sub(s.WallTime) > within:
		return Errorf(EINVALID, "sale %s was more than %d minutes ago, too late to credit: enroll without it", s.ID, p.EnrollWithinMinutes)
	case s.TotalFen < p.EnrollQualifyingFen:
		return Errorf(EINVALID, "sale %s totals %s yuan, less than the %s yuan that qualify: enroll without it", s.ID, yuan(s.TotalFen), yuan(p.EnrollQualifyingFen))
	}
	return nil
}

// yuan renders fen as yuan with two decimals, in integers.
func yuan(fen int64) string {
	sign := ""
	if fen < 0 {
		sign, fen = "-", -fen
	}
	return fmt.Sprintf("%s%d.%02d", sign, fen/100, fen%100)
}

// cleanPersonal normalises and checks pd (syncproto.CleanPersonal); its
// EINVALID messages tell the cashier what to fix and never quote the
// values.
func cleanPersonal(pd PersonalData, collectID bool) (PersonalData, error) {
	pd, err := syncproto.CleanPersonal(pd, collectID)
	if err != nil {
		return pd, Errorf(EINVALID, "%s", err.Error())
	}
	return pd, nil
}

// MaskName returns name as stores may show it (syncproto.MaskName).
func MaskName(name string) string { return syncproto.MaskName(name) }
