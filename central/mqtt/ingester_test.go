package mqtt_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/tillsync/tillsync/central"
	"github.com/tillsync/tillsync/central/mqtt"
	"github.com/tillsync/tillsync/central/storetest"
	"github.com/tillsync/tillsync/syncproto"
	"google.golang.org/protobuf/proto"
)

func wantAck(t *testing.T, got ackMsg, store, agent string, first, last uint64) {
	t.Helper()
	a := got.ack
	if got.topic != topics(t).Ack(store, agent) || a.GetAgentId() != agent ||
		a.GetSchemaVersion() != syncproto.SchemaVersion || a.GetCentralTimeMs() == 0 ||
		len(a.GetRanges()) != 1 || a.GetRanges()[0].GetFirst() != first || a.GetRanges()[0].GetLast() != last {
		t.Fatalf("ack on %s = %v, want %s/%s [%d, %d]", got.topic, a, store, agent, first, last)
	}
}

func salesByStore(t *testing.T, s central.Store) []central.StoreSales {
	t.Helper()
	got, err := s.SalesByStore(context.Background())
	if err != nil {
		t.Fatalf("SalesByStore: %v", err)
	}
	return got
}

func TestIngester_Ingest(t *testing.T) {
	t.Run("OKAckAfterCommit", func(t *testing.T) {
		b, db := startBroker(t), openStore(t)
		in := startIngester(t, b.URL(), db, "t1", "")
		agent := newAgentSim(t, b.URL())
		agent.publishBatch(storetest.SaleBatch("s1", "a1", 1, 10))
		wantAck(t, agent.waitAck(), "s1", "a1", 1, 10)
		// The ack is out, so the rows must already be committed.
		want := []central.StoreSales{{StoreID: "s1", Sales: 10, TotalFen: storetest.SumTotals(1, 10)}}
		if got := salesByStore(t, db); !slices.Equal(got, want) {
			t.Fatalf("after ack SalesByStore = %+v, want %+v", got, want)
		}
		// The ack can arrive before the ingester counts it: wait.
		waitFor(t, "ack counted", func() bool { return in.Stats().Acked == 1 })
		if st := in.Stats(); st.Batches != 1 || st.Applied != 10 {
			t.Fatalf("Stats = %+v", st)
		}
	})
	t.Run("DuplicateAckedAgain", func(t *testing.T) {
		b, db := startBroker(t), openStore(t)
		in := startIngester(t, b.URL(), db, "t1", "")
		agent := newAgentSim(t, b.URL())
		for range 2 {
			agent.publishBatch(storetest.SaleBatch("s1", "a1", 1, 10))
			wantAck(t, agent.waitAck(), "s1", "a1", 1, 10)
		}
		want := []central.StoreSales{{StoreID: "s1", Sales: 10, TotalFen: storetest.SumTotals(1, 10)}}
		if got := salesByStore(t, db); !slices.Equal(got, want) {
			t.Fatalf("SalesByStore = %+v, want %+v", got, want)
		}
		waitFor(t, "acks counted", func() bool { return in.Stats().Acked == 2 })
		if st := in.Stats(); st.Applied != 10 || st.Duplicates != 10 {
			t.Fatalf("Stats = %+v", st)
		}
	})
	t.Run("Reordered", func(t *testing.T) {
		b, db := startBroker(t), openStore(t)
		startIngester(t, b.URL(), db, "t1", "")
		agent := newAgentSim(t, b.URL())
		agent.publishBatch(storetest.SaleBatch("s1", "a1", 11, 20))
		wantAck(t, agent.waitAck(), "s1", "a1", 11, 20)
		agent.publishBatch(storetest.SaleBatch("s1", "a1", 1, 10))
		wantAck(t, agent.waitAck(), "s1", "a1", 1, 10)
		want := []central.StoreSales{{StoreID: "s1", Sales: 20, TotalFen: storetest.SumTotals(1, 20)}}
		if got := salesByStore(t, db); !slices.Equal(got, want) {
			t.Fatalf("SalesByStore = %+v, want %+v", got, want)
		}
	})
	t.Run("OKQueueFullWaits", func(t *testing.T) {
		b, db := startBroker(t), openStore(t)
		in, err := mqtt.NewIngester(mqtt.IngesterConfig{
			BrokerURL: b.URL(), InstanceID: "t1", Topics: topics(t), Workers: 1, QueueSize: 1,
		}, db)
		if err != nil {
			t.Fatalf("NewIngester: %v", err)
		}
		if err := in.Start(t.Context()); err != nil {
			t.Fatalf("Start: %v", err)
		}
		t.Cleanup(in.Close)
		waitFor(t, "subscribed", in.Subscribed)
		agent := newAgentSim(t, b.URL())
		const batches = 30
		for i := range uint64(batches) {
			agent.publishBatch(storetest.SaleBatch("s1", "a1", i*10+1, i*10+10))
		}
		for range batches {
			agent.waitAck()
		}
		// Nothing is dropped for want of queue space: every batch waits.
		waitFor(t, "acks counted", func() bool { return in.Stats().Acked == batches })
		if st := in.Stats(); st.Applied != batches*10 {
			t.Fatalf("Stats = %+v", st)
		}
	})
	t.Run("ErrNotAcked", testRejected)
	t.Run("ErrStoreFailedNotAcked", func(t *testing.T) {
		b, db := startBroker(t), openStore(t)
		in := startIngester(t, b.URL(), db, "t1", "")
		agent := newAgentSim(t, b.URL())
		if err := db.Close(); err != nil {
			t.Fatalf("close db: %v", err)
		}
		agent.publishBatch(storetest.SaleBatch("s1", "a1", 1, 3))
		waitFor(t, "store failure counted", func() bool { return in.Stats().Failed == 1 })
		agent.noMoreAcks()
	})
	t.Run("SharedSubscription", testShared)
}

// testRejected sends messages that cannot be trusted, each on its own
// agent's topic, then a good batch: only the good one is acked, and the
// ingester keeps running.
func testRejected(t *testing.T) {
	b, db := startBroker(t), openStore(t)
	in := startIngester(t, b.URL(), db, "t1", "")
	agent := newAgentSim(t, b.URL())
	tp := topics(t)
	newer := storetest.SaleBatch("s1", "bad3", 1, 1)
	newer.SchemaVersion = syncproto.SchemaVersion + 1
	newerBytes, err := proto.Marshal(newer)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	wrongTopic, err := proto.Marshal(storetest.SaleBatch("s1", "a1", 1, 1))
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	bad := []struct {
		topic   string
		payload []byte
	}{
		{tp.Up("s1", "bad1"), []byte("this is not protobuf \xff\xff\xff")},
		{tp.Up("s1", "bad2"), nil},
		{tp.Up("s1", "bad3"), newerBytes},
		{tp.Up("s2", "bad4"), wrongTopic}, // a1's batch on bad4's topic
	}
	for _, m := range bad {
		agent.publish(m.topic, m.payload)
	}
	waitFor(t, "rejections counted", func() bool { return in.Stats().Rejected == int64(len(bad)) })
	agent.noMoreAcks()
	agent.publishBatch(storetest.SaleBatch("s1", "good", 1, 2))
	wantAck(t, agent.waitAck(), "s1", "good", 1, 2)
	agent.noMoreAcks()
	want := []central.StoreSales{{StoreID: "s1", Sales: 2, TotalFen: storetest.SumTotals(1, 2)}}
	if got := salesByStore(t, db); !slices.Equal(got, want) {
		t.Fatalf("SalesByStore = %+v, want %+v", got, want)
	}
}

// testShared runs two ingesters on one shared subscription: every batch is
// stored and acked, and the sum of their work is each event once.
func testShared(t *testing.T) {
	b, db := startBroker(t), openStore(t)
	in1 := startIngester(t, b.URL(), db, "i1", "central")
	in2 := startIngester(t, b.URL(), db, "i2", "central")
	agent := newAgentSim(t, b.URL())
	const batches = 20
	for i := range batches {
		agent.publishBatch(storetest.SaleBatch("s1", fmt.Sprintf("a%d", i%4), uint64(i/4*5+1), uint64(i/4*5+5)))
	}
	for range batches {
		agent.waitAck()
	}
	s1, s2 := in1.Stats(), in2.Stats()
	if s1.Applied+s2.Applied != batches*5 || s1.Batches+s2.Batches != batches {
		t.Fatalf("stats %+v and %+v, want %d batches and %d events applied in total", s1, s2, batches, batches*5)
	}
	if got := salesByStore(t, db); len(got) != 1 || got[0].Sales != batches*5 {
		t.Fatalf("SalesByStore = %+v", got)
	}
}

func TestNewIngester(t *testing.T) {
	tp := topics(t)
	tests := []struct {
		name string
		cfg  mqtt.IngesterConfig
	}{
		{"ErrNoBroker", mqtt.IngesterConfig{InstanceID: "x", Topics: tp}},
		{"ErrInstance", mqtt.IngesterConfig{BrokerURL: "tcp://127.0.0.1:1", InstanceID: "a/b", Topics: tp}},
		{"ErrTopics", mqtt.IngesterConfig{BrokerURL: "tcp://127.0.0.1:1", InstanceID: "x"}},
		{"ErrGroup", mqtt.IngesterConfig{BrokerURL: "tcp://127.0.0.1:1", InstanceID: "x", Topics: tp, SharedGroup: "a+"}},
		{"ErrAuthMode", mqtt.IngesterConfig{BrokerURL: "tcp://127.0.0.1:1", InstanceID: "x", Topics: tp, Auth: "closed"}},
		{"ErrSignedNoKeys", mqtt.IngesterConfig{BrokerURL: "tcp://127.0.0.1:1", InstanceID: "x", Topics: tp, Auth: mqtt.AuthSigned}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := mqtt.NewIngester(tt.cfg, nil); err == nil {
				t.Fatal("NewIngester succeeded")
			}
		})
	}
}

func TestIngester_Start(t *testing.T) {
	t.Run("OKBrokerDownRetries", func(t *testing.T) {
		b := startBroker(t)
		addr := b.Addr()
		if err := b.Close(); err != nil {
			t.Fatalf("close broker: %v", err)
		}
		in, err := mqtt.NewIngester(mqtt.IngesterConfig{
			BrokerURL: "tcp://" + addr, InstanceID: "t1", Topics: topics(t), ConnectWait: 50 * time.Millisecond,
		}, openStore(t))
		if err != nil {
			t.Fatalf("NewIngester: %v", err)
		}
		if err := in.Start(t.Context()); err != nil {
			t.Fatalf("Start with the broker down: %v", err)
		}
		if in.Subscribed() {
			t.Fatal("Subscribed with the broker down")
		}
		in.Close()
	})
	t.Run("OKResubscribesAfterBrokerRestart", func(t *testing.T) {
		b, db := startBroker(t), openStore(t)
		addr := b.Addr()
		in, err := mqtt.NewIngester(mqtt.IngesterConfig{
			BrokerURL: b.URL(), InstanceID: "t1", Topics: topics(t), MaxBackoff: 200 * time.Millisecond,
		}, db)
		if err != nil {
			t.Fatalf("NewIngester: %v", err)
		}
		if err := in.Start(t.Context()); err != nil {
			t.Fatalf("Start: %v", err)
		}
		t.Cleanup(in.Close)
		waitFor(t, "subscribed", in.Subscribed)
		if err := b.Close(); err != nil {
			t.Fatalf("close broker: %v", err)
		}
		b2, err := mqtt.StartBroker(addr, nil)
		if err != nil {
			t.Fatalf("restart broker on %s: %v", addr, err)
		}
		t.Cleanup(func() {
			if err := b2.Close(); err != nil {
				t.Errorf("close broker: %v", err)
			}
		})
		agent := newAgentSim(t, b2.URL())
		// The restarted broker has no session: only a resubscribe in the
		// on-connect handler gets the batch to the ingester. Resend until
		// acked, as an agent does.
		var got ackMsg
		for acked := false; !acked; {
			agent.publishBatch(storetest.SaleBatch("s1", "a1", 1, 2))
			select {
			case got = <-agent.acks:
				acked = true
			case <-time.After(500 * time.Millisecond):
			}
		}
		wantAck(t, got, "s1", "a1", 1, 2)
	})
}
