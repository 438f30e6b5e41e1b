package mqtt

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tillsync/tillsync/syncproto"
)

func TestNewUplink(t *testing.T) {
	valid := func() Config {
		return Config{BrokerURL: "tcp://127.0.0.1:18830", Topics: testTopics(t), StoreID: testStore, AgentID: testAgent}
	}
	t.Run("OK", func(t *testing.T) {
		u, err := NewUplink(valid(), newTestLedger(t))
		if err != nil {
			t.Fatalf("NewUplink: %v", err)
		}
		c := u.cfg
		if c.ClientID != "tillsync-agent-"+testAgent || c.BatchSize != 200 || c.Window != 4 ||
			c.AckTimeout != 10*time.Second || c.ConnectTimeout != 10*time.Second || c.KeepAlive != 30*time.Second ||
			c.Now == nil || c.Logger == nil {
			t.Errorf("defaults not applied: %+v", c)
		}
		if st := u.Status(); st.Connected || st.InFlight != 0 || !st.LastAckAt.IsZero() {
			t.Errorf("status before Run = %+v, want zero", st)
		}
		if want := "tillsync/v1/chain1/store1/agent1/up"; u.upTopic != want {
			t.Errorf("up topic %q, want %q", u.upTopic, want)
		}
	})
	t.Run("OKClientID", func(t *testing.T) {
		cfg := valid()
		cfg.ClientID = "till-7"
		u, err := NewUplink(cfg, newTestLedger(t))
		if err != nil || u.cfg.ClientID != "till-7" {
			t.Fatalf("NewUplink = %v; client id %q", err, u.cfg.ClientID)
		}
	})
	for _, tt := range []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"ErrBrokerURL", func(c *Config) { c.BrokerURL = "" }, "broker url"},
		{"ErrBrokerScheme", func(c *Config) { c.BrokerURL = "http://x:1" }, `scheme "http"`},
		{"ErrBrokerHost", func(c *Config) { c.BrokerURL = "tcp://" }, "no host"},
		{"ErrTopics", func(c *Config) { c.Topics = syncproto.Topics{} }, "topics"},
		{"ErrStoreID", func(c *Config) { c.StoreID = "a/b" }, "store id"},
		{"ErrAgentID", func(c *Config) { c.AgentID = "" }, "agent id"},
		{"ErrBatchSize", func(c *Config) { c.BatchSize = -1 }, "batch size"},
		{"ErrWindow", func(c *Config) { c.Window = -1 }, "window"},
		{"ErrAckTimeout", func(c *Config) { c.AckTimeout = -time.Second }, "ack timeout"},
		{"ErrAckTimeoutHuge", func(c *Config) { c.AckTimeout = 2 * time.Hour }, "ack timeout"},
		{"ErrKeepAlive", func(c *Config) { c.KeepAlive = time.Millisecond }, "keep alive"},
		{"ErrKeyShort", func(c *Config) { c.Key = make([]byte, 16) }, "key: 16 bytes"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := valid()
			tt.change(&cfg)
			_, err := NewUplink(cfg, newTestLedger(t))
			if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("NewUplink error = %v, want ErrInvalidConfig naming %q", err, tt.want)
			}
		})
	}
	t.Run("ErrNilLedger", func(t *testing.T) {
		if _, err := NewUplink(valid(), nil); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("NewUplink error = %v, want ErrInvalidConfig", err)
		}
	})
}

func TestUplink_Notify(t *testing.T) {
	t.Run("OKNeverBlocks", func(t *testing.T) {
		u := newTestUplink(t, testConfig(t, "tcp://127.0.0.1:1"), newTestLedger(t))
		// Nothing drains the wake-up channel without Run; Notify must
		// still return every time.
		for range 1000 {
			u.Notify()
		}
	})
}
