package http

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Cookie names. Both cookies are HttpOnly and SameSite=Strict, and Secure
// when the request reached central (or the TLS proxy in front of it) over
// TLS.
const (
	sessionCookie = "tillsync_session"
	csrfCookie    = "tillsync_csrf"
	csrfField     = "csrf"
)

// MinSessionKey is the shortest session key accepted, in bytes: HMAC-SHA256
// gains nothing from a longer one and loses strength with a shorter one
// (RFC 2104 §3).
const MinSessionKey = 32

// signer issues and checks the dashboard's tokens: sessions and CSRF
// tokens, each an HMAC-SHA256 under the session key with its own purpose
// prefix, so that one kind can never pass for the other. A token is
// stateless: any central instance with the same key accepts it (DESIGN §7).
type signer struct {
	key []byte
	ttl time.Duration
	now func() time.Time
}

// mac returns the unpadded base64url HMAC of purpose and msg.
func (s *signer) mac(purpose, msg string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(purpose + "\x00" + msg)) // hash.Hash.Write never fails
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// verify reports whether sig is the mac of purpose and msg, in constant
// time.
func (s *signer) verify(purpose, msg, sig string) bool {
	return hmac.Equal([]byte(sig), []byte(s.mac(purpose, msg)))
}

// session returns a token for user expiring ttl from now:
// "user.expiry-unix-seconds.mac". A user name may hold '.', so a token is
// split at its last two dots; the mac covers "user.expiry".
func (s *signer) session(user string) string {
	msg := user + "." + strconv.FormatInt(s.now().Add(s.ttl).Unix(), 10)
	return msg + "." + s.mac("session", msg)
}

// sessionUser returns the user of a valid, unexpired token.
func (s *signer) sessionUser(token string) (string, bool) {
	i := strings.LastIndexByte(token, '.')
	if i < 0 {
		return "", false
	}
	msg, sig := token[:i], token[i+1:]
	if !s.verify("session", msg, sig) {
		return "", false
	}
	j := strings.LastIndexByte(msg, '.')
	if j < 0 {
		return "", false
	}
	exp, err := strconv.ParseInt(msg[j+1:], 10, 64)
	if err != nil || !s.now().Before(time.Unix(exp, 0)) {
		return "", false
	}
	return msg[:j], true
}

// csrf returns a new CSRF token: a random nonce and its mac. It is the
// "signed double-submit cookie" of the OWASP CSRF cheat sheet: the cookie
// and the form field must carry the same token, and a token planted by a
// sibling domain fails its signature.
func (s *signer) csrf() (string, error) {
	nonce := make([]byte, 16)
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("csrf nonce: %w", err)
	}
	n := base64.RawURLEncoding.EncodeToString(nonce)
	return n + "." + s.mac("csrf", n), nil
}

// validCSRF reports whether token is one csrf issued.
func (s *signer) validCSRF(token string) bool {
	n, sig, ok := strings.Cut(token, ".")
	return ok && s.verify("csrf", n, sig)
}

// overTLS reports whether the client's connection was TLS: to central
// itself, or to a proxy that says so. Trusting X-Forwarded-Proto is safe
// here because it only ever adds the Secure attribute.
func overTLS(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// setCookie sets an HttpOnly, SameSite=Strict cookie for the whole site;
// maxAge < 0 deletes it, 0 makes it last for the browser session.
func setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: overTLS(r), SameSite: http.SameSiteStrictMode,
	})
}

// user returns the logged-in user of r, if its session cookie is valid and
// names a user still in the users file.
func (d *dashboard) user(r *http.Request) (string, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return "", false
	}
	u, ok := d.sign.sessionUser(c.Value)
	if !ok || !d.users.Has(u) {
		return "", false
	}
	return u, true
}

// csrfToken returns r's valid CSRF cookie value, or sets a new one.
func (d *dashboard) csrfToken(w http.ResponseWriter, r *http.Request) (string, error) {
	if c, err := r.Cookie(csrfCookie); err == nil && d.sign.validCSRF(c.Value) {
		return c.Value, nil
	}
	tok, err := d.sign.csrf()
	if err != nil {
		return "", err
	}
	setCookie(w, r, csrfCookie, tok, 0)
	return tok, nil
}

// checkCSRF reports whether a POST carries the form field equal to its
// valid CSRF cookie. The origin check (Sec-Fetch-Site / Origin) runs
// before it, in the route's http.CrossOriginProtection.
func (d *dashboard) checkCSRF(r *http.Request) bool {
	c, err := r.Cookie(csrfCookie)
	if err != nil || !d.sign.validCSRF(c.Value) {
		return false
	}
	return hmac.Equal([]byte(r.PostFormValue(csrfField)), []byte(c.Value))
}
