package mqtt_test

import (
	"errors"
	"testing"

	"github.com/tillsync/tillsync/central/mqtt"
	"github.com/tillsync/tillsync/syncproto"
	"github.com/tillsync/tillsync/syncproto/tlstest"
)

func TestNewIngester_TLS(t *testing.T) {
	pki := tlstest.New(t)
	cfg := mqtt.IngesterConfig{BrokerURL: "ssl://127.0.0.1:8883", InstanceID: "main", Topics: topics(t), TLS: pki.Files()}
	t.Run("OK", func(t *testing.T) {
		if _, err := mqtt.NewIngester(cfg, openStore(t)); err != nil {
			t.Fatalf("NewIngester: %v", err)
		}
	})
	t.Run("ErrKeyFile", func(t *testing.T) {
		bad := cfg
		bad.TLS.KeyFile += ".none"
		var te *syncproto.TLSError
		if _, err := mqtt.NewIngester(bad, openStore(t)); !errors.As(err, &te) || te.Field != syncproto.TLSFieldKeyFile {
			t.Fatalf("NewIngester = %v, want a syncproto.TLSError for key_file", err)
		}
	})
	t.Run("ErrPlainURL", func(t *testing.T) {
		bad := cfg
		bad.BrokerURL = "tcp://127.0.0.1:1883"
		var te *syncproto.TLSError
		if _, err := mqtt.NewIngester(bad, openStore(t)); !errors.As(err, &te) || te.Field != syncproto.TLSFieldURL {
			t.Fatalf("NewIngester = %v, want a syncproto.TLSError for the url", err)
		}
	})
}
