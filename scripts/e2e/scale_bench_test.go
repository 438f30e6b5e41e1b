package e2e

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

const (
	// scaleBacklog is the offline backlog BenchmarkBacklogDrain100k syncs.
	scaleBacklog = 100_000
	// scaleBatchSize is the agent's uplink.batch_size (its default, which
	// these benchmarks do not change): events per batch message.
	scaleBatchSize = 200
	// scaleAgents is how many agent processes BenchmarkFiftyAgentsPostgres
	// runs at once.
	scaleAgents = 50
	// scaleRawWindow bounds the raw publisher's messages not yet received,
	// as the agent's window bounds its batches, so that neither broker
	// drops messages past its per-client queue limits.
	scaleRawWindow = 1000
)

// BenchmarkBacklogDrain100k measures how long an agent takes to sync a
// backlog of 100,000 sales recorded while its broker was unreachable, with
// central (the real binaries, embedded broker) on SQLite and on
// PostgreSQL: from the moment the agent reports its link up until its
// watermark reaches the last sale and central holds every one. Filling
// the backlog through the agent's HTTP API is measured apart (fill-s) and
// is not in the timed part. In the same run, paho publishes at QoS 1 to
// the same broker, through a window of scaleRawWindow, messages the size
// of one batch message and of one sale, as the raw baseline (the ratio of
// sales/s to raw-sale-msgs/s is what batching buys). The agent reaches
// the broker through the test's TCP proxy, which only measures the batch
// size on the way. Run it with scripts/bench.sh or
//
//	go test -run '^$' -bench BacklogDrain100k -benchtime 1x -timeout 60m ./scripts/e2e/
func BenchmarkBacklogDrain100k(b *testing.B) {
	for _, db := range []string{"sqlite", "postgres"} {
		b.Run(db, func(b *testing.B) {
			for range b.N {
				scaleDrainOnce(b, db)
			}
		})
	}
}

func scaleDrainOnce(b *testing.B, db string) {
	b.StopTimer()
	dir := b.TempDir()
	brokerAddr := freeAddr(b)
	var batchBytes atomic.Int64 // the largest batch message seen
	p := startProxy(b, brokerAddr, func(pub proxyPublish) {
		if !strings.HasSuffix(pub.topic, "/up") {
			return
		}
		for n := batchBytes.Load(); int64(pub.payload) > n && !batchBytes.CompareAndSwap(n, int64(pub.payload)); {
			n = batchBytes.Load()
		}
	})
	a := startAgent(b, dir, "store-1", "store-1-a1", p.url())
	fillStart := time.Now()
	fillBacklog(b, a.api, scaleBacklog)
	fill := time.Since(fillStart)
	opts := centralOpts{dir: dir, brokerAddr: brokerAddr}
	if db == "postgres" {
		opts.postgresDSN = scaleFreshPostgres(b)
	}
	c := startCentral(b, opts)
	scalePoll(b, 2*time.Minute, "agent to connect", func() bool { return a.status(b).Connected })
	connectedAt := time.Now()
	b.StartTimer()
	scalePoll(b, 30*time.Minute, "backlog to drain", func() bool {
		st := a.status(b)
		return st.LastSeq == scaleBacklog && st.LastAckedSeq == scaleBacklog
	})
	ca, ok := c.agent(b, a.agentID)
	b.StopTimer()
	drain := time.Since(connectedAt)
	if !ok || ca.Events != scaleBacklog || ca.ContiguousThrough != scaleBacklog {
		b.Fatalf("agent acked all %d sales but central holds %+v", scaleBacklog, ca)
	}
	size := int(batchBytes.Load())
	if size == 0 {
		b.Fatal("the proxy saw no batch message")
	}
	rawBatch := scaleRawPublish(b, c.brokerURL, scaleBacklog/scaleBatchSize*4, size)
	rawSale := scaleRawPublish(b, c.brokerURL, scaleBacklog, size/scaleBatchSize)
	b.ReportMetric(fill.Seconds(), "fill-s")
	b.ReportMetric(drain.Seconds(), "drain-s")
	b.ReportMetric(float64(scaleBacklog)/drain.Seconds(), "sales/s")
	b.ReportMetric(float64(size), "batch-bytes")
	b.ReportMetric(rawBatch, "raw-batch-msgs/s")
	b.ReportMetric(rawSale, "raw-sale-msgs/s")
	c.kill(b)
	a.kill(b)
}

// scaleRawPublish publishes messages payloads of size bytes at QoS 1 to
// brokerURL, with at most scaleRawWindow sent but not yet received by a
// QoS 1 subscriber, and returns messages per second from the first
// publish until the subscriber has them all.
func scaleRawPublish(b *testing.B, brokerURL string, messages, size int) float64 {
	b.Helper()
	topic := "e2e-raw/" + strings.ToLower(rand.Text())
	credits := make(chan struct{}, scaleRawWindow)
	for range scaleRawWindow {
		credits <- struct{}{}
	}
	var received atomic.Int64
	all := make(chan struct{})
	sub := scalePaho(b, brokerURL, "e2e-raw-sub")
	tok := sub.Subscribe(topic, 1, func(paho.Client, paho.Message) {
		if received.Add(1) == int64(messages) {
			close(all)
		}
		select {
		case credits <- struct{}{}:
		default: // a duplicate delivery: the window is full already
		}
	})
	scaleToken(b, "subscribe", tok)
	pub := scalePaho(b, brokerURL, "e2e-raw-pub")
	payload := make([]byte, size)
	toks := make([]paho.Token, 0, messages)
	start := time.Now()
	for range messages {
		select {
		case <-credits:
		case <-time.After(5 * time.Minute):
			b.Fatalf("raw publish: %d of %d received, none for 5 minutes", received.Load(), messages)
		}
		toks = append(toks, pub.Publish(topic, 1, false, payload))
	}
	select {
	case <-all:
	case <-time.After(5 * time.Minute):
		b.Fatalf("raw publish: %d of %d received", received.Load(), messages)
	}
	elapsed := time.Since(start)
	for _, t := range toks {
		scaleToken(b, "publish", t)
	}
	return float64(messages) / elapsed.Seconds()
}

// scalePaho connects a paho client with a unique id; it disconnects at
// cleanup.
func scalePaho(b *testing.B, brokerURL, prefix string) paho.Client {
	b.Helper()
	c := paho.NewClient(paho.NewClientOptions().AddBroker(brokerURL).
		SetClientID(prefix + "-" + strings.ToLower(rand.Text())[:8]).
		SetCleanSession(true).SetAutoReconnect(false))
	scaleToken(b, "connect to "+brokerURL, c.Connect())
	b.Cleanup(func() { c.Disconnect(250) })
	return c
}

func scaleToken(b *testing.B, what string, tok paho.Token) {
	b.Helper()
	if !tok.WaitTimeout(time.Minute) {
		b.Fatalf("%s: no answer within a minute", what)
	}
	if err := tok.Error(); err != nil {
		b.Fatalf("%s: %v", what, err)
	}
}

// BenchmarkFiftyAgentsPostgres runs 50 agent processes selling at once,
// one lane each as fast as their API answers, into one central (embedded
// broker) on PostgreSQL, and reports the sustained rate at which central
// stores sales (sales/s, over a 20 s window after a 5 s warm-up) next to
// the rate the agents confirmed sales in that window (agent-sales/s);
// afterwards every agent's watermark must catch up and central hold every
// sale once. Everything runs on one machine, so the agents, the load
// generator, central and PostgreSQL share its cores. Run it with
// scripts/bench.sh or
//
//	go test -run '^$' -bench FiftyAgentsPostgres -benchtime 1x -timeout 60m ./scripts/e2e/
func BenchmarkFiftyAgentsPostgres(b *testing.B) {
	for range b.N {
		scaleFiftyOnce(b)
	}
}

func scaleFiftyOnce(b *testing.B) {
	b.StopTimer()
	dir := b.TempDir()
	c := startCentral(b, centralOpts{dir: dir, postgresDSN: scaleFreshPostgres(b)})
	agents := make([]*agentProc, scaleAgents)
	for i := range agents {
		store := fmt.Sprintf("store-%02d", i+1)
		agents[i] = startAgent(b, dir, store, store+"-a1", c.brokerURL)
	}
	for _, a := range agents {
		scalePoll(b, 2*time.Minute, a.agentID+" to connect", func() bool { return a.status(b).Connected })
	}
	ctx, cancel := context.WithCancel(context.Background())
	var confirmed, failed atomic.Int64
	var selling sync.WaitGroup
	for _, a := range agents {
		selling.Go(func() { scaleSell(ctx, a.api, &confirmed, &failed) })
	}
	time.Sleep(5 * time.Second) // warm-up: every agent selling and syncing
	n0, s0, t0 := scaleCentralEvents(b, c), confirmed.Load(), time.Now()
	b.StartTimer()
	time.Sleep(20 * time.Second) // the measured window
	n1, s1 := scaleCentralEvents(b, c), confirmed.Load()
	b.StopTimer()
	window := time.Since(t0)
	cancel()
	selling.Wait()
	if failed.Load() > 0 {
		b.Errorf("%d sales were not confirmed by a healthy agent", failed.Load())
	}
	for _, a := range agents {
		scalePoll(b, 10*time.Minute, a.agentID+" to catch up", func() bool {
			st := a.status(b)
			ca, ok := c.agent(b, a.agentID)
			return st.OutboxDepth == 0 && ok && ca.Events == int64(st.LastSeq) && ca.ContiguousThrough == st.LastSeq
		})
	}
	b.ReportMetric(float64(n1-n0)/window.Seconds(), "sales/s")
	b.ReportMetric(float64(s1-s0)/window.Seconds(), "agent-sales/s")
	b.ReportMetric(scaleAgents, "agents")
}

// scaleSell posts sales of two lines from one lane until ctx ends,
// counting the confirmed ones and those that failed for another reason
// than the end of ctx.
func scaleSell(ctx context.Context, api string, confirmed, failed *atomic.Int64) {
	body := map[string]any{"lane": "lane-1", "lines": []map[string]any{
		{"sku": "MILK", "quantity_milli": 2000, "unit_price_fen": 599},
		{"sku": "APPLE", "quantity_milli": 1250, "unit_price_fen": 1099},
	}}
	for ctx.Err() == nil {
		code, _, err := postJSON(ctx, api+"/v1/sales", body)
		switch {
		case err == nil && code == http.StatusCreated:
			confirmed.Add(1)
		case ctx.Err() == nil:
			failed.Add(1)
		}
	}
}

// scaleCentralEvents is the number of events central holds over all agents.
func scaleCentralEvents(b *testing.B, c *central) int64 {
	b.Helper()
	var out struct {
		Agents []centralAgent `json:"agents"`
	}
	if code, err := getJSON(c.http+"/v1/agents", &out); err != nil || code != http.StatusOK {
		b.Fatalf("central agents: %d %v", code, err)
	}
	var n int64
	for _, a := range out.Agents {
		n += a.Events
	}
	return n
}

// scalePoll is waitFor with a slower poll, so that watching a benchmark
// does not take CPU from what it measures.
func scalePoll(b *testing.B, timeout time.Duration, what string, cond func() bool) {
	b.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			b.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
