package central

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tillsync/tillsync/syncproto"
	"golang.org/x/crypto/curve25519"
	"golang.org/x/crypto/nacl/box"
	"google.golang.org/protobuf/proto"
)

// A till enrolls a member with the personal data sealed to central's
// public key (NaCl anonymous box, agent.Till.Enroll); the store never
// holds it in clear. Central keeps the enrollment event as it arrived,
// and AbsorbEnrollments moves the sealed data into the member master:
// opened with central's private key, checked, sealed again under the
// member keys (Keyring) — so key rotation and erasure reach it — and
// removed from the stored event. The member's display data (masked name,
// phone digits) stays in the event, as stores hold it anyway.

// EnrollmentKey is central's key pair for enrollment data.
type EnrollmentKey struct {
	Public, Private *[32]byte
}

// NewEnrollmentKey makes a key pair.
func NewEnrollmentKey() (EnrollmentKey, error) {
	pub, priv, err := box.GenerateKey(rand.Reader)
	if err != nil {
		return EnrollmentKey{}, fmt.Errorf("new enrollment key: %w", err)
	}
	return EnrollmentKey{Public: pub, Private: priv}, nil
}

// ParseEnrollmentKey reads a private key file: standard base64 of the
// 32-byte private key; the public key is derived from it. Errors are
// EINVALID and never quote the key.
func ParseEnrollmentKey(data []byte) (EnrollmentKey, error) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(data)))
	if err != nil || len(raw) != 32 {
		return EnrollmentKey{}, Errorf(EINVALID, "the enrollment private key must be 32 bytes in standard base64")
	}
	priv := new([32]byte)
	copy(priv[:], raw)
	pubRaw, err := curve25519.X25519(priv[:], curve25519.Basepoint)
	if err != nil {
		return EnrollmentKey{}, Errorf(EINVALID, "the enrollment private key is not a usable X25519 key")
	}
	pub := new([32]byte)
	copy(pub[:], pubRaw)
	return EnrollmentKey{Public: pub, Private: priv}, nil
}

// PrivateText returns the private key in ParseEnrollmentKey's form.
func (k EnrollmentKey) PrivateText() string { return base64.StdEncoding.EncodeToString(k.Private[:]) }

// PublicText returns the public key as `keys publish` and the stores take it.
func (k EnrollmentKey) PublicText() string { return base64.StdEncoding.EncodeToString(k.Public[:]) }

// SealedEnrollment is a stored enrollment event that still carries its
// sealed personal data.
type SealedEnrollment struct {
	AgentID  string
	Seq      uint64
	At       time.Time // the agent's wall time of the enrollment
	Enrolled *syncproto.MemberEnrolled
}

// ErrNotSealedForKey is returned by OpenEnrollment when the data was
// sealed to another key (say before a key change): it stays where it is.
var ErrNotSealedForKey = errors.New("not sealed to this key")

// OpenEnrollment opens e's personal data with k and returns the member
// record for the master, its fields sealed with keys. Data that does not
// open fails with ErrNotSealedForKey; opened data that fails
// syncproto.CleanPersonal fails with an EINVALID *Error naming the field.
func (k EnrollmentKey) OpenEnrollment(e SealedEnrollment, keys *Keyring) (Member, error) {
	me := e.Enrolled
	plain, ok := box.OpenAnonymous(nil, me.GetSealedPersonal(), k.Public, k.Private)
	if !ok {
		return Member{}, ErrNotSealedForKey
	}
	var pd syncproto.PersonalData
	if err := json.Unmarshal(plain, &pd); err != nil {
		return Member{}, Errorf(EINVALID, "enrollment %s/%d: personal data does not decode", e.AgentID, e.Seq)
	}
	// The till decided what to collect (an ID number only where the chain
	// turned it on), so an ID number that arrived is kept, sealed.
	pd, err := syncproto.CleanPersonal(pd, true)
	if err != nil {
		return Member{}, Errorf(EINVALID, "enrollment %s/%d: %v", e.AgentID, e.Seq, err)
	}
	m := Member{ID: me.GetMemberId(), Kind: MemberCustomer, StoreID: me.GetStoreId(), JoinedAt: e.At.UTC(),
		MarketingOptOut: me.GetMarketingOptOut()}
	if !memberIDPattern.MatchString(m.ID) {
		return Member{}, Errorf(EINVALID, "enrollment %s/%d: member id is not a valid id", e.AgentID, e.Seq)
	}
	if err := m.SealPersonal(keys, pd); err != nil {
		return Member{}, err
	}
	return m, nil
}

// AbsorbResult is what one AbsorbEnrollments run did.
type AbsorbResult struct {
	Absorbed int // members filled from their enrollment
	Dropped  int // sealed data removed without filling (member erased, or already filled)
	Unopened int // left in place: sealed to another key, or bad data
}

// StripSealed returns payload (a stored MemberEnrolled event) without its
// sealed personal data.
func StripSealed(payload []byte) ([]byte, error) {
	var ev syncproto.Event
	if err := proto.Unmarshal(payload, &ev); err != nil {
		return nil, fmt.Errorf("strip enrollment: %w", err)
	}
	if me := ev.GetMemberEnrolled(); me != nil {
		me.SealedPersonal = nil
	}
	out, err := proto.Marshal(&ev)
	if err != nil {
		return nil, fmt.Errorf("strip enrollment %s: %w", ev.GetEventId(), err)
	}
	return out, nil
}

// SealedEnrollmentOf decodes a stored event payload; ok is false for any
// event that is not an enrollment still carrying sealed data.
func SealedEnrollmentOf(agentID string, seq uint64, payload []byte) (SealedEnrollment, bool) {
	var ev syncproto.Event
	if err := proto.Unmarshal(payload, &ev); err != nil {
		return SealedEnrollment{}, false
	}
	me := ev.GetMemberEnrolled()
	if me == nil || len(me.GetSealedPersonal()) == 0 {
		return SealedEnrollment{}, false
	}
	return SealedEnrollment{AgentID: agentID, Seq: seq, At: fromMilli(ev.GetWallTimeMs()), Enrolled: me}, true
}
