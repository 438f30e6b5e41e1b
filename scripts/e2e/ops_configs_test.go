package e2e

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// unitFile is a systemd unit parsed into section → key → values (a key
// may repeat).
type unitFile map[string]map[string][]string

func parseUnit(t *testing.T, path string) unitFile {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	u, section := unitFile{}, ""
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = strings.Trim(line, "[]")
			u[section] = map[string][]string{}
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || section == "" {
				t.Fatalf("%s:%d: not a key=value line in a section: %q", path, n, line)
			}
			u[section][strings.TrimSpace(k)] = append(u[section][strings.TrimSpace(k)], strings.TrimSpace(v))
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return u
}

func (u unitFile) get(section, key string) string {
	v := u[section][key]
	if len(v) == 0 {
		return ""
	}
	return v[len(v)-1]
}

// TestOps_SystemdUnits checks configs/tillsync-*.service: the keys a
// production install relies on are there with the right values, and
// systemd-analyze verify (run on a copy whose ExecStart names the binary
// built for this test) reports nothing.
func TestOps_SystemdUnits(t *testing.T) {
	for _, tt := range []struct {
		name, bin string
		groups    []string
	}{
		{"tillsync-agent", bins.agent, []string{"dialout", "plugdev"}},
		{"tillsync-central", bins.central, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join("..", "..", "configs", tt.name+".service")
			u := parseUnit(t, path)
			svc := func(key string) string { return u.get("Service", key) }
			for key, want := range map[string]string{
				"Restart": "on-failure", "NoNewPrivileges": "yes", "ProtectSystem": "strict",
				"StateDirectory": tt.name, "KillSignal": "SIGTERM", "ProtectHome": "yes", "PrivateTmp": "yes",
			} {
				if got := svc(key); got != want {
					t.Errorf("[Service] %s = %q, want %q", key, got, want)
				}
			}
			if svc("User") == "" || svc("User") == "root" {
				t.Errorf("[Service] User = %q, want a dedicated user", svc("User"))
			}
			if !strings.Contains(svc("ReadWritePaths"), "/var/lib/"+tt.name) {
				t.Errorf("[Service] ReadWritePaths = %q, want the state directory", svc("ReadWritePaths"))
			}
			// The agent's API waits up to 5 s for commits in flight and
			// central's up to 10 s for HTTP requests, after the ingester
			// finished its batches: a stop timeout under 30 s cuts that short.
			stop, err := time.ParseDuration(svc("TimeoutStopSec"))
			if err != nil || stop < 30*time.Second {
				t.Errorf("[Service] TimeoutStopSec = %q (%v), want at least 30s", svc("TimeoutStopSec"), err)
			}
			exec0 := strings.Fields(svc("ExecStart"))
			if len(exec0) < 2 || filepath.Base(exec0[0]) != tt.name || exec0[1] != "run" {
				t.Errorf("[Service] ExecStart = %q, want %s run ...", svc("ExecStart"), tt.name)
			}
			groups := strings.Fields(svc("SupplementaryGroups"))
			for _, g := range tt.groups {
				if !strings.Contains(" "+strings.Join(groups, " ")+" ", " "+g+" ") {
					t.Errorf("[Service] SupplementaryGroups = %q, want %s in it", groups, g)
				}
			}
			if u.get("Install", "WantedBy") != "multi-user.target" {
				t.Errorf("[Install] WantedBy = %q", u.get("Install", "WantedBy"))
			}
			systemdVerify(t, path, exec0[0], tt.bin)
		})
	}
}

// systemdVerify runs systemd-analyze verify on a copy of the unit at path
// with binPath replaced by bin (scripts/test.sh installs systemd for it),
// and fails on any complaint about the unit (it exits 0 on unknown keys and
// bad values, so its output is what counts).
func systemdVerify(t *testing.T, path, binPath, bin string) {
	t.Helper()
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Fatalf("systemd-analyze is not installed (scripts/test.sh installs the systemd package): %v", err)
	}
	body, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	copyPath := filepath.Join(t.TempDir(), filepath.Base(path))
	if err := os.WriteFile(copyPath, bytes.ReplaceAll(body, []byte(binPath), []byte(bin)), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", copyPath).CombinedOutput()
	if err != nil || bytes.Contains(out, []byte(filepath.Base(path))) {
		t.Errorf("systemd-analyze verify %s: %v\n%s", path, err, out)
	}
}

// TestOps_MosquittoConf runs the real Mosquitto with configs/mosquitto.conf,
// rewritten only for file paths and the listener's port (plus "user" so
// that a root test run keeps its own user, as startTLSMosquitto does), with
// configs/mosquitto.acl.example as its ACL and a password file written by
// tillsync-central agents add. It checks the broker takes a TLS client
// with a certificate, refuses one without, refuses plain TCP, and that the
// example ACL lets central read an agent's batches and keeps an agent off
// another store's topics.
func TestOps_MosquittoConf(t *testing.T) {
	dir := t.TempDir()
	pki := newTestPKI(t, dir)
	passwd := filepath.Join(dir, "tillsync.passwd")
	agentUser := opsProvision(t, dir, passwd, "agents", "add", "--store", "S001", "--agent", "S001-A1", "--keys-file", filepath.Join(dir, "keys"))
	hqUser := opsProvision(t, dir, passwd, "agents", "add-central", "--user", "central1")
	example, err := os.ReadFile(filepath.Join("..", "..", "configs", "mosquitto.acl.example"))
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []brokerUser{agentUser, hqUser} {
		if !strings.Contains(string(example), strings.TrimSpace(u.acl)) {
			t.Errorf("configs/mosquitto.acl.example lacks what agents add printed for %s:\n%s", u.user, u.acl)
		}
	}
	addr := freeAddr(t)
	host, port := splitAddr(t, addr)
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	conf, err := os.ReadFile(filepath.Join("..", "..", "configs", "mosquitto.conf"))
	if err != nil {
		t.Fatal(err)
	}
	acl, err := filepath.Abs(filepath.Join("..", "..", "configs", "mosquitto.acl.example"))
	if err != nil {
		t.Fatal(err)
	}
	persist := filepath.Join(dir, "persist") + "/"
	if err := os.Mkdir(persist, 0o700); err != nil {
		t.Fatal(err)
	}
	rewritten := "user " + me.Username + "\n" + opsRewrite(t, string(conf), map[string]string{
		"password_file":        passwd,
		"acl_file":             acl,
		"cafile":               pki.ca,
		"certfile":             pki.serverCert,
		"keyfile":              pki.serverKey,
		"persistence_location": persist,
		"listener":             port + " " + host,
	})
	path := filepath.Join(dir, "mosquitto.conf")
	if err := os.WriteFile(path, []byte(rewritten), 0o600); err != nil {
		t.Fatal(err)
	}
	bin := "/usr/sbin/mosquitto"
	if p, err := exec.LookPath("mosquitto"); err == nil {
		bin = p
	}
	start(t, dir, "mosquitto", bin, nil, "-c", path)
	waitFor(t, 30*time.Second, "mosquitto to listen on "+addr, func() bool { return dialable(addr) })
	tlsURL := "ssl://" + addr

	if err := tryConnect(tlsURL, "ops-accepted", agentUser.user, agentUser.password, pki, true); err != nil {
		t.Errorf("TLS client with a certificate: %v", err)
	}
	if err := tryConnect(tlsURL, "ops-nocert", agentUser.user, agentUser.password, pki, false); err == nil {
		t.Errorf("TLS client without a certificate connected, want it refused (require_certificate)")
	}
	if err := tryConnect("tcp://"+addr, "ops-plain", agentUser.user, agentUser.password, pki, true); err == nil {
		t.Errorf("plain TCP connected, want it refused")
	}
	if err := tryConnect(tlsURL, "ops-badpass", agentUser.user, "not-"+agentUser.password, pki, true); err == nil {
		t.Errorf("wrong password connected, want it refused (password_file)")
	}
	const up, otherUp = "tillsync/v1/chain1/S001/S001-A1/up", "tillsync/v1/chain1/S002/S002-A1/up"
	hq := dialProbe(t, tlsURL, "ops-hq", hqUser.user, hqUser.password, pki, true)
	hq.subscribe(t, "tillsync/v1/chain1/+/+/up")
	a := dialProbe(t, tlsURL, "ops-a1", agentUser.user, agentUser.password, pki, true)
	a.publish(t, otherUp, "forged")
	a.publish(t, up, "batch")
	hq.waitFor(t, up, "batch") // published after the forged one, on one connection: in order
	if got := hq.received("forged"); len(got) > 0 {
		t.Errorf("the example ACL let S001-A1 publish on %q", got)
	}
}

// opsProvision runs tillsync-central args --password-file passwd for chain
// "chain1", the chain of configs/mosquitto.acl.example.
func opsProvision(t *testing.T, dir, passwd string, args ...string) brokerUser {
	t.Helper()
	cmd := exec.Command(bins.central, append(args, "--password-file", passwd)...)
	cmd.Env = append(os.Environ(), "TILLSYNC_CHAIN_ID=chain1")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("tillsync-central %v: %v\n%s", args, err, out)
	}
	_, rest, ok := strings.Cut(string(out), "# 2. Mosquitto ACL: append to the broker's acl_file\n")
	if !ok {
		t.Fatalf("no ACL part in:\n%s", out)
	}
	acl, _, _ := strings.Cut(rest, "\n\n")
	m := regexp.MustCompile(`(?m)^\s*(?:username|password):\s*"?([^"\n]+)"?\s*$`).FindAllStringSubmatch(string(out), -1)
	if len(m) < 2 {
		t.Fatalf("no credentials in:\n%s", out)
	}
	return brokerUser{user: m[0][1], password: m[1][1], acl: acl + "\n"}
}

// opsRewrite replaces the value of each directive named in values (all of
// which must be present exactly once) and leaves every other line alone.
func opsRewrite(t *testing.T, conf string, values map[string]string) string {
	t.Helper()
	seen := map[string]int{}
	lines := strings.Split(conf, "\n")
	for i, line := range lines {
		key, _, _ := strings.Cut(line, " ")
		if v, ok := values[key]; ok && !strings.HasPrefix(line, "#") {
			lines[i] = key + " " + v
			seen[key]++
		}
	}
	for key := range values {
		if seen[key] != 1 {
			t.Fatalf("configs/mosquitto.conf has %d %q lines, want 1", seen[key], key)
		}
	}
	return strings.Join(lines, "\n")
}
