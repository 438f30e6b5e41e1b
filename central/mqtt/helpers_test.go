package mqtt_test

import (
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/tillsync/tillsync/central/mqtt"
	"github.com/tillsync/tillsync/central/sqlite"
	"github.com/tillsync/tillsync/syncproto"
	"google.golang.org/protobuf/proto"
)

// deadline bounds every wait; generous because the test machine is slow
// and shared. Waits poll; nothing asserts on timing.
const deadline = 60 * time.Second

var clientSeq atomic.Int64

func topics(t testing.TB) syncproto.Topics {
	t.Helper()
	tp, err := syncproto.NewTopics("", "demo")
	if err != nil {
		t.Fatalf("NewTopics: %v", err)
	}
	return tp
}

func startBroker(t testing.TB) *mqtt.Broker {
	t.Helper()
	b, err := mqtt.StartBroker("127.0.0.1:0", nil)
	if err != nil {
		t.Fatalf("StartBroker: %v", err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("broker Close: %v", err)
		}
	})
	return b
}

func openStore(t testing.TB) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "central.db"), sqlite.Options{})
	if err != nil {
		t.Fatalf("sqlite.Open: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("db Close: %v", err)
		}
	})
	return db
}

func startIngester(t testing.TB, brokerURL string, store mqtt.BatchStore, instance, group string) *mqtt.Ingester {
	t.Helper()
	in, err := mqtt.NewIngester(mqtt.IngesterConfig{
		BrokerURL: brokerURL, InstanceID: instance, Topics: topics(t), SharedGroup: group, Workers: 3,
	}, store)
	if err != nil {
		t.Fatalf("NewIngester: %v", err)
	}
	if err := in.Start(t.Context()); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(in.Close)
	waitFor(t, "ingester subscribed", in.Subscribed)
	return in
}

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	end := time.Now().Add(deadline)
	for !cond() {
		if time.Now().After(end) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// agentSim is a paho client standing in for store agents: it publishes
// batches and collects every ack of the chain.
type agentSim struct {
	t      testing.TB
	client paho.Client
	acks   chan ackMsg
}

type ackMsg struct {
	topic string
	ack   *syncproto.Ack
}

func newAgentSim(t testing.TB, brokerURL string) *agentSim {
	t.Helper()
	a := &agentSim{t: t, acks: make(chan ackMsg, 1000)}
	opts := paho.NewClientOptions().AddBroker(brokerURL).
		SetClientID(fmt.Sprintf("test-agent-%d", clientSeq.Add(1))).
		SetOrderMatters(false).SetAutoReconnect(false)
	a.client = paho.NewClient(opts)
	if tok := a.client.Connect(); !tok.WaitTimeout(deadline) || tok.Error() != nil {
		t.Fatalf("test client connect: %v", tok.Error())
	}
	t.Cleanup(func() { a.client.Disconnect(100) })
	filter := topics(t).Ack("+", "+")
	tok := a.client.Subscribe(filter, 1, func(_ paho.Client, m paho.Message) {
		var ack syncproto.Ack
		if err := proto.Unmarshal(m.Payload(), &ack); err != nil {
			ack.AgentId = "UNDECODABLE"
		}
		a.acks <- ackMsg{topic: m.Topic(), ack: &ack}
	})
	if !tok.WaitTimeout(deadline) || tok.Error() != nil {
		t.Fatalf("test client subscribe: %v", tok.Error())
	}
	return a
}

func (a *agentSim) publish(topic string, payload []byte) {
	a.t.Helper()
	tok := a.client.Publish(topic, 1, false, payload)
	if !tok.WaitTimeout(deadline) || tok.Error() != nil {
		a.t.Fatalf("publish %s: %v", topic, tok.Error())
	}
}

func (a *agentSim) publishBatch(b *syncproto.Batch) {
	a.t.Helper()
	payload, err := proto.Marshal(b)
	if err != nil {
		a.t.Fatalf("marshal batch: %v", err)
	}
	a.publish(topics(a.t).Up(b.GetStoreId(), b.GetAgentId()), payload)
}

func (a *agentSim) waitAck() ackMsg {
	a.t.Helper()
	select {
	case m := <-a.acks:
		return m
	case <-time.After(deadline):
		a.t.Fatal("timed out waiting for an ack")
		return ackMsg{}
	}
}

// noMoreAcks fails if an ack is already waiting.
func (a *agentSim) noMoreAcks() {
	a.t.Helper()
	select {
	case m := <-a.acks:
		a.t.Fatalf("unexpected ack on %s: %v", m.topic, m.ack)
	default:
	}
}
