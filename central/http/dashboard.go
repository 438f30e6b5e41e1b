package http

import (
	"crypto/rand"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"time"

	"github.com/tillsync/tillsync/central"
)

// DefaultSessionTTL is how long a dashboard login lasts when
// DashboardOptions.SessionTTL is zero: a working day.
const DefaultSessionTTL = 8 * time.Hour

// DashboardOptions turn the HQ dashboard on (Server.EnableDashboard).
type DashboardOptions struct {
	// Users may log in; required.
	Users *Users
	// SessionKey signs session and CSRF tokens; at least MinSessionKey
	// bytes. Every instance behind one address needs the same key. Empty:
	// a random key for this process, so that sessions end at a restart
	// and do not span instances.
	SessionKey []byte
	// SessionTTL is how long a login lasts; 0 means DefaultSessionTTL.
	SessionTTL time.Duration
	// Now is the clock for session expiry and the pages; nil: time.Now.
	Now func() time.Time
	// MemberKeys open members' personal data for users holding
	// RoleMemberData (central.MemberStore); nil: nobody can.
	MemberKeys *central.Keyring
}

// dashboard is the state of an enabled dashboard. Nothing in it decides
// correctness across instances: tokens are stateless, and the login
// limiter only slows guessing (DESIGN §7).
type dashboard struct {
	users   *Users
	sign    *signer
	now     func() time.Time
	limiter loginLimiter
	pages   []page
	tmpl    map[string]*template.Template // by page name, plus "login"
	css     []byte
	origin  *http.CrossOriginProtection
	logger  *slog.Logger
	// memberKeys open personal data for RoleMemberData users.
	memberKeys *central.Keyring
}

// EnableDashboard turns the HQ dashboard on: /dashboard/ pages behind a
// login, and the member JSON routes (/v1/cards/{card}/balance,
// /v1/debtors, /v1/overdrafts) then require a dashboard session. Without
// it the dashboard routes answer 404 and the member routes stay open
// (an API for localhost). Call it before serving; it is not safe to call
// while requests are served.
func (s *Server) EnableDashboard(o DashboardOptions) error {
	if o.Users == nil || o.Users.Len() == 0 {
		return errors.New("dashboard: no users")
	}
	if o.SessionTTL < 0 {
		return fmt.Errorf("dashboard: session TTL %v is negative", o.SessionTTL)
	}
	if o.SessionTTL == 0 {
		o.SessionTTL = DefaultSessionTTL
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	key := o.SessionKey
	switch {
	case len(key) == 0:
		key = make([]byte, MinSessionKey)
		if _, err := rand.Read(key); err != nil {
			return fmt.Errorf("dashboard: random session key: %w", err)
		}
		s.logger.Warn("dashboard session key is random for this process: sessions end at a restart " +
			"and do not span instances; set dashboard.session_key")
	case len(key) < MinSessionKey:
		return fmt.Errorf("dashboard: session key has %d bytes, want at least %d", len(key), MinSessionKey)
	}
	d := &dashboard{
		users: o.Users, sign: &signer{key: key, ttl: o.SessionTTL, now: o.Now}, now: o.Now, memberKeys: o.MemberKeys,
		pages: dashboardPages(), origin: http.NewCrossOriginProtection(), logger: s.logger.With("component", "dashboard"),
	}
	if err := d.parseTemplates(); err != nil {
		return err
	}
	s.dash = d
	s.routeDashboard()
	return nil
}

// routeDashboard registers the dashboard's routes; every page but the
// login needs a session.
func (s *Server) routeDashboard() {
	d := s.dash
	s.mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/dashboard/", http.StatusSeeOther)
	})
	s.mux.HandleFunc("GET /dashboard/style.css", d.handleCSS)
	s.mux.HandleFunc("GET /dashboard/login", d.handleLoginForm)
	s.mux.Handle("POST /dashboard/login", d.origin.Handler(http.HandlerFunc(d.handleLogin)))
	s.mux.Handle("POST /dashboard/logout", d.origin.Handler(http.HandlerFunc(d.handleLogout)))
	for _, p := range d.pages {
		s.mux.HandleFunc("GET "+p.path, s.pageHandler(p))
		if p.form {
			s.mux.Handle("POST "+p.path, d.origin.Handler(s.pageHandler(p)))
		}
	}
}

// codeUnauthorized is the error code of a request that needs a login.
const codeUnauthorized = "unauthorized"

// requireSession lets a request through to next when the dashboard is off
// or the request carries a valid session; otherwise it answers 401.
func (s *Server) requireSession(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.dash != nil {
			if _, ok := s.dash.user(r); !ok {
				s.writeJSON(w, http.StatusUnauthorized, errorBody{Error: errorDetail{Code: codeUnauthorized,
					Message: "member data and reports need a dashboard login: log in at /dashboard/login"}})
				return
			}
		}
		next(w, r)
	}
}

func (d *dashboard) handleCSS(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "max-age=3600")
	if _, err := w.Write(d.css); err != nil {
		d.logger.Debug("write css", "err", err)
	}
}

func (d *dashboard) handleLoginForm(w http.ResponseWriter, r *http.Request) {
	if _, ok := d.user(r); ok {
		http.Redirect(w, r, "/dashboard/", http.StatusSeeOther)
		return
	}
	d.renderLogin(w, r, http.StatusOK, "")
}

// handleLogin checks the form's CSRF token, the rate limit and the
// password, then sets the session cookie and a fresh CSRF token.
func (d *dashboard) handleLogin(w http.ResponseWriter, r *http.Request) {
	if !d.checkCSRF(r) {
		d.renderLogin(w, r, http.StatusForbidden, "The form expired. Please log in again.")
		return
	}
	name, password := r.PostFormValue("user"), r.PostFormValue("password")
	key, logName := unknownUserKey, "(unknown)" // a mistyped password in the name field stays out of the log
	if d.users.Has(name) {
		key, logName = name, name
	}
	now := d.now()
	if ok, until := d.limiter.allow(key, now); !ok {
		d.logger.Warn("dashboard login refused: too many failures", "user", logName)
		d.renderLogin(w, r, http.StatusTooManyRequests, fmt.Sprintf(
			"Too many failed logins for this user. Try again after %s.", until.UTC().Format("15:04 UTC")))
		return
	}
	ok := d.users.Authenticate(name, password)
	d.limiter.record(key, ok, now)
	if !ok {
		d.logger.Warn("dashboard login failed", "user", logName)
		d.renderLogin(w, r, http.StatusUnauthorized, "Wrong user name or password.")
		return
	}
	d.logger.Info("dashboard login", "user", name)
	setCookie(w, r, sessionCookie, d.sign.session(name), int(d.sign.ttl/time.Second))
	if tok, err := d.sign.csrf(); err == nil { // a fresh token per login; if none can be made, the old one stays
		setCookie(w, r, csrfCookie, tok, 0)
	}
	http.Redirect(w, r, "/dashboard/", http.StatusSeeOther)
}

// handleLogout deletes the session cookie. The token itself stays valid
// until it expires (it is stateless); the browser no longer has it.
func (d *dashboard) handleLogout(w http.ResponseWriter, r *http.Request) {
	if !d.checkCSRF(r) {
		http.Error(w, "the form expired: reload the page and log out again", http.StatusForbidden)
		return
	}
	if u, ok := d.user(r); ok {
		d.logger.Info("dashboard logout", "user", u)
	}
	setCookie(w, r, sessionCookie, "", -1)
	http.Redirect(w, r, "/dashboard/login", http.StatusSeeOther)
}
