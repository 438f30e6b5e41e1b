package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"time"
)

// hq is central as the demo runs it: the process (embedded broker,
// SQLite file) and the commands HQ staff run against its database.
type hq struct {
	bin, dir, logDir string
	env              []string // members key, chain
	proc             *proc
	http             *api
	broker           string // host:port of the embedded broker
	user, password   string // the dashboard login
}

// startHQ sets central up in dir and starts it: a member data key, a
// dashboard user, the process, then the policy, the catalog and the
// membership published and imported through central's own commands.
func startHQ(bin, dir, logDir string, policy, catalog, members string) (*hq, error) {
	h := &hq{bin: bin, dir: dir, logDir: logDir, user: "demo"}
	key, err := tool(logDir, nil, "", bin, "members", "keygen", "--id", "demo1")
	if err != nil {
		return nil, err
	}
	h.env = []string{"TILLSYNC_CHAIN_ID=demo", "TILLSYNC_MEMBERS_KEYS=" + strings.TrimSpace(key),
		"TILLSYNC_DATABASE_PATH=" + filepath.Join(dir, "central.db")}
	if h.password, err = randomPassword(); err != nil {
		return nil, err
	}
	users := filepath.Join(dir, "dashboard-users")
	if _, err := tool(logDir, nil, h.password+"\n", bin, "users", "add", "--user", h.user, "--users-file", users); err != nil {
		return nil, err
	}
	if h.broker, err = freeAddr(); err != nil {
		return nil, err
	}
	httpAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	env := append([]string{"TILLSYNC_BROKER_LISTEN=" + h.broker, "TILLSYNC_HTTP_LISTEN=" + httpAddr,
		"TILLSYNC_DASHBOARD_USERS_FILE=" + users}, h.env...)
	if h.proc, err = startProc(logDir, "central", bin, env, "run"); err != nil {
		return nil, err
	}
	h.http = newAPI("http://" + httpAddr)
	if err := waitUntil(time.Minute, "central to answer", func() (bool, error) {
		return h.http.do(context.Background(), "GET", "/healthz", nil, nil) == nil, h.exited()
	}); err != nil {
		return h, err
	}
	for _, args := range [][]string{{"policy", "publish", policy}, {"catalog", "publish", catalog}, {"members", "import", members}} {
		if _, err := h.run("", args...); err != nil {
			return h, err
		}
	}
	return h, nil
}

// run runs one central command against the demo's database.
func (h *hq) run(stdin string, args ...string) (string, error) {
	return tool(h.logDir, h.env, stdin, h.bin, append(args, "--db", filepath.Join(h.dir, "central.db"))...)
}

func (h *hq) exited() error {
	if h.proc != nil && !h.proc.running() {
		return fmt.Errorf("central exited (%v); see %s", h.proc.err, filepath.Join(h.logDir, "central.log"))
	}
	return nil
}

// DashboardURL is where the HQ dashboard is served.
func (h *hq) DashboardURL() string { return h.http.base + "/dashboard/" }

func randomPassword() (string, error) {
	b := make([]byte, 9)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("password: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// freeAddr is a 127.0.0.1 address whose port was free a moment ago.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	addr := ln.Addr().String()
	return addr, ln.Close()
}

// waitUntil polls cond every 100 ms until it holds, fails, or timeout.
func waitUntil(timeout time.Duration, what string, cond func() (bool, error)) error {
	deadline := time.Now().Add(timeout)
	for {
		ok, err := cond()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("gave up waiting for %s after %s", what, timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
