package central

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// Personal fields at rest (DESIGN §3, privacy): central keeps a member's
// personal data sealed with AES-256-GCM under a key of its keyring. A
// sealed value names its key, so the keyring may hold old keys for
// reading while new values are sealed with the active one; rotation is:
// put a new key first, run `members rekey` (every value is sealed again
// with the active key), then drop the old key. The additional data binds a
// value to its member and field, so a ciphertext copied into another row
// or column does not open.
//
// Nonces are random (96 bits): NIST SP 800-38D §8.3 bounds one key to 2^32
// random-nonce seals. Two values per member stays far below that for any
// chain; rotate long before.

// sealedFormat is the first byte of every sealed value.
const sealedFormat = 1

// KeyIDPattern is what a key id may look like.
var KeyIDPattern = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,32}$`)

// Keyring holds central's member-data keys. The zero value holds none. It
// is safe for concurrent use (cipher.AEAD from crypto/aes is).
type Keyring struct {
	active string
	keys   map[string]cipher.AEAD
	rand   io.Reader
}

// ParseKeyring parses "id:base64key[,id:base64key...]" (standard base64 of
// 32 random bytes each); the first key is the active one. An empty string
// is an empty keyring (Sealing fails with EUNAVAILABLE). Errors are
// EINVALID and never quote a key.
func ParseKeyring(s string) (*Keyring, error) {
	k := &Keyring{keys: map[string]cipher.AEAD{}, rand: rand.Reader}
	if strings.TrimSpace(s) == "" {
		return k, nil
	}
	for i, part := range strings.Split(s, ",") {
		id, b64, ok := strings.Cut(strings.TrimSpace(part), ":")
		if !ok || !KeyIDPattern.MatchString(id) {
			return nil, Errorf(EINVALID, "member key %d must be written id:base64 with an id of 1 to 32 letters, digits, '_', '.' or '-'", i+1)
		}
		raw, err := base64.StdEncoding.DecodeString(b64)
		if err != nil || len(raw) != 32 {
			return nil, Errorf(EINVALID, "member key %q must be 32 bytes in standard base64 (make one with `tillsync-central members keygen`)", id)
		}
		if _, dup := k.keys[id]; dup {
			return nil, Errorf(EINVALID, "member key %q is listed twice", id)
		}
		block, err := aes.NewCipher(raw)
		if err != nil {
			return nil, fmt.Errorf("member key %q: %w", id, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("member key %q: %w", id, err)
		}
		k.keys[id] = aead
		if i == 0 {
			k.active = id
		}
	}
	return k, nil
}

// NewMemberKey returns a fresh key in ParseKeyring's form, id:base64.
func NewMemberKey(id string) (string, error) {
	if !KeyIDPattern.MatchString(id) {
		return "", Errorf(EINVALID, "key id must be 1 to 32 letters, digits, '_', '.' or '-'")
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("new member key: %w", err)
	}
	return id + ":" + base64.StdEncoding.EncodeToString(raw), nil
}

// Active returns the id of the key new values are sealed with, "" when the
// keyring is empty.
func (k *Keyring) Active() string {
	if k == nil {
		return ""
	}
	return k.active
}

// Seal encrypts plain as field of member with the active key. It fails
// with EUNAVAILABLE when the keyring is empty.
func (k *Keyring) Seal(memberID, field string, plain []byte) ([]byte, error) {
	if k.Active() == "" {
		return nil, Errorf(EUNAVAILABLE, "no member data key is configured (members.keys): personal data cannot be stored")
	}
	aead := k.keys[k.active]
	out := make([]byte, 0, 2+len(k.active)+aead.NonceSize()+len(plain)+aead.Overhead())
	out = append(out, sealedFormat, byte(len(k.active)))
	out = append(out, k.active...)
	nonce := make([]byte, aead.NonceSize())
	if _, err := io.ReadFull(k.rand, nonce); err != nil {
		return nil, fmt.Errorf("seal %s: nonce: %w", field, err)
	}
	out = append(out, nonce...)
	return aead.Seal(out, nonce, plain, sealAD(memberID, field)), nil
}

// Open decrypts a value Seal made for field of member. It fails with
// EUNAVAILABLE when the value's key is not in the keyring and EINVALID
// when the value is damaged or belongs to another member or field.
func (k *Keyring) Open(memberID, field string, sealed []byte) ([]byte, error) {
	id, rest, err := SealedKeyID(sealed)
	if err != nil {
		return nil, err
	}
	var aead cipher.AEAD
	if k != nil {
		aead = k.keys[id]
	}
	if aead == nil {
		return nil, Errorf(EUNAVAILABLE, "member data key %q is not configured: add it to members.keys to read this value", id)
	}
	if len(rest) < aead.NonceSize()+aead.Overhead() {
		return nil, Errorf(EINVALID, "sealed %s is too short", field)
	}
	plain, err := aead.Open(nil, rest[:aead.NonceSize()], rest[aead.NonceSize():], sealAD(memberID, field))
	if err != nil {
		return nil, Errorf(EINVALID, "sealed %s does not open with key %q: damaged, or not this member's", field, id)
	}
	return plain, nil
}

// SealedKeyID returns the id of the key a sealed value was made with, and
// the rest of the value.
func SealedKeyID(sealed []byte) (string, []byte, error) {
	if len(sealed) < 2 || sealed[0] != sealedFormat || len(sealed) < 2+int(sealed[1]) {
		return "", nil, Errorf(EINVALID, "sealed value has an unknown format")
	}
	n := int(sealed[1])
	return string(sealed[2 : 2+n]), sealed[2+n:], nil
}

func sealAD(memberID, field string) []byte {
	return []byte("tillsync/member/v1\x00" + memberID + "\x00" + field)
}
