package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestFault_ProxyCutsDelaysDuplicates runs three agents selling at once
// through a fault-injecting proxy in front of Mosquitto, with central
// subscribed to Mosquitto directly. While the lanes sell, the proxy cuts
// every agent connection several times, duplicates every QoS 1 PUBLISH
// for a while, and delays every forwarded chunk for a while (some of that
// at the same time). A second lane of every agent makes member sales on
// cards all three stores share, earning and redeeming points, and the
// redemptions ask central over the same proxied link. Afterwards every
// confirmed sale is at central exactly once and every agent's watermark
// has caught up (checkExactlyOnce), and every card's balance at central
// is its opening balance plus exactly the points those sales moved
// (pointsRun.check).
//
// Central does not expose its ingest counters (central/mqtt Stats) over
// HTTP or in its log, so that central received the duplicates is shown
// from Mosquitto's debug log instead: the broker accepted the DUP copies
// and forwarded to central at least every PUBLISH the agents made.
func TestFault_ProxyCutsDelaysDuplicates(t *testing.T) {
	dir := t.TempDir()
	m := faultMosquitto(t, dir, freeAddr(t), "log_type all\n")
	c := startCentral(t, centralOpts{dir: dir, brokerURL: m.url})
	p := startProxy(t, strings.TrimPrefix(m.url, "tcp://"), nil)
	pts := newPointsRun(c, 3)
	agents, books := faultAgents(t, dir, 3, p.url(), nil)
	pts.ready(t)

	ctx, cancel := context.WithCancel(context.Background())
	var selling sync.WaitGroup
	for i, a := range agents {
		selling.Go(func() { faultSellUntil(ctx, t, a.api, books[i]) })
		selling.Go(func() { pts.sellUntil(ctx, t, a, i, "lane-2") })
	}
	faultRun(t, "sell normally", time.Second, nil)
	faultRun(t, "duplicate publishes", 3*time.Second, func() { p.setDuplicate(true) })
	faultCut(t, p, agents)
	faultRun(t, "delay every chunk", 3*time.Second, func() { p.setDuplicate(false); p.setDelay(50 * time.Millisecond) })
	faultCut(t, p, agents)
	faultRun(t, "delay and duplicate", 2*time.Second, func() { p.setDuplicate(true); p.setDelay(20 * time.Millisecond) })
	faultCut(t, p, agents)
	faultRun(t, "sell normally again", 2*time.Second, func() { p.setDuplicate(false); p.setDelay(0) })
	faultCut(t, p, agents)
	faultRun(t, "sell after the last cut", time.Second, nil)
	cancel()
	selling.Wait()

	for i, a := range agents {
		books[i].settleUncertain(t, a.api)
		pts.settle(t, a, i, books[i])
		checkExactlyOnce(t, c, a, books[i])
		n, _ := books[i].total()
		t.Logf("%s: %d sales", a.agentID, n)
	}
	pts.check(t, c)
	if p.duplicated.Load() == 0 {
		t.Fatal("the proxy duplicated no PUBLISH: the test tested nothing")
	}
	dups, fromAgents, toCentral := faultMosquittoCounts(t, m, "tillsync-central-main")
	t.Logf("proxy duplicated %d publishes; mosquitto received %d DUP and %d in all on agents' up topics, and sent central %d",
		p.duplicated.Load(), dups, fromAgents, toCentral)
	if dups == 0 || toCentral < fromAgents {
		t.Errorf("mosquitto received %d DUP publishes from the agents and forwarded %d of their %d up publishes to central; want >0 and all",
			dups, toCentral, fromAgents)
	}
}

// TestFault_TwoCentralsSharedSubscription runs two central instances on
// one shared subscription of a real Mosquitto and one fresh PostgreSQL
// database, kills one with SIGKILL while three agents sell, and checks
// that the other carries on: every confirmed sale exactly once, every
// agent's watermark caught up, and every shared member card's balance
// equal to its opening balance plus the points its sales moved.
func TestFault_TwoCentralsSharedSubscription(t *testing.T) {
	dir := t.TempDir()
	m := faultMosquitto(t, dir, freeAddr(t), "log_type all\n")
	dsn := scaleFreshPostgres(t)
	opts := func(id string) centralOpts {
		return centralOpts{dir: dir, brokerURL: m.url, postgresDSN: dsn, instanceID: id, sharedGroup: "central", name: "central-" + id}
	}
	doomed := startCentral(t, opts("c1"))
	survivor := startCentral(t, opts("c2"))
	// Mosquitto keeps routing a share of the batches to the killed
	// instance's persistent session (it round-robins over sessions, not
	// connections), so those batches reach the survivor only when the
	// agent resends them, with a backoff of up to 16 × ack_timeout. A short
	// ack_timeout keeps that recovery, which this test waits for, short.
	pts := newPointsRun(survivor, 3)
	agents, books := faultAgents(t, dir, 3, m.url, []string{"TILLSYNC_UPLINK_ACK_TIMEOUT=500ms"})
	pts.ready(t)

	ctx, cancel := context.WithCancel(context.Background())
	var selling sync.WaitGroup
	for i, a := range agents {
		selling.Go(func() { faultSellUntil(ctx, t, a.api, books[i]) })
		selling.Go(func() { pts.sellUntil(ctx, t, a, i, "lane-2") })
	}
	// Both instances must have taken batches before one dies, or the test
	// would not exercise the shared subscription.
	waitFor(t, 2*time.Minute, "mosquitto to deliver batches to both centrals", func() bool {
		_, _, c1 := faultMosquittoCounts(t, m, "tillsync-central-c1")
		_, _, c2 := faultMosquittoCounts(t, m, "tillsync-central-c2")
		return c1 > 0 && c2 > 0
	})
	faultRun(t, "sell with two centrals", time.Second, nil)
	doomed.kill(t)
	faultRun(t, "sell with one central", 4*time.Second, nil)
	cancel()
	selling.Wait()

	for i, a := range agents {
		books[i].settleUncertain(t, a.api)
		pts.settle(t, a, i, books[i])
		checkExactlyOnce(t, survivor, a, books[i])
		n, _ := books[i].total()
		t.Logf("%s: %d sales", a.agentID, n)
	}
	pts.check(t, survivor)
	_, _, c1 := faultMosquittoCounts(t, m, "tillsync-central-c1")
	_, _, c2 := faultMosquittoCounts(t, m, "tillsync-central-c2")
	t.Logf("mosquitto sent %d up publishes to c1 (killed) and %d to c2", c1, c2)
}

// faultAgents starts n agents, each of its own store, on brokerURL with
// env added to (and overriding) agentEnv, and waits until all are
// connected. Each is given the example catalog, members and policy first
// (loadExamplesAll), so its lanes can make member sales (pointsRun).
func faultAgents(t *testing.T, dir string, n int, brokerURL string, env []string) ([]*agentProc, []*ledgerBook) {
	t.Helper()
	agents := make([]*agentProc, n)
	books := make([]*ledgerBook, n)
	for i := range agents {
		store := fmt.Sprintf("store-%d", i+1)
		id := store + "-a1"
		addr := freeAddr(t)
		// os/exec keeps the last of duplicate variables, so env overrides.
		agents[i] = &agentProc{api: "http://" + addr, storeID: store, agentID: id, dir: dir,
			env: append(agentEnv(dir, store, id, addr, brokerURL), env...)}
		books[i] = newBook()
	}
	loadExamplesAll(t, agents)
	for _, a := range agents {
		a.launch(t)
	}
	for _, a := range agents {
		waitFor(t, time.Minute, a.agentID+" to connect", func() bool { return a.status(t).Connected })
	}
	return agents, books
}

// faultSaleEvery paces each agent's lane: enough sales for every fault to
// hit batches in flight, few enough that checking each one at central
// stays quick on a loaded CI machine.
const faultSaleEvery = 10 * time.Millisecond

// faultSellUntil posts sales from one lane, one every faultSaleEvery at
// most, until ctx ends.
func faultSellUntil(ctx context.Context, t *testing.T, api string, book *ledgerBook) {
	tick := time.NewTicker(faultSaleEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		s := newSale(t, "lane-1")
		book.record(s, postSale(ctx, t, api, s))
	}
}

// faultRun applies a fault (if any) and lets the lanes sell under it for d.
// The sleep is the length of a phase of the scenario, not a
// synchronisation: every check afterwards waits for a condition.
func faultRun(t *testing.T, phase string, d time.Duration, apply func()) {
	t.Helper()
	if apply != nil {
		apply()
	}
	t.Logf("phase: %s for %v", phase, d)
	time.Sleep(d)
}

// faultCut cuts every proxied connection and waits until every agent has
// connected through the proxy again.
func faultCut(t *testing.T, p *faultProxy, agents []*agentProc) {
	t.Helper()
	before := p.accepted.Load()
	n := p.cut()
	t.Logf("phase: cut %d connections", n)
	if n == 0 {
		t.Errorf("cut found no open connection; the agents should all have been connected")
	}
	waitFor(t, 2*time.Minute, "agents to reconnect through the proxy", func() bool {
		if p.accepted.Load() < before+int64(len(agents)) {
			return false
		}
		for _, a := range agents {
			if !a.status(t).Connected {
				return false
			}
		}
		return true
	})
}

// faultMosquitto is startMosquitto with extra configuration lines, e.g.
// "log_type all" to have Mosquitto log every PUBLISH it receives and sends.
func faultMosquitto(t *testing.T, dir, addr, extra string) *mosquitto {
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
	body := "listener " + port + " " + host + "\nallow_anonymous true\npersistence false\n" + extra
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	m := &mosquitto{proc: start(t, dir, "mosquitto", bin, nil, "-c", conf), url: "tcp://" + addr}
	waitFor(t, 30*time.Second, "mosquitto to listen on "+addr, func() bool { return dialable(addr) })
	return m
}

// Mosquitto's debug lines for one PUBLISH (mosquitto 2.0, handle_publish.c
// and send_publish.c): "Received PUBLISH from <client> (d1, q1, r0, m7,
// '<topic>', ... (N bytes))" and "Sending PUBLISH to <client> (...)".
var (
	faultReceivedUp = regexp.MustCompile(`Received PUBLISH from tillsync-agent-\S+ \(d([01]), q1, r0, m\d+, '[^']*/up'`)
	faultSentUp     = regexp.MustCompile(`Sending PUBLISH to (\S+) \(d[01], q1, r0, m\d+, '[^']*/up'`)
)

// faultMosquittoCounts reads m's log (it needs "log_type all") and counts
// the agents' up publishes the broker received, how many of them had DUP
// set, and how many up publishes it sent to the client toClient.
func faultMosquittoCounts(t *testing.T, m *mosquitto, toClient string) (dups, fromAgents, toCentral int) {
	t.Helper()
	b, err := os.ReadFile(m.log)
	if err != nil {
		t.Fatalf("read mosquitto log: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if r := faultReceivedUp.FindStringSubmatch(line); r != nil {
			fromAgents++
			if r[1] == "1" {
				dups++
			}
		} else if s := faultSentUp.FindStringSubmatch(line); s != nil && s[1] == toClient {
			toCentral++
		}
	}
	return dups, fromAgents, toCentral
}
