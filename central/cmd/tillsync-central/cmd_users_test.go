package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	centralhttp "github.com/tillsync/tillsync/central/http"
)

func TestCommand_UsersAdd(t *testing.T) {
	t.Chdir(t.TempDir()) // no ./central.yaml
	path := filepath.Join(t.TempDir(), "users")
	const password = "a long enough password"
	add := func(stdin, user string) (string, string, error) {
		return execute(t, context.Background(), stdin, "users", "add", "--user", user, "--users-file", path)
	}
	t.Run("OK", func(t *testing.T) {
		for _, u := range []string{"alice", "bob@hq"} {
			out, errOut, err := add(password+"\n", u)
			if err != nil || !strings.Contains(out, "user "+u+" added") || strings.Contains(out+errOut, password) {
				t.Fatalf("users add %s: err %v, out %q, stderr %q", u, err, out, errOut)
			}
		}
		fi, err := os.Stat(path)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("users file: %v, mode %v; want 0600", err, fi.Mode())
		}
		users, err := centralhttp.LoadUsers(path)
		if err != nil {
			t.Fatalf("LoadUsers: %v", err)
		}
		if users.Len() != 2 || !users.Authenticate("alice", password) || users.Authenticate("alice", "a long enough passwore") {
			t.Fatalf("users file does not authenticate alice with the password from stdin")
		}
		b, err := os.ReadFile(path)
		if err != nil || !strings.HasPrefix(string(b), "alice:$pbkdf2-sha256$600000$") {
			t.Fatalf("users file %q, %v", b, err)
		}
	})
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read users file: %v", err)
	}
	for name, tc := range map[string]struct{ stdin, user, want string }{
		"ErrDuplicate":     {password, "alice", `user "alice" is already in`},
		"ErrShortPassword": {"short\n", "carol", "at least 10 characters"},
		"ErrNoPassword":    {"", "carol", "at least 10 characters"},
		"ErrBadName":       {password, "car ol", "--user"},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := add(tc.stdin, tc.user)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one containing %q", err, tc.want)
			}
			if after, err := os.ReadFile(path); err != nil || string(after) != string(before) {
				t.Fatalf("a refused add changed the users file (%v)", err)
			}
		})
	}
	t.Run("ErrNoUsersFile", func(t *testing.T) {
		_, _, err := execute(t, context.Background(), password, "users", "add", "--user", "dave")
		if err == nil || !strings.Contains(err.Error(), "dashboard.users_file") {
			t.Fatalf("err = %v, want one naming dashboard.users_file", err)
		}
	})
}

func TestConfig_ValidateDashboard(t *testing.T) {
	line, err := centralhttp.HashPassword(rand.Reader, "hq", "pw", centralhttp.MinIterations)
	if err != nil {
		t.Fatalf("HashPassword: %v", err)
	}
	secret := base64.StdEncoding.EncodeToString([]byte("sixteen-byte-key"))
	c := DefaultConfig()
	c.Dashboard = DashboardConfig{UsersFile: writeFile(t, "users", line+"\nbroken\n"), SessionKey: secret, SessionTTL: time.Second}
	got := strings.Join(c.Validate(), "\n")
	for _, want := range []string{"dashboard.users_file", "line 2:", `dashboard.session_key: "(hidden)" has 16 bytes`, "dashboard.session_ttl"} {
		if !strings.Contains(got, want) {
			t.Errorf("problems lack %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, secret) {
		t.Errorf("problems show the session key:\n%s", got)
	}
	c.Dashboard = DashboardConfig{UsersFile: writeFile(t, "users", line+"\n"), SessionKey: base64.StdEncoding.EncodeToString(make([]byte, 32)),
		SessionTTL: time.Hour}
	if p := c.Validate(); len(p) != 0 {
		t.Fatalf("good dashboard config: %v", p)
	}
}

func TestMain_Dashboard(t *testing.T) {
	status := func(t *testing.T, m *Main, path string) int {
		t.Helper()
		resp, err := http.Get("http://" + m.Server.Addr() + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		if err := resp.Body.Close(); err != nil {
			t.Errorf("close body: %v", err)
		}
		return resp.StatusCode
	}
	t.Run("Off", func(t *testing.T) {
		m := runMain(t, testConfig(t))
		if got := status(t, m, "/dashboard/login"); got != http.StatusNotFound {
			t.Fatalf("dashboard login without a users file = %d, want 404", got)
		}
		if got := status(t, m, "/v1/debtors"); got != http.StatusOK {
			t.Fatalf("debtors with the dashboard off = %d, want 200", got)
		}
	})
	t.Run("On", func(t *testing.T) {
		line, err := centralhttp.HashPassword(rand.Reader, "hq", "pw", centralhttp.MinIterations)
		if err != nil {
			t.Fatalf("HashPassword: %v", err)
		}
		c := testConfig(t)
		c.Dashboard.UsersFile = writeFile(t, "users", line+"\n")
		t.Setenv("TILLSYNC_DASHBOARD_SESSION_KEY", base64.StdEncoding.EncodeToString(make([]byte, 32)))
		loaded, err := loadConfig("", nil)
		if err != nil {
			t.Fatalf("loadConfig: %v", err)
		}
		if loaded.Dashboard.SessionKey == "" {
			t.Fatal("TILLSYNC_DASHBOARD_SESSION_KEY did not set dashboard.session_key")
		}
		c.Dashboard.SessionKey = loaded.Dashboard.SessionKey
		m := runMain(t, c)
		if got := status(t, m, "/dashboard/login"); got != http.StatusOK {
			t.Fatalf("dashboard login = %d, want 200", got)
		}
		if got := status(t, m, "/v1/debtors"); got != http.StatusUnauthorized {
			t.Fatalf("debtors without a session = %d, want 401", got)
		}
	})
}

// TestAddUser_Role: a granted role lands on the user's line and the
// dashboard's parser reads it; an unknown role writes nothing.
func TestAddUser_Role(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users")
	if err := addUser(rand.Reader, path, "officer", "correct horse battery", centralhttp.RoleMemberData); err != nil {
		t.Fatal(err)
	}
	if err := addUser(rand.Reader, path, "clerk", "correct horse battery", "root"); err == nil {
		t.Errorf("unknown role accepted")
	}
	users, err := centralhttp.LoadUsers(path)
	if err != nil {
		t.Fatal(err)
	}
	if !users.HasRole("officer", centralhttp.RoleMemberData) || users.Has("clerk") {
		t.Errorf("users file after adding: officer role %v, clerk present %v", users.HasRole("officer", centralhttp.RoleMemberData), users.Has("clerk"))
	}
}
