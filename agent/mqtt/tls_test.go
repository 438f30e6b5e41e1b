package mqtt

import (
	"errors"
	"strings"
	"testing"

	"github.com/tillsync/tillsync/syncproto/tlstest"
)

func TestNewUplink_TLS(t *testing.T) {
	pki := tlstest.New(t)
	cfg := Config{BrokerURL: "ssl://127.0.0.1:8883", Topics: testTopics(t), StoreID: testStore, AgentID: testAgent, TLS: pki.Files()}
	t.Run("OK", func(t *testing.T) {
		u, err := NewUplink(cfg, newTestLedger(t))
		if err != nil {
			t.Fatalf("NewUplink: %v", err)
		}
		o := u.clientOptions(t.Context())
		if o.TLSConfig == nil || o.TLSConfig.RootCAs == nil || len(o.TLSConfig.Certificates) != 1 || o.TLSConfig.ServerName != "127.0.0.1" {
			t.Errorf("paho TLS config = %+v", o.TLSConfig)
		}
	})
	t.Run("ErrCAFile", func(t *testing.T) {
		bad := cfg
		bad.TLS.CAFile += ".none"
		if _, err := NewUplink(bad, newTestLedger(t)); !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), "ca_file") {
			t.Fatalf("NewUplink = %v, want ErrInvalidConfig naming ca_file", err)
		}
	})
	t.Run("ErrPlainURL", func(t *testing.T) {
		bad := cfg
		bad.BrokerURL = "tcp://127.0.0.1:1883"
		if _, err := NewUplink(bad, newTestLedger(t)); !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), "not a TLS URL") {
			t.Fatalf("NewUplink = %v, want ErrInvalidConfig for the plain URL", err)
		}
	})
}
