package http

import (
	"bufio"
	"crypto/pbkdf2"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
)

// Password hashing parameters. PBKDF2-HMAC-SHA256 is what the standard
// library offers; OWASP's password storage cheat sheet (2023) asks for
// 600,000 iterations of it, and a file with fewer than 100,000 is refused.
const (
	// DefaultIterations is what HashPassword callers should use.
	DefaultIterations = 600_000
	// MinIterations is the fewest a users file line may carry.
	MinIterations = 100_000
	// maxIterations bounds the work one login can cost.
	maxIterations = 10_000_000
	saltSize      = 16
	hashSize      = sha256.Size
	hashScheme    = "pbkdf2-sha256"
	maxUserName   = 64
)

// Users is the dashboard's users file parsed: user name → password hash.
// It is read-only after parsing and safe for concurrent use.
type Users struct {
	byName map[string]passwordHash
	// dummy is verified for unknown names so that a login attempt costs
	// the same whether the name exists or not (no user enumeration by
	// timing).
	dummy passwordHash
}

// passwordHash is one user's PBKDF2 parameters and derived key, and the
// roles the users file grants them.
type passwordHash struct {
	iterations int
	salt, hash []byte
	roles      []string
}

// RoleMemberData lets a dashboard user open a member's personal data
// (name, phone, income...) on the member lookup page; every other user
// sees members masked. Each such view is logged (who, which member),
// without the data.
const RoleMemberData = "member_data"

// Roles lists the roles a users file may grant.
func Roles() []string { return []string{RoleMemberData} }

// HasRole reports whether user name holds role.
func (u *Users) HasRole(name, role string) bool {
	h, ok := u.byName[name]
	if !ok {
		return false
	}
	for _, r := range h.roles {
		if r == role {
			return true
		}
	}
	return false
}

// ValidUserName reports why name cannot be a dashboard user, or nil. A
// name is 1 to 64 characters of letters, digits, '.', '_', '-' and '@':
// it ends at ':' in the users file and sits in a session cookie.
func ValidUserName(name string) error {
	if name == "" || len(name) > maxUserName {
		return fmt.Errorf("user name must be 1 to %d characters", maxUserName)
	}
	for _, c := range name {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("._-@", c)
		if !ok {
			return fmt.Errorf("user name %q: only letters, digits, '.', '_', '-' and '@' are allowed", name)
		}
	}
	return nil
}

// HashPassword returns the users file line for name and password:
// "name:$pbkdf2-sha256$<iterations>$<salt>$<hash>", salt and hash in
// unpadded standard base64, with a 16-byte salt read from rand. It fails on
// a bad name or an iteration count below MinIterations.
func HashPassword(rand io.Reader, name, password string, iterations int) (string, error) {
	if err := ValidUserName(name); err != nil {
		return "", err
	}
	if iterations < MinIterations || iterations > maxIterations {
		return "", fmt.Errorf("iterations %d: use %d to %d", iterations, MinIterations, maxIterations)
	}
	salt := make([]byte, saltSize)
	if _, err := io.ReadFull(rand, salt); err != nil {
		return "", fmt.Errorf("generate salt: %w", err)
	}
	hash, err := pbkdf2.Key(sha256.New, password, salt, iterations, hashSize)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	enc := base64.RawStdEncoding
	return fmt.Sprintf("%s:$%s$%d$%s$%s", name, hashScheme, iterations, enc.EncodeToString(salt), enc.EncodeToString(hash)), nil
}

// LoadUsers reads and parses the users file at path (see ParseUsers).
func LoadUsers(path string) (*Users, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("users file: %w", err)
	}
	u, err := ParseUsers(f)
	if cerr := f.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("users file %s: %w", path, cerr)
	}
	if err != nil {
		return nil, fmt.Errorf("users file %s: %w", path, err)
	}
	return u, nil
}

// ParseUsers parses a users file: one HashPassword line per user; blank
// lines and lines starting with '#' are ignored. Every bad line is
// reported by number in the error (never with its hash); a file without
// any user is an error, because a dashboard nobody can log in to is a
// mistake.
func ParseUsers(r io.Reader) (*Users, error) {
	u := &Users{byName: map[string]passwordHash{}}
	var errs []error
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, h, err := parseUserLine(line)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("line %d: %w", n, err))
		case u.byName[name].hash != nil:
			errs = append(errs, fmt.Errorf("line %d: user %q appears twice", n, name))
		default:
			u.byName[name] = h
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if len(u.byName) == 0 {
		return nil, errors.New("no users (add one with tillsync-central users add --user NAME)")
	}
	u.dummy = passwordHash{iterations: DefaultIterations, salt: make([]byte, saltSize), hash: make([]byte, hashSize)}
	for _, h := range u.byName { // cost an unknown name like a real one
		u.dummy.iterations = h.iterations
		break
	}
	return u, nil
}

// parseUserLine splits one users file line into the name and its hash.
func parseUserLine(line string) (string, passwordHash, error) {
	name, rest, ok := strings.Cut(line, ":")
	if !ok {
		return "", passwordHash{}, errors.New(`want "name:$pbkdf2-sha256$iterations$salt$hash[:role,...]"`)
	}
	// Unpadded base64 has no ':', so a third field is the roles.
	rest, roleList, hasRoles := strings.Cut(rest, ":")
	var roles []string
	if hasRoles {
		for _, r := range strings.Split(roleList, ",") {
			if !slices.Contains(Roles(), r) {
				return "", passwordHash{}, fmt.Errorf("user %q: unknown role %q (known: %s)", name, r, strings.Join(Roles(), ", "))
			}
			roles = append(roles, r)
		}
	}
	if err := ValidUserName(name); err != nil {
		return "", passwordHash{}, err
	}
	parts := strings.Split(rest, "$")
	if len(parts) != 5 || parts[0] != "" || parts[1] != hashScheme {
		return "", passwordHash{}, fmt.Errorf("user %q: the hash must be $%s$iterations$salt$hash", name, hashScheme)
	}
	iter, err := strconv.Atoi(parts[2])
	if err != nil || iter < MinIterations || iter > maxIterations {
		return "", passwordHash{}, fmt.Errorf("user %q: iterations %q: use %d to %d", name, parts[2], MinIterations, maxIterations)
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[3])
	if err != nil || len(salt) < 8 {
		return "", passwordHash{}, fmt.Errorf("user %q: salt is not base64 of at least 8 bytes", name)
	}
	hash, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil || len(hash) != hashSize {
		return "", passwordHash{}, fmt.Errorf("user %q: hash is not base64 of %d bytes", name, hashSize)
	}
	return name, passwordHash{iterations: iter, salt: salt, hash: hash, roles: roles}, nil
}

// Len returns the number of users.
func (u *Users) Len() int { return len(u.byName) }

// Has reports whether name is a user.
func (u *Users) Has(name string) bool { _, ok := u.byName[name]; return ok }

// Authenticate reports whether password is name's. It takes as long for
// an unknown name as for a known one and compares in constant time.
func (u *Users) Authenticate(name, password string) bool {
	h, known := u.byName[name]
	if !known {
		h = u.dummy
	}
	got, err := pbkdf2.Key(sha256.New, password, h.salt, h.iterations, len(h.hash))
	if err != nil { // only for parameters FIPS mode refuses; never a match
		return false
	}
	return subtle.ConstantTimeCompare(got, h.hash) == 1 && known
}
