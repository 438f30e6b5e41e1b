package e2e

import (
	"context"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// syncTimeout bounds how long a test waits for the outbox to drain; it
// only catches a hung system, it is not a speed assertion.
const syncTimeout = 3 * time.Minute

// TestSales_ReachCentralOnce: sales at two agents of two stores travel
// through central's embedded broker and are at central exactly once.
func TestSales_ReachCentralOnce(t *testing.T) {
	dir := t.TempDir()
	c := startCentral(t, centralOpts{dir: dir})
	a1 := startAgent(t, dir, "store-1", "store-1-a1", c.brokerURL)
	a2 := startAgent(t, dir, "store-2", "store-2-a1", c.brokerURL)
	b1, b2 := newBook(), newBook()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		sellUntil(ctx, t, a2.api, 2, b2)
	}()
	sellN(t, a1.api, 40, b1)
	<-done
	b2.settleUncertain(t, a2.api)

	checkExactlyOnce(t, c, a1, b1)
	checkExactlyOnce(t, c, a2, b2)
}

// TestSales_ExternalMosquitto: the same path through a real Mosquitto
// (started by the test on a free port) with central in external-broker mode.
func TestSales_ExternalMosquitto(t *testing.T) {
	dir := t.TempDir()
	m := startMosquitto(t, dir, freeAddr(t))
	c := startCentral(t, centralOpts{dir: dir, brokerURL: m.url})
	a := startAgent(t, dir, "store-1", "store-1-a1", c.brokerURL)
	book := newBook()
	sellN(t, a.api, 60, book)
	checkExactlyOnce(t, c, a, book)
}

// TestCrash_KillAgent kills the agent with SIGKILL over and over while
// lanes commit sales and the uplink syncs; after every restart the ledger
// must open, and in the end every sale the API confirmed is at central
// exactly once and nothing else is.
func TestCrash_KillAgent(t *testing.T) {
	kills := 20
	if testing.Short() {
		kills = 5
	}
	dir := t.TempDir()
	c := startCentral(t, centralOpts{dir: dir})
	a := startAgent(t, dir, "store-1", "store-1-a1", c.brokerURL)
	book := newBook()
	for i := 0; i < kills; i++ {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			sellUntil(ctx, t, a.api, 3, book)
		}()
		time.Sleep(time.Duration(200+rand.IntN(800)) * time.Millisecond)
		a.kill(t)
		cancel()
		<-done
		a.checkLedger(t)
		a.launch(t)
	}
	book.settleUncertain(t, a.api)
	n, _ := book.total()
	t.Logf("%d kills, %d sales", kills, n)
	checkExactlyOnce(t, c, a, book)
}

// TestCrash_KillCentral kills central with SIGKILL while an agent syncs:
// central acks only what its database holds, so nothing is lost or doubled.
func TestCrash_KillCentral(t *testing.T) {
	dir := t.TempDir()
	c := startCentral(t, centralOpts{dir: dir})
	a := startAgent(t, dir, "store-1", "store-1-a1", c.brokerURL)
	book := newBook()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		sellUntil(ctx, t, a.api, 2, book)
	}()
	for i := 0; i < 5; i++ {
		time.Sleep(time.Duration(300+rand.IntN(700)) * time.Millisecond)
		c.restart(t, dir)
	}
	cancel()
	<-done
	book.settleUncertain(t, a.api)
	checkExactlyOnce(t, c, a, book)
}

// TestOutage_BrokerDown stops Mosquitto for several seconds while lanes
// keep selling, then starts it again on the same port: the agent keeps
// confirming sales throughout, and everything arrives exactly once.
func TestOutage_BrokerDown(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	m := startMosquitto(t, dir, addr)
	c := startCentral(t, centralOpts{dir: dir, brokerURL: m.url})
	a := startAgent(t, dir, "store-1", "store-1-a1", c.brokerURL)
	book := newBook()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		sellUntil(ctx, t, a.api, 3, book)
	}()
	time.Sleep(time.Second)
	m.kill(t)
	waitFor(t, time.Minute, "agent to notice the broker is gone", func() bool { return !a.status(t).Connected })
	before, _ := book.total()
	time.Sleep(4 * time.Second)
	during, _ := book.total()
	if during <= before {
		t.Errorf("no sale confirmed while the broker was down (%d before, %d after)", before, during)
	}
	m = startMosquitto(t, dir, addr)
	waitFor(t, time.Minute, "agent to reconnect", func() bool { return a.status(t).Connected })
	time.Sleep(time.Second)
	cancel()
	<-done
	book.settleUncertain(t, a.api)
	checkExactlyOnce(t, c, a, book)
}

// mosquitto is a broker the test runs on its own port.
type mosquitto struct {
	*proc
	url string
}

func startMosquitto(t *testing.T, dir, addr string) *mosquitto {
	t.Helper()
	bin, err := exec.LookPath("mosquitto")
	if err != nil {
		bin = "/usr/sbin/mosquitto"
		if _, statErr := os.Stat(bin); statErr != nil {
			t.Fatalf("mosquitto is not installed (scripts/test.sh installs it): %v", err)
		}
	}
	host, port := splitAddr(t, addr)
	conf := filepath.Join(dir, "mosquitto-"+port+".conf")
	body := "listener " + port + " " + host + "\nallow_anonymous true\npersistence false\n"
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	m := &mosquitto{proc: start(t, dir, "mosquitto", bin, nil, "-c", conf), url: "tcp://" + addr}
	waitFor(t, 30*time.Second, "mosquitto to listen on "+addr, func() bool { return dialable(addr) })
	return m
}

func splitAddr(t *testing.T, addr string) (string, string) {
	t.Helper()
	host, port, err := netSplit(addr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := strconv.Atoi(port); err != nil {
		t.Fatal(err)
	}
	return host, port
}
