package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

func TestConfig_Validate(t *testing.T) {
	t.Run("OKDefault", func(t *testing.T) {
		c := DefaultConfig()
		if p := c.Validate(); len(p) != 0 {
			t.Fatalf("DefaultConfig problems: %v", p)
		}
	})
	t.Run("OKExternal", func(t *testing.T) {
		c := DefaultConfig()
		c.Broker.Mode, c.Broker.URL, c.Broker.Listen = BrokerExternal, "tcp://mq.example:1883", ""
		c.Broker.Username, c.Broker.Password, c.Broker.SharedGroup = "central", "secret", "central"
		if p := c.Validate(); len(p) != 0 {
			t.Fatalf("problems: %v", p)
		}
	})
	t.Run("OKPostgres", func(t *testing.T) {
		c := DefaultConfig()
		c.Database.Driver, c.Database.DSN = DriverPostgres, "postgres://central@db.example/tillsync"
		if p := c.Validate(); len(p) != 0 {
			t.Fatalf("problems: %v", p)
		}
	})
	tests := []struct {
		name  string
		spoil func(c *Config)
		key   string // every problem starts with its key
	}{
		{"ErrChainID", func(c *Config) { c.ChainID = "a/b" }, "chain_id"},
		{"ErrInstanceID", func(c *Config) { c.InstanceID = "" }, "instance_id"},
		{"ErrBrokerMode", func(c *Config) { c.Broker.Mode = "builtin" }, "broker.mode"},
		{"ErrBrokerListen", func(c *Config) { c.Broker.Listen = "18830" }, "broker.listen"},
		{"ErrBrokerURLWithEmbedded", func(c *Config) { c.Broker.URL = "tcp://x:1883" }, "broker.url"},
		{"ErrBrokerURL", func(c *Config) { c.Broker.Mode, c.Broker.URL = BrokerExternal, "http://x" }, "broker.url"},
		{"ErrBrokerURLMissing", func(c *Config) { c.Broker.Mode = BrokerExternal }, "broker.url"},
		{"ErrPasswordWithoutUser", func(c *Config) { c.Broker.Password = "p" }, "broker.username"},
		{"ErrTopicPrefix", func(c *Config) { c.Broker.TopicPrefix = "a/+/b" }, "broker.topic_prefix"},
		{"ErrSharedGroup", func(c *Config) { c.Broker.SharedGroup = "a b" }, "broker.shared_group"},
		{"ErrDriver", func(c *Config) { c.Database.Driver = "mysql" }, "database.driver"},
		{"ErrPath", func(c *Config) { c.Database.Path = "" }, "database.path"},
		{"ErrDSNMissing", func(c *Config) { c.Database.Driver = DriverPostgres }, "database.dsn"},
		{"ErrHTTPListen", func(c *Config) { c.HTTP.Listen = "localhost" }, "http.listen"},
		{"ErrWorkers", func(c *Config) { c.Ingest.Workers = 0 }, "ingest.workers"},
		{"ErrQueueSize", func(c *Config) { c.Ingest.QueueSize = -1 }, "ingest.queue_size"},
		{"ErrAckTimeout", func(c *Config) { c.Ingest.AckTimeout = time.Millisecond }, "ingest.ack_timeout"},
		{"ErrLogLevel", func(c *Config) { c.Log.Level = "loud" }, "log.level"},
		{"ErrLogFormat", func(c *Config) { c.Log.Format = "xml" }, "log.format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			tt.spoil(&c)
			p := c.Validate()
			if len(p) != 1 || !strings.HasPrefix(p[0], tt.key+": ") {
				t.Fatalf("problems = %q, want one for %s", p, tt.key)
			}
		})
	}
	t.Run("ErrEveryProblem", func(t *testing.T) {
		c := DefaultConfig()
		var keys []string
		for _, tt := range tests {
			if tt.key == "broker.mode" || strings.HasPrefix(tt.key, "broker.url") ||
				tt.key == "database.driver" || tt.key == "database.dsn" {
				continue // these change which other broker or database keys are checked
			}
			tt.spoil(&c)
			keys = append(keys, tt.key)
		}
		p := c.Validate()
		for _, key := range keys {
			if !slices.ContainsFunc(p, func(s string) bool { return strings.HasPrefix(s, key+": ") }) {
				t.Errorf("no problem for %s in %q", key, p)
			}
		}
	})
}

// exampleConfig is the commented example shipped with the binary.
var exampleConfig = filepath.Join("..", "..", "..", "configs", "central.yaml")

func TestLoadConfig(t *testing.T) {
	t.Run("OKExampleFileIsDefaults", func(t *testing.T) {
		c, err := loadConfig(exampleConfig, nil)
		if err != nil {
			t.Fatalf("loadConfig(%s): %v", exampleConfig, err)
		}
		if p := c.Validate(); len(p) != 0 {
			t.Fatalf("%s problems: %v", exampleConfig, p)
		}
		// The example documents the defaults: a changed default must be
		// changed there too.
		if want := DefaultConfig(); !reflect.DeepEqual(c, want) {
			t.Fatalf("%s = %+v\nwant DefaultConfig %+v", exampleConfig, c, want)
		}
	})
	t.Run("OKPrecedence", func(t *testing.T) {
		path := writeFile(t, "c.yaml", "broker:\n  listen: 127.0.0.1:1111\nhttp:\n  listen: 127.0.0.1:2222\ningest:\n  workers: 2\n")
		t.Setenv("TILLSYNC_BROKER_LISTEN", "127.0.0.1:3333")
		t.Setenv("TILLSYNC_INGEST_ACK_TIMEOUT", "3s")
		flags := pflag.NewFlagSet("t", pflag.ContinueOnError)
		flags.String("http-listen", "", "")
		bindFlag(flags, "http-listen", "http.listen")
		if err := flags.Parse([]string{"--http-listen", "127.0.0.1:4444"}); err != nil {
			t.Fatalf("parse flags: %v", err)
		}
		c, err := loadConfig(path, flags)
		if err != nil {
			t.Fatalf("loadConfig: %v", err)
		}
		if c.Broker.Listen != "127.0.0.1:3333" || c.HTTP.Listen != "127.0.0.1:4444" ||
			c.Ingest.Workers != 2 || c.Ingest.AckTimeout != 3*time.Second || c.ChainID != "demo" {
			t.Fatalf("config = %+v; want env over file, flag over file, defaults elsewhere", c)
		}
	})
	t.Run("ErrUnknownKey", func(t *testing.T) {
		_, err := loadConfig(writeFile(t, "c.yaml", "brokr:\n  listen: x\n"), nil)
		if err == nil || !strings.Contains(err.Error(), "brokr") {
			t.Fatalf("err = %v, want one naming brokr", err)
		}
	})
	t.Run("ErrMissingFile", func(t *testing.T) {
		if _, err := loadConfig(filepath.Join(t.TempDir(), "none.yaml"), nil); err == nil {
			t.Fatal("loadConfig of a missing file succeeded")
		}
	})
}

func TestConfigFile(t *testing.T) {
	t.Chdir(t.TempDir())
	if got, err := configFile(""); err != nil || got != "" {
		t.Fatalf("configFile without ./central.yaml = %q, %v; want none", got, err)
	}
	if got, err := configFile("x.yaml"); err != nil || got != "x.yaml" {
		t.Fatalf("configFile(x.yaml) = %q, %v", got, err)
	}
	if err := os.WriteFile(localConfigFile, []byte("chain_id: demo\n"), 0o600); err != nil {
		t.Fatalf("write: %v", err)
	}
	if got, err := configFile(""); err != nil || got != localConfigFile {
		t.Fatalf("configFile with ./central.yaml = %q, %v", got, err)
	}
}

// writeFile writes content to name in a new temp dir and returns its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatalf("write %s: %v", path, err)
	}
	return path
}

func TestConfig_ValidateBrokerTLS(t *testing.T) {
	cert, key := selfSignedPair(t)
	junk := writeFile(t, "junk.pem", "no certificate here\n")
	tests := []struct {
		name      string
		mode, url string
		tls       BrokerTLSConfig
		want      string // "" = no problem, else the one problem's start
	}{
		{"OKSystemRoots", BrokerExternal, "ssl://mq.example:8883", BrokerTLSConfig{}, ""},
		{"OKFiles", BrokerExternal, "mqtts://mq.example:8883", BrokerTLSConfig{CAFile: cert, CertFile: cert, KeyFile: key, ServerName: "mq"}, ""},
		{"ErrEmbedded", BrokerEmbedded, "", BrokerTLSConfig{CAFile: cert}, `broker.tls.ca_file: "` + cert + `" is only used with broker.mode external`},
		{"ErrPlainURL", BrokerExternal, "tcp://mq.example:1883", BrokerTLSConfig{CAFile: cert}, `broker.url: "tcp://mq.example:1883" is not a TLS URL`},
		{"ErrCAMissing", BrokerExternal, "ssl://mq:8883", BrokerTLSConfig{CAFile: cert + ".none"}, `broker.tls.ca_file: "` + cert + `.none" cannot be read`},
		{"ErrCANoCertificate", BrokerExternal, "ssl://mq:8883", BrokerTLSConfig{CAFile: junk}, `broker.tls.ca_file: "` + junk + `" holds no PEM certificate`},
		{"ErrCertWithoutKey", BrokerExternal, "ssl://mq:8883", BrokerTLSConfig{CertFile: cert}, `broker.tls.key_file: "" is required with cert_file`},
		{"ErrKeyWithoutCert", BrokerExternal, "ssl://mq:8883", BrokerTLSConfig{KeyFile: key}, `broker.tls.cert_file: "" is required with key_file`},
		{"ErrKeyIsNoKey", BrokerExternal, "ssl://mq:8883", BrokerTLSConfig{CertFile: cert, KeyFile: junk}, `broker.tls.cert_file: "` + cert + `" with key_file`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			c.Broker.Mode, c.Broker.URL, c.Broker.TLS = tt.mode, tt.url, tt.tls
			p := c.Validate()
			if tt.want == "" {
				if len(p) != 0 {
					t.Fatalf("problems %q", p)
				}
				return
			}
			if len(p) != 1 || !strings.HasPrefix(p[0], tt.want) {
				t.Fatalf("problems %q, want one starting %q", p, tt.want)
			}
		})
	}
	t.Run("OKFromEnvironment", func(t *testing.T) {
		t.Setenv("TILLSYNC_BROKER_TLS_CA_FILE", cert)
		t.Setenv("TILLSYNC_BROKER_TLS_KEY_FILE", key)
		c, err := loadConfig("", nil)
		if err != nil {
			t.Fatal(err)
		}
		if f := c.Broker.TLS.files(); f.CAFile != cert || f.KeyFile != key || f.CertFile != "" {
			t.Errorf("broker.tls = %+v", f)
		}
	})
}

// selfSignedPair writes a self-signed CA certificate and its key as PEM
// files: the certificate serves as ca_file and cert_file alike.
func selfSignedPair(t *testing.T) (certPath, keyPath string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPath = writeFile(t, "cert.pem", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})))
	keyPath = writeFile(t, "key.pem", string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})))
	return certPath, keyPath
}
