package e2e

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// provision runs "tillsync-central agents add" for agent and returns the
// agent config snippet it prints (DESIGN §5 rule 6).
func provision(t testing.TB, dir, keysFile, storeID, agentID string) string {
	t.Helper()
	cmd := exec.Command(bins.central, "agents", "add", "--store", storeID, "--agent", agentID, "--keys-file", keysFile)
	cmd.Env = append(os.Environ(), "TILLSYNC_CHAIN_ID="+chainID)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("agents add %s: %v\n%s", agentID, err, stderr.String())
	}
	snippet, _, ok := strings.Cut(string(out), "\n# 2. Mosquitto ACL")
	if !ok {
		t.Fatalf("agents add printed no ACL part:\n%s", out)
	}
	return snippet
}

// startSignedCentral is startCentral with auth.mode signed over keysFile.
func startSignedCentral(t testing.TB, dir, keysFile string) *central {
	t.Helper()
	httpAddr, brokerAddr := freeAddr(t), freeAddr(t)
	c := &central{http: "http://" + httpAddr, brokerURL: "tcp://" + brokerAddr, env: []string{
		"TILLSYNC_CHAIN_ID=" + chainID,
		"TILLSYNC_DATABASE_PATH=" + filepath.Join(dir, "central.db"),
		"TILLSYNC_HTTP_LISTEN=" + httpAddr,
		"TILLSYNC_BROKER_MODE=embedded", "TILLSYNC_BROKER_LISTEN=" + brokerAddr,
		"TILLSYNC_AUTH_MODE=signed", "TILLSYNC_AUTH_KEYS_FILE=" + keysFile,
	}}
	c.proc = start(t, dir, "central", bins.central, c.env, "run")
	waitFor(t, 60*time.Second, "central to serve /healthz", func() bool { return healthy(c.http) })
	return c
}

// startProvisionedAgent starts agentID with the config snippet agents add
// printed as its config file, and env on top.
func startProvisionedAgent(t testing.TB, dir, snippet, storeID, agentID, brokerURL string, env ...string) *agentProc {
	t.Helper()
	cfg := filepath.Join(dir, agentID+".yaml")
	if err := os.WriteFile(cfg, []byte(snippet), 0o600); err != nil {
		t.Fatalf("write agent config: %v", err)
	}
	addr := freeAddr(t)
	a := &agentProc{api: "http://" + addr, storeID: storeID, agentID: agentID, dir: dir,
		env: append(agentEnv(dir, storeID, agentID, addr, brokerURL), env...), args: []string{"--config", cfg}}
	a.launch(t)
	return a
}

// TestSigning_OnlyProvisionedAgentsSync: central in signed mode, keys made
// by agents add. The agent with its provisioned key syncs every sale
// exactly once; an agent whose key is wrong gets nothing acked, and the
// good agent keeps flowing beside it. An agent provisioned while central
// runs syncs after central gets SIGHUP.
func TestSigning_OnlyProvisionedAgentsSync(t *testing.T) {
	dir := t.TempDir()
	keysFile := filepath.Join(dir, "agent-keys")
	goodSnippet := provision(t, dir, keysFile, "store-1", "store-1-good")
	forgedSnippet := provision(t, dir, keysFile, "store-1", "store-1-forged")
	c := startSignedCentral(t, dir, keysFile)

	good := startProvisionedAgent(t, dir, goodSnippet, "store-1", "store-1-good", c.brokerURL)
	wrong := make([]byte, 32)
	if _, err := rand.Read(wrong); err != nil {
		t.Fatalf("rand: %v", err)
	}
	forged := startProvisionedAgent(t, dir, forgedSnippet, "store-1", "store-1-forged", c.brokerURL,
		"TILLSYNC_UPLINK_KEY="+base64.StdEncoding.EncodeToString(wrong))

	goodBook, forgedBook := newBook(), newBook()
	sellN(t, forged.api, 10, forgedBook)
	sellN(t, good.api, 30, goodBook)
	checkExactlyOnce(t, c, good, goodBook)
	waitFor(t, syncTimeout, "central to reject the forged batches", func() bool {
		return logContains(t, c.log, "reason=bad_signature")
	})
	// More sales at the good agent after the rejections still flow.
	sellN(t, good.api, 10, goodBook)
	checkExactlyOnce(t, c, good, goodBook)

	if st := forged.status(t); st.OutboxDepth != 10 || st.LastAckedSeq != 0 {
		t.Errorf("forged agent status %+v, want 10 sales waiting and none acked", st)
	}
	if ca, ok := c.agent(t, forged.agentID); ok {
		t.Errorf("central holds %+v from the forged agent", ca)
	}
	if n, _ := forgedBook.total(); n != 10 {
		t.Fatalf("forged agent confirmed %d sales, want 10", n)
	}
	if logContains(t, c.log, "panic") {
		t.Errorf("central log has a panic")
	}

	// Provisioned while central runs: synced once central rereads the keys.
	lateSnippet := provision(t, dir, keysFile, "store-2", "store-2-late")
	if err := c.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatalf("SIGHUP central: %v", err)
	}
	waitFor(t, syncTimeout, "central to reload its keys", func() bool {
		return logContains(t, c.log, "keys reloaded")
	})
	late := startProvisionedAgent(t, dir, lateSnippet, "store-2", "store-2-late", c.brokerURL)
	lateBook := newBook()
	sellN(t, late.api, 5, lateBook)
	checkExactlyOnce(t, c, late, lateBook)
}

// logContains reports whether the log file at path holds s.
func logContains(t testing.TB, path, s string) bool {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read log: %v", err)
	}
	return bytes.Contains(b, []byte(s))
}
