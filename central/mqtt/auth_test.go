package mqtt_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/tillsync/tillsync/central"
	"github.com/tillsync/tillsync/central/mqtt"
	"github.com/tillsync/tillsync/central/storetest"
	"github.com/tillsync/tillsync/syncproto"
)

// startSignedIngester runs an ingester in signed mode with keys for agents
// a1 and a2 of store s1.
func startSignedIngester(t *testing.T, brokerURL string, store mqtt.BatchStore) *mqtt.Ingester {
	t.Helper()
	keys, err := mqtt.ParseKeys(strings.NewReader(mqtt.KeyLine("s1", "a1", testKey(1)) + mqtt.KeyLine("s1", "a2", testKey(2))))
	if err != nil {
		t.Fatalf("ParseKeys: %v", err)
	}
	in, err := mqtt.NewIngester(mqtt.IngesterConfig{
		BrokerURL: brokerURL, InstanceID: "signed", Topics: topics(t), Workers: 2,
		Auth: mqtt.AuthSigned, Keys: keys,
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

// signed returns a sale batch of agent in store s1, signed with key (none
// when key is nil).
func signed(t *testing.T, agent string, first, last uint64, key []byte) *syncproto.Batch {
	t.Helper()
	b := storetest.SaleBatch("s1", agent, first, last)
	if key != nil {
		if err := syncproto.SignBatch(b, key); err != nil {
			t.Fatalf("SignBatch: %v", err)
		}
	}
	return b
}

func TestIngester_Signed(t *testing.T) {
	t.Run("OKSignedAcked", func(t *testing.T) {
		b, db := startBroker(t), openStore(t)
		in := startSignedIngester(t, b.URL(), db)
		agent := newAgentSim(t, b.URL())
		agent.publishBatch(signed(t, "a1", 1, 5, testKey(1)))
		wantAck(t, agent.waitAck(), "s1", "a1", 1, 5)
		if st := in.Stats(); st.Rejected != 0 || st.Applied != 5 {
			t.Fatalf("Stats = %+v", st)
		}
	})
	tp := topics(t)
	for _, tt := range []struct {
		name  string
		topic string // "" = the batch's own topic
		batch func(t *testing.T) *syncproto.Batch
		want  mqtt.Rejections
	}{
		{"ErrUnsigned", "", func(t *testing.T) *syncproto.Batch { return signed(t, "a1", 1, 5, nil) },
			mqtt.Rejections{Unsigned: 1}},
		{"ErrForged", "", func(t *testing.T) *syncproto.Batch { return signed(t, "a1", 1, 5, testKey(9)) },
			mqtt.Rejections{BadSignature: 1}},
		{"ErrOtherAgentsKey", "", func(t *testing.T) *syncproto.Batch { return signed(t, "a1", 1, 5, testKey(2)) },
			mqtt.Rejections{BadSignature: 1}},
		{"ErrUnknownAgent", "", func(t *testing.T) *syncproto.Batch { return signed(t, "a9", 1, 5, testKey(1)) },
			mqtt.Rejections{UnknownAgent: 1}},
		// a2's own batch, correctly signed by a2, published on a1's topic.
		{"ErrMismatch", tp.Up("s1", "a1"), func(t *testing.T) *syncproto.Batch { return signed(t, "a2", 1, 5, testKey(2)) },
			mqtt.Rejections{Mismatch: 1}},
		{"ErrTampered", "", func(t *testing.T) *syncproto.Batch {
			b := signed(t, "a1", 1, 5, testKey(1))
			b.Events[0].WallTimeMs++
			return b
		}, mqtt.Rejections{BadSignature: 1}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b, db := startBroker(t), openStore(t)
			in := startSignedIngester(t, b.URL(), db)
			agent := newAgentSim(t, b.URL())
			bad := tt.batch(t)
			topic := tt.topic
			if topic == "" {
				topic = tp.Up(bad.GetStoreId(), bad.GetAgentId())
			}
			agent.publish(topic, marshal(t, bad))
			waitFor(t, "rejection counted", func() bool { return in.Stats().Rejected == 1 })
			if got := in.Stats().RejectedBy; got != tt.want {
				t.Errorf("RejectedBy = %+v, want %+v", got, tt.want)
			}
			agent.noMoreAcks()
			// The sender's next good batch and another agent's still flow.
			agent.publishBatch(signed(t, "a1", 1, 3, testKey(1)))
			wantAck(t, agent.waitAck(), "s1", "a1", 1, 3)
			agent.publishBatch(signed(t, "a2", 1, 2, testKey(2)))
			wantAck(t, agent.waitAck(), "s1", "a2", 1, 2)
			agent.noMoreAcks()
			want := []central.StoreSales{{StoreID: "s1", Sales: 5, TotalFen: storetest.SumTotals(1, 3) + storetest.SumTotals(1, 2)}}
			if got := salesByStore(t, db); !slices.Equal(got, want) {
				t.Fatalf("SalesByStore = %+v, want %+v", got, want)
			}
		})
	}
	t.Run("OKSetKeys", func(t *testing.T) {
		b, db := startBroker(t), openStore(t)
		in := startSignedIngester(t, b.URL(), db)
		agent := newAgentSim(t, b.URL())
		agent.publishBatch(signed(t, "a3", 1, 1, testKey(3)))
		waitFor(t, "rejection counted", func() bool { return in.Stats().RejectedBy.UnknownAgent == 1 })
		keys, err := mqtt.ParseKeys(strings.NewReader(mqtt.KeyLine("s1", "a3", testKey(3))))
		if err != nil {
			t.Fatalf("ParseKeys: %v", err)
		}
		in.SetKeys(keys)
		agent.publishBatch(signed(t, "a3", 1, 1, testKey(3)))
		wantAck(t, agent.waitAck(), "s1", "a3", 1, 1)
	})
}

func TestIngester_OpenIgnoresSignature(t *testing.T) {
	b, db := startBroker(t), openStore(t)
	in := startIngester(t, b.URL(), db, "open", "")
	agent := newAgentSim(t, b.URL())
	agent.publishBatch(signed(t, "a1", 1, 2, nil))
	wantAck(t, agent.waitAck(), "s1", "a1", 1, 2)
	agent.publishBatch(signed(t, "a1", 3, 4, testKey(9)))
	wantAck(t, agent.waitAck(), "s1", "a1", 3, 4)
	// A mismatch is refused in every mode.
	agent.publish(topics(t).Up("s1", "a2"), marshal(t, signed(t, "a1", 5, 5, nil)))
	waitFor(t, "mismatch counted", func() bool { return in.Stats().RejectedBy.Mismatch == 1 })
	agent.noMoreAcks()
}

func marshal(t *testing.T, b *syncproto.Batch) []byte {
	t.Helper()
	p, err := syncproto.EncodeBatch(b)
	if err != nil {
		t.Fatalf("EncodeBatch: %v", err)
	}
	return p
}
