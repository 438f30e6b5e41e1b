package mqtt

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/google/uuid"
	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"
	"github.com/tillsync/tillsync/agent"
	"github.com/tillsync/tillsync/agent/bolt"
	"github.com/tillsync/tillsync/syncproto"
)

const (
	testChain = "chain1"
	testStore = "store1"
	testAgent = "agent1"
	// waitDeadline is generous: the box has two cores shared with other
	// builds, and -race slows everything down.
	waitDeadline = 60 * time.Second
)

func testTopics(t testing.TB) syncproto.Topics {
	t.Helper()
	tp, err := syncproto.NewTopics("", testChain)
	if err != nil {
		t.Fatalf("topics: %v", err)
	}
	return tp
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitDeadline)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// testLogger returns a logger writing to t until the test's cleanup runs;
// paho's callbacks may log after that, when t must not be used.
func testLogger(t testing.TB, level slog.Level) *slog.Logger {
	w := &testLogWriter{t: t}
	t.Cleanup(w.close)
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

type testLogWriter struct {
	mu     sync.Mutex
	t      testing.TB
	closed bool
}

func (w *testLogWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.closed {
		w.t.Log(string(p[:len(p)-1]))
	}
	return len(p), nil
}

func (w *testLogWriter) close() {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
}

// testBroker is an embedded mochi-mqtt broker on a loopback port.
type testBroker struct {
	addr string
	srv  *mochi.Server
}

// allowHook lets every client connect and use every topic. It is mochi's
// auth.AllowHook, rewritten because that package also pulls in a YAML
// module this repository's go.sum does not hold.
type allowHook struct {
	mochi.HookBase
}

func (h *allowHook) ID() string { return "allow-all" }

func (h *allowHook) Provides(b byte) bool {
	return b == mochi.OnConnectAuthenticate || b == mochi.OnACLCheck
}

func (h *allowHook) OnConnectAuthenticate(*mochi.Client, packets.Packet) bool { return true }

func (h *allowHook) OnACLCheck(*mochi.Client, string, bool) bool { return true }

// startBroker starts a broker on addr ("127.0.0.1:0" picks a free port)
// and stops it at cleanup.
func startBroker(t testing.TB, addr string) *testBroker {
	t.Helper()
	srv := mochi.New(&mochi.Options{InlineClient: true, Logger: slog.New(slog.DiscardHandler)})
	if err := srv.AddHook(new(allowHook), nil); err != nil {
		t.Fatalf("broker auth hook: %v", err)
	}
	l := listeners.NewTCP(listeners.Config{ID: "t", Address: addr})
	// A port just released by a stopped broker can take a moment to bind.
	var err error
	for deadline := time.Now().Add(waitDeadline); ; time.Sleep(20 * time.Millisecond) {
		if err = srv.AddListener(l); err == nil || time.Now().After(deadline) {
			break
		}
	}
	if err != nil {
		t.Fatalf("broker listen on %s: %v", addr, err)
	}
	if err := srv.Serve(); err != nil {
		t.Fatalf("broker serve: %v", err)
	}
	b := &testBroker{addr: l.Address(), srv: srv}
	t.Cleanup(b.stop)
	return b
}

func (b *testBroker) url() string { return "tcp://" + b.addr }

// stop closes the broker and disconnects its clients; it may be called
// more than once.
func (b *testBroker) stop() {
	if b.srv != nil {
		if err := b.srv.Close(); err != nil {
			panic(fmt.Sprintf("close broker: %v", err))
		}
		b.srv = nil
	}
}

// freeAddr returns a loopback address nothing listens on right now.
func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("pick a free port: %v", err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatalf("release port: %v", err)
	}
	return addr
}

// newTestClient connects a paho client that resubscribes filter with
// handler on every connection, and disconnects it at cleanup.
func newTestClient(t testing.TB, brokerURL, id, filter string, handler paho.MessageHandler) paho.Client {
	t.Helper()
	o := paho.NewClientOptions().AddBroker(brokerURL).SetClientID(id).
		SetCleanSession(true).SetOrderMatters(false).
		SetAutoReconnect(true).SetConnectRetry(true).
		SetConnectRetryInterval(50 * time.Millisecond).SetMaxReconnectInterval(200 * time.Millisecond).
		SetConnectTimeout(5 * time.Second).SetWriteTimeout(5 * time.Second)
	subscribed := make(chan struct{}, 1)
	if filter != "" {
		o.SetOnConnectHandler(func(c paho.Client) {
			tok := c.Subscribe(filter, 1, handler)
			if tok.WaitTimeout(10*time.Second) && tok.Error() == nil {
				select {
				case subscribed <- struct{}{}:
				default:
				}
			}
		})
	}
	c := paho.NewClient(o)
	if tok := c.Connect(); !tok.WaitTimeout(waitDeadline) || tok.Error() != nil {
		t.Fatalf("test client %s: connect: %v", id, tok.Error())
	}
	if filter != "" {
		select {
		case <-subscribed:
		case <-time.After(waitDeadline):
			t.Fatalf("test client %s: subscribe %s timed out", id, filter)
		}
	}
	t.Cleanup(func() { c.Disconnect(100) })
	return c
}

// publish sends payload at QoS 1 and waits for the broker's PUBACK.
func publish(t testing.TB, c paho.Client, topic string, payload []byte) {
	t.Helper()
	tok := c.Publish(topic, 1, false, payload)
	if !tok.WaitTimeout(waitDeadline) || tok.Error() != nil {
		t.Fatalf("publish to %s: %v", topic, tok.Error())
	}
}

// centralPolicy is how the test central misbehaves.
type centralPolicy struct {
	hold      bool   // withhold every ack
	dropFirst int    // drop this many acks before sending any
	split     bool   // ack a batch as two acks, its second half first
	duplicate bool   // send every ack twice
	agentID   string // ack under this agent id instead of the batch's
}

// testCentral stands in for central: it subscribes to every agent's up
// topic, checks and records each batch, and acks it by policy.
type testCentral struct {
	t      testing.TB
	topics syncproto.Topics
	client paho.Client

	mu         sync.Mutex
	policy     centralPolicy
	seen       map[uint64]int    // deliveries per seq
	unacked    map[seqRange]bool // batches received and not acked
	maxUnacked int               // most batches unacked at once
	batches    map[seqRange]int  // deliveries per batch
	bad        []string          // what was wrong with received batches
	dropped    int               // acks dropped by policy
	order      []seqRange        // batches in arrival order
}

func startCentral(t testing.TB, brokerURL string, p centralPolicy) *testCentral {
	t.Helper()
	c := &testCentral{
		t: t, topics: testTopics(t), policy: p,
		seen: map[uint64]int{}, unacked: map[seqRange]bool{}, batches: map[seqRange]int{},
	}
	c.client = newTestClient(t, brokerURL, fmt.Sprintf("central-%p", c), c.topics.UpFilter(), c.onBatch)
	t.Cleanup(c.check)
	return c
}

func (c *testCentral) onBatch(cl paho.Client, m paho.Message) {
	b, err := syncproto.DecodeBatch(m.Payload())
	if err != nil {
		c.addBad(fmt.Sprintf("topic %s: %v", m.Topic(), err))
		return
	}
	at, err := c.topics.ParseAgentTopic(m.Topic())
	if err != nil || at.Store != b.GetStoreId() || at.Agent != b.GetAgentId() || b.GetChainId() != testChain {
		c.addBad(fmt.Sprintf("topic %s carries batch of chain %s store %s agent %s (%v)",
			m.Topic(), b.GetChainId(), b.GetStoreId(), b.GetAgentId(), err))
		return
	}
	r := seqRange{first: b.GetFirstSeq(), last: b.GetLastSeq()}
	acks, agentID := c.record(r, b)
	for _, a := range acks {
		payload, err := syncproto.EncodeAck(&syncproto.Ack{
			SchemaVersion: syncproto.SchemaVersion, AgentId: agentID, CentralTimeMs: time.Now().UnixMilli(),
			Ranges: []*syncproto.SeqRange{{First: a.first, Last: a.last}},
		})
		if err != nil {
			c.addBad(fmt.Sprintf("encode ack: %v", err))
			return
		}
		tok := cl.Publish(c.topics.Ack(at.Store, at.Agent), 1, false, payload)
		if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			// The broker may be down; the agent resends and we ack again.
			return
		}
	}
}

// record notes a delivery and returns the acks to send for it.
func (c *testCentral) record(r seqRange, b *syncproto.Batch) ([]seqRange, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.batches[r]++
	c.order = append(c.order, r)
	if b.GetSentAtMs() == 0 {
		c.bad = append(c.bad, fmt.Sprintf("batch %d..%d has no sent_at_ms", r.first, r.last))
	}
	for _, ev := range b.GetEvents() {
		c.seen[ev.GetSeq()]++
		if sc := ev.GetSaleCommitted(); sc == nil || sc.GetAgentSeq() != ev.GetSeq() {
			c.bad = append(c.bad, fmt.Sprintf("seq %d is not the sale committed at that seq", ev.GetSeq()))
		}
	}
	p := c.policy
	if p.hold {
		c.unacked[r] = true
		c.maxUnacked = max(c.maxUnacked, len(c.unacked))
		return nil, ""
	}
	if c.dropped < p.dropFirst {
		c.dropped++
		return nil, ""
	}
	delete(c.unacked, r)
	acks := []seqRange{r}
	if p.split && r.last > r.first {
		mid := r.first + (r.last-r.first)/2
		acks = []seqRange{{first: mid + 1, last: r.last}, {first: r.first, last: mid}}
	}
	if p.duplicate {
		acks = append(acks, acks...)
	}
	agentID := b.GetAgentId()
	if p.agentID != "" {
		agentID = p.agentID
	}
	return acks, agentID
}

func (c *testCentral) addBad(s string) {
	c.mu.Lock()
	c.bad = append(c.bad, s)
	c.mu.Unlock()
}

// check fails the test for any malformed batch seen.
func (c *testCentral) check() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, b := range c.bad {
		c.t.Errorf("central: bad batch: %s", b)
	}
}

func (c *testCentral) setPolicy(p centralPolicy) {
	c.mu.Lock()
	c.policy = p
	c.mu.Unlock()
}

// deliveries returns how often seq arrived.
func (c *testCentral) deliveries(seq uint64) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.seen[seq]
}

// duplicates returns how many deliveries of seqs were repeats.
func (c *testCentral) duplicates() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, k := range c.seen {
		n += k - 1
	}
	return n
}

// missing returns the seqs in 1..n never delivered.
func (c *testCentral) missing(n uint64) []uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []uint64
	for s := uint64(1); s <= n; s++ {
		if c.seen[s] == 0 {
			out = append(out, s)
		}
	}
	return out
}

// minSeen returns the lowest seq delivered, 0 if none.
func (c *testCentral) minSeen() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	var m uint64
	for s := range c.seen {
		if m == 0 || s < m {
			m = s
		}
	}
	return m
}

// reset forgets every delivery.
func (c *testCentral) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seen, c.batches, c.unacked = map[uint64]int{}, map[seqRange]int{}, map[seqRange]bool{}
	c.order, c.maxUnacked = nil, 0
}

// distinctBatches returns how many different batches arrived.
func (c *testCentral) distinctBatches() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.batches)
}

// totalDeliveries returns how many batches arrived, repeats included.
func (c *testCentral) totalDeliveries() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.order)
}

func (c *testCentral) maxUnackedBatches() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.maxUnacked
}

// testConfig is a Config for the test broker with short timeouts.
func testConfig(t testing.TB, brokerURL string) Config {
	return Config{
		BrokerURL: brokerURL, Topics: testTopics(t), StoreID: testStore, AgentID: testAgent,
		BatchSize: 10, Window: 3, AckTimeout: 300 * time.Millisecond,
		ConnectTimeout: 5 * time.Second, KeepAlive: 5 * time.Second,
		RetryInterval: 50 * time.Millisecond, MaxReconnectInterval: 200 * time.Millisecond,
		Logger: testLogger(t, slog.LevelInfo),
	}
}

// runUplink starts u.Run and returns a stop function that cancels it and
// checks it returned nil; cleanup calls stop too.
func runUplink(t testing.TB, u *Uplink) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- u.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("uplink run: %v", err)
				}
			case <-time.After(waitDeadline):
				t.Errorf("uplink run did not return after cancel")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// newTestLedger opens a real bbolt ledger in a temp dir, closed at
// cleanup (after the uplink stops: cleanups run last-registered first).
func newTestLedger(t testing.TB) agent.Ledger {
	t.Helper()
	l, err := bolt.Open(filepath.Join(t.TempDir(), "ledger.db"), bolt.Options{
		StoreID: testStore, AgentID: testAgent, LockTimeout: time.Second,
	})
	if err != nil {
		t.Fatalf("open ledger: %v", err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Errorf("close ledger: %v", err)
		}
	})
	return l
}

// commitSales commits n sales and returns the last seq.
func commitSales(t testing.TB, l agent.Ledger, n int) uint64 {
	t.Helper()
	ctx := context.Background()
	var last uint64
	for range n {
		s := newTestSale(t)
		if err := l.CommitSale(ctx, s); err != nil {
			t.Fatalf("commit sale: %v", err)
		}
		last = s.Seq
	}
	return last
}

// newTestSale returns a valid two-line member sale with a fresh id.
func newTestSale(t testing.TB) *agent.Sale {
	t.Helper()
	in := agent.SaleInput{LaneID: "lane1", MemberCard: "6200123456789012", Lines: []agent.LineInput{
		{SKU: "sku-1", Barcode: "6901234567892", Name: "rice 5kg", QuantityMilli: 1000, UnitPriceFen: 4990},
		{SKU: "sku-2", Name: "apples", QuantityMilli: 333, UnitPriceFen: 1099},
	}}
	s, err := in.Build(newSaleID(), testStore, time.Now())
	if err != nil {
		t.Fatalf("build sale: %v", err)
	}
	return s
}

func newSaleID() string { return uuid.Must(uuid.NewV7()).String() }

func watermark(t testing.TB, l agent.Ledger) uint64 {
	t.Helper()
	st, err := l.Status(context.Background())
	if err != nil {
		t.Fatalf("ledger status: %v", err)
	}
	return st.Watermark
}
