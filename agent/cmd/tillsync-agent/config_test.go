package main

import (
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
