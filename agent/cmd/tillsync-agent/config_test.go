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
	"strings"
	"testing"
	"time"
)

func TestConfig_ShippedFileIsValid(t *testing.T) {
	c, err := loadConfig(filepath.Join("..", "..", "..", "configs", "agent.yaml"), nil)
	if err != nil {
		t.Fatalf("load configs/agent.yaml: %v", err)
	}
	if p := c.Validate(); len(p) > 0 {
		t.Fatalf("configs/agent.yaml has problems: %v", p)
	}
	// The shipped file documents the defaults: they must agree.
	if !reflect.DeepEqual(c, DefaultConfig()) {
		t.Errorf("configs/agent.yaml differs from DefaultConfig():\nfile:    %+v\ndefault: %+v", c, DefaultConfig())
	}
}

func TestConfig_Validate(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(*Config)
		wants []string // each must appear in some problem
	}{
		{"OK", func(*Config) {}, nil},
		{"ErrIDs", func(c *Config) { c.StoreID = "a/b"; c.AgentID = "" }, []string{"store_id", "agent_id"}},
		{"ErrLedger", func(c *Config) { c.Ledger.Path = ""; c.Ledger.LockTimeout = 0 }, []string{"ledger.path", "ledger.lock_timeout"}},
		{"ErrListen", func(c *Config) { c.API.Listen = "8080" }, []string{`api.listen: "8080"`}},
		{"ErrUplink", func(c *Config) {
			c.Uplink.BrokerURL = "http://x"
			c.Uplink.Window = 0
			c.Uplink.BatchSize = 100000
			c.Uplink.AckTimeout = time.Millisecond
		}, []string{"uplink.broker_url", "uplink.window", "uplink.batch_size", "uplink.ack_timeout"}},
		{"ErrMode", func(c *Config) { c.Uplink.Mode = "carrier-pigeon" }, []string{"uplink.mode"}},
		{"OKUplinkOff", func(c *Config) { c.Uplink.Mode = UplinkOff; c.Uplink.BrokerURL = "" }, nil},
		{"ErrLog", func(c *Config) { c.Log.Level = "loud"; c.Log.Format = "xml" }, []string{"log.level", "log.format"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			tt.edit(&c)
			got := c.Validate()
			if len(got) != len(tt.wants) {
				t.Fatalf("got %d problems %q, want %d", len(got), got, len(tt.wants))
			}
			for _, w := range tt.wants {
				if !strings.Contains(strings.Join(got, "\n"), w) {
					t.Errorf("no problem mentions %q in %q", w, got)
				}
			}
		})
	}
}

func TestLoadConfig_Precedence(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.yaml")
	if err := os.WriteFile(path, []byte("store_id: from-file\napi:\n  listen: 127.0.0.1:1\nuplink:\n  ack_timeout: 3s\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TILLSYNC_API_LISTEN", "127.0.0.1:2")
	t.Setenv("TILLSYNC_UPLINK_WINDOW", "9")
	cmd := newRunCmd()
	if err := cmd.Flags().Set("store-id", "from-flag"); err != nil {
		t.Fatal(err)
	}
	c, err := loadConfig(path, cmd.Flags())
	if err != nil {
		t.Fatal(err)
	}
	if c.StoreID != "from-flag" || c.API.Listen != "127.0.0.1:2" || c.Uplink.Window != 9 || c.Uplink.AckTimeout != 3*time.Second {
		t.Errorf("got store %q listen %q window %d ack %v", c.StoreID, c.API.Listen, c.Uplink.Window, c.Uplink.AckTimeout)
	}
	if c.Ledger.Path != DefaultConfig().Ledger.Path {
		t.Errorf("unset key ledger.path = %q, want default", c.Ledger.Path)
	}
}

func TestLoadConfig_Err(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"unknown key":  "store_id: s\nsotre_id: typo\n",
		"bad duration": "uplink:\n  ack_timeout: soon\n",
		"bad yaml":     "store_id: [\n",
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".yaml")
			if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := loadConfig(path, nil); err == nil {
				t.Fatalf("loadConfig accepted %q", body)
			}
		})
	}
	if _, err := loadConfig(filepath.Join(dir, "missing.yaml"), nil); err == nil {
		t.Error("loadConfig accepted a missing file")
	}
}

func TestConfig_LanesExample(t *testing.T) {
	c, err := loadConfig(filepath.Join("..", "..", "..", "configs", "lanes.example.yaml"), nil)
	if err != nil {
		t.Fatalf("load configs/lanes.example.yaml: %v", err)
	}
	if p := c.Validate(); len(p) > 0 {
		t.Fatalf("configs/lanes.example.yaml has problems: %v", p)
	}
	kinds := map[string]bool{}
	for _, l := range c.Lanes {
		for _, d := range l.Devices {
			kinds[d.Kind] = true
		}
	}
	reg, err := newRegistry(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range reg.Kinds() {
		if !kinds[k] {
			t.Errorf("configs/lanes.example.yaml has no example of device kind %q", k)
		}
	}
	bad := c
	bad.Lanes = append([]LaneConfig{}, c.Lanes...)
	bad.Lanes = append(bad.Lanes, LaneConfig{ID: "lane-1", Devices: []DeviceConfig{{ID: "lane-1-scanner", Kind: "telepathy", Path: "/dev/x"}}})
	got := strings.Join(bad.Validate(), "\n")
	for _, want := range []string{`lanes[3].id: lane "lane-1" is listed twice`, `lanes[3].devices[0].id: device "lane-1-scanner" is listed twice`} {
		if !strings.Contains(got, want) {
			t.Errorf("problems %q do not include %q", got, want)
		}
	}
}

func TestConfig_ValidateTLS(t *testing.T) {
	cert, key := selfSignedPair(t)
	junk := filepath.Join(t.TempDir(), "junk.pem")
	if err := os.WriteFile(junk, []byte("no certificate here\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		url  string
		tls  UplinkTLSConfig
		want string // "" = no problem, else the one problem's start
	}{
		{"OKSystemRoots", "ssl://broker.example:8883", UplinkTLSConfig{}, ""},
		{"OKFiles", "mqtts://broker.example:8883", UplinkTLSConfig{CAFile: cert, CertFile: cert, KeyFile: key, ServerName: "mq"}, ""},
		{"OKTcps", "tcps://broker.example:8883", UplinkTLSConfig{CAFile: cert}, ""},
		{"ErrPlainURL", "tcp://broker.example:1883", UplinkTLSConfig{CAFile: cert}, `uplink.broker_url: "tcp://broker.example:1883" is not a TLS URL`},
		{"ErrCAMissing", "ssl://b:8883", UplinkTLSConfig{CAFile: cert + ".none"}, `uplink.tls.ca_file: "` + cert + `.none" cannot be read`},
		{"ErrCANoCertificate", "ssl://b:8883", UplinkTLSConfig{CAFile: junk}, `uplink.tls.ca_file: "` + junk + `" holds no PEM certificate`},
		{"ErrCertWithoutKey", "ssl://b:8883", UplinkTLSConfig{CertFile: cert}, `uplink.tls.key_file: "" is required with cert_file`},
		{"ErrKeyWithoutCert", "ssl://b:8883", UplinkTLSConfig{KeyFile: key}, `uplink.tls.cert_file: "" is required with key_file`},
		{"ErrKeyUnreadable", "ssl://b:8883", UplinkTLSConfig{CertFile: cert, KeyFile: key + ".none"}, `uplink.tls.key_file: "` + key + `.none" cannot be read`},
		{"ErrKeyIsNoKey", "ssl://b:8883", UplinkTLSConfig{CertFile: cert, KeyFile: junk}, `uplink.tls.cert_file: "` + cert + `" with key_file`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			c.Uplink.BrokerURL, c.Uplink.TLS = tt.url, tt.tls
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
		t.Setenv("TILLSYNC_UPLINK_BROKER_URL", "ssl://b:8883")
		t.Setenv("TILLSYNC_UPLINK_TLS_CA_FILE", cert)
		t.Setenv("TILLSYNC_UPLINK_TLS_SERVER_NAME", "mq")
		c, err := loadConfig("", nil)
		if err != nil {
			t.Fatal(err)
		}
		if c.Uplink.TLS.CAFile != cert || c.Uplink.TLS.ServerName != "mq" {
			t.Errorf("uplink.tls = %+v", c.Uplink.TLS)
		}
		if f := c.Uplink.TLS.files(); f.CAFile != cert || f.ServerName != "mq" || f.CertFile != "" {
			t.Errorf("files() = %+v", f)
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
	dir := t.TempDir()
	certPath, keyPath = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	for path, block := range map[string]*pem.Block{certPath: {Type: "CERTIFICATE", Bytes: der}, keyPath: {Type: "PRIVATE KEY", Bytes: keyDER}} {
		if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return certPath, keyPath
}
