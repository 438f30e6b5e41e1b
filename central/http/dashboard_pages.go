package http

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"github.com/tillsync/tillsync/central"
)

// page is one dashboard page behind the login. Adding a page is one entry
// in dashboardPages and one template file dashboard/<name>.html that
// defines "content"; the nav lists the pages in order.
type page struct {
	name  string // template file name and nav id
	path  string // route, under /dashboard/
	title string
	// form pages also answer POST (CSRF- and origin-checked): a search
	// that must not put what it searches for in the URL.
	form bool
	// load returns the template's data. A coded central error shows on
	// the page; any other error is an internal error.
	load func(s *Server, r *http.Request) (any, error)
}

// dashboardPages lists the pages in nav order.
func dashboardPages() []page {
	return []page{
		{name: "overview", path: "/dashboard/{$}", title: "Overview", load: (*Server).overview},
		{name: "stores", path: "/dashboard/stores", title: "Stores", load: (*Server).storesPage},
		{name: "customers", path: "/dashboard/customers", title: "Customers", load: (*Server).customersPage},
		{name: "members", path: "/dashboard/members", title: "Member lookup", form: true, load: (*Server).memberLookup},
	}
}

//go:embed dashboard
var dashboardFS embed.FS

// navLink is one entry of the nav.
type navLink struct {
	Name, Href, Title string
}

// view is what every dashboard template gets.
type view struct {
	Title  string
	User   string // "" on the login page
	CSRF   string
	Active string
	Nav    []navLink
	Now    time.Time
	Error  string // a message for the user, e.g. a failed login
	Data   any
}

// templateFuncs are the helpers the templates use.
var templateFuncs = template.FuncMap{
	"yuan": central.FormatFen,
	"ts": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	},
}

// parseTemplates parses the layout with each page's template, and reads
// the stylesheet.
func (d *dashboard) parseTemplates() error {
	base, err := template.New("layout.html").Funcs(templateFuncs).ParseFS(dashboardFS, "dashboard/layout.html")
	if err != nil {
		return fmt.Errorf("dashboard templates: %w", err)
	}
	d.tmpl = map[string]*template.Template{}
	names := []string{"login"}
	for _, p := range d.pages {
		names = append(names, p.name)
	}
	for _, name := range names {
		t, err := template.Must(base.Clone()).ParseFS(dashboardFS, "dashboard/"+name+".html")
		if err != nil {
			return fmt.Errorf("dashboard template %s: %w", name, err)
		}
		d.tmpl[name] = t
	}
	if d.css, err = fs.ReadFile(dashboardFS, "dashboard/style.css"); err != nil {
		return fmt.Errorf("dashboard stylesheet: %w", err)
	}
	return nil
}

// userKey carries the logged-in user's name in a page request's context.
type userKey struct{}

// pageUser returns the logged-in user of a page request.
func pageUser(r *http.Request) string {
	u, _ := r.Context().Value(userKey{}).(string)
	return u
}

// pageHandler serves p to a logged-in user and sends anyone else to the
// login page.
func (s *Server) pageHandler(p page) http.HandlerFunc {
	d := s.dash
	return func(w http.ResponseWriter, r *http.Request) {
		user, ok := d.user(r)
		if !ok {
			http.Redirect(w, r, "/dashboard/login", http.StatusSeeOther)
			return
		}
		if r.Method == http.MethodPost && !d.checkCSRF(r) {
			http.Error(w, "the form expired: reload the page and try again", http.StatusForbidden)
			return
		}
		v := view{Title: p.title, User: user, Active: p.name}
		data, err := p.load(s, r.WithContext(context.WithValue(r.Context(), userKey{}, user)))
		switch code := central.ErrorCode(err); code {
		case "":
			v.Data = data
		case central.EINTERNAL:
			s.logger.Error("dashboard page", "page", p.name, "err", err)
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		default:
			v.Data, v.Error = data, central.ErrorMessage(err)
		}
		d.render(w, r, http.StatusOK, p.name, v)
	}
}

// renderLogin renders the login form with msg (if any) at status.
func (d *dashboard) renderLogin(w http.ResponseWriter, r *http.Request, status int, msg string) {
	d.render(w, r, status, "login", view{Title: "Log in", Error: msg})
}

// render fills in the common view fields and writes template name. It
// renders into a buffer first, so that a template error is a clean 500.
func (d *dashboard) render(w http.ResponseWriter, r *http.Request, status int, name string, v view) {
	csrf, err := d.csrfToken(w, r)
	if err != nil {
		d.logger.Error("dashboard csrf token", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	v.CSRF, v.Now = csrf, d.now()
	if v.User != "" {
		for _, p := range d.pages {
			v.Nav = append(v.Nav, navLink{Name: p.name, Href: navHref(p.path), Title: p.title})
		}
	}
	var buf bytes.Buffer
	if err := d.tmpl[name].ExecuteTemplate(&buf, "layout", v); err != nil {
		d.logger.Error("dashboard render", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	// No script may run, nothing may frame the page, and forms only post
	// back here; pages with member data are never cached.
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; "+
		"form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if _, err := w.Write(buf.Bytes()); err != nil {
		d.logger.Debug("write page", "page", name, "err", err)
	}
}

// navHref turns a route pattern into its link ("/dashboard/{$}" →
// "/dashboard/").
func navHref(path string) string { return strings.TrimSuffix(path, "{$}") }
