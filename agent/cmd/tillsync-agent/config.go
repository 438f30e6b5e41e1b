package main

import (
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/tillsync/tillsync/agent"
	"github.com/tillsync/tillsync/agent/mqtt"
	"github.com/tillsync/tillsync/syncproto"
)

// Config is the agent's whole configuration, as read from the config file,
// TILLSYNC_* environment variables and flags (in rising precedence).
type Config struct {
	ChainID string       `mapstructure:"chain_id"`
	StoreID string       `mapstructure:"store_id"`
	AgentID string       `mapstructure:"agent_id"`
	Ledger  LedgerConfig `mapstructure:"ledger"`
	API     APIConfig    `mapstructure:"api"`
	Uplink  UplinkConfig `mapstructure:"uplink"`
	Enroll  EnrollConfig `mapstructure:"enroll"`
	Lanes   []LaneConfig `mapstructure:"lanes"`
	Log     LogConfig    `mapstructure:"log"`
}

// LedgerConfig is the ledger section.
type LedgerConfig struct {
	Path        string        `mapstructure:"path"`
	LockTimeout time.Duration `mapstructure:"lock_timeout"`
	// Retention is how long acked journal entries are kept before they
	// are compacted away; 0 keeps them for ever.
	Retention time.Duration `mapstructure:"retention"`
}

// APIConfig is the local API section.
type APIConfig struct {
	Listen string `mapstructure:"listen"`
}

// UplinkConfig is the link to central.
type UplinkConfig struct {
	Mode        string        `mapstructure:"mode"` // UplinkMQTT or UplinkOff
	BrokerURL   string        `mapstructure:"broker_url"`
	Username    string        `mapstructure:"username"`
	Password    string        `mapstructure:"password"`
	TopicPrefix string        `mapstructure:"topic_prefix"`
	BatchSize   int           `mapstructure:"batch_size"`
	Window      int           `mapstructure:"window"`
	AckTimeout  time.Duration `mapstructure:"ack_timeout"`
	// OnlineTimeout bounds the till's online calls to central (redemption
	// authorisation, unknown cards) before it falls back to its offline
	// rules.
	OnlineTimeout time.Duration `mapstructure:"online_timeout"`
	// Key is standard base64 of the agent's 32-byte batch-signing key
	// (DESIGN §5 rule 6), as tillsync-central agents add prints it;
	// KeyFile names a file holding that base64 instead, so the secret can
	// stay out of the config file. At most one is set; neither sends
	// unsigned batches, which a central in signed mode rejects.
	Key     string `mapstructure:"key"`
	KeyFile string `mapstructure:"key_file"`
	// TLS is used when broker_url is ssl://, tls://, mqtts://, tcps:// or
	// wss://.
	TLS UplinkTLSConfig `mapstructure:"tls"`
}

// UplinkTLSConfig is the uplink.tls section: how the agent verifies the
// broker and, where the broker asks for one, its client certificate. There
// is no setting that turns verification off; a broker with a private CA
// is trusted through ca_file.
type UplinkTLSConfig struct {
	// CAFile is a PEM file of the CAs the broker's certificate must chain
	// to; empty trusts the system's roots.
	CAFile string `mapstructure:"ca_file"`
	// CertFile and KeyFile are the PEM client certificate and key; both
	// or neither.
	CertFile string `mapstructure:"cert_file"`
	KeyFile  string `mapstructure:"key_file"`
	// ServerName is the name the broker's certificate must carry; empty
	// takes broker_url's host.
	ServerName string `mapstructure:"server_name"`
}

// files returns the section as the uplink takes it.
func (t UplinkTLSConfig) files() syncproto.TLSFiles {
	return syncproto.TLSFiles{CAFile: t.CAFile, CertFile: t.CertFile, KeyFile: t.KeyFile, ServerName: t.ServerName}
}

// EnrollConfig is enrollment at the till (DESIGN §3, enrollment). The
// card number block stands in until central delivers blocks; BlockEnd 0
// means none. Without CentralPublicKey enrollment is off.
type EnrollConfig struct {
	CardPrefix string `mapstructure:"card_prefix"`
	BlockStart uint64 `mapstructure:"block_start"`
	BlockEnd   uint64 `mapstructure:"block_end"`
	// CentralPublicKey is standard base64 of central's 32-byte NaCl box
	// public key: personal fields are sealed to it.
	CentralPublicKey string `mapstructure:"central_public_key"`
	// CollectIDNumber lets the till take ID-document numbers; off unless
	// the chain turns it on (DESIGN §3, privacy).
	CollectIDNumber bool `mapstructure:"collect_id_number"`
}

// LogConfig is the logging section.
type LogConfig struct {
	Level  string `mapstructure:"level"`  // debug, info, warn, error
	Format string `mapstructure:"format"` // text or json
}

// Uplink modes.
const (
	UplinkMQTT = "mqtt"
	UplinkOff  = "off"
)

// DefaultConfig returns the configuration used for every key the file,
// environment and flags leave unset.
func DefaultConfig() Config {
	return Config{
		ChainID: "demo",
		StoreID: "store-1",
		AgentID: "store-1-agent-1",
		Ledger:  LedgerConfig{Path: "tillsync-agent.db", LockTimeout: time.Second, Retention: 30 * 24 * time.Hour},
		API:     APIConfig{Listen: "127.0.0.1:8080"},
		Uplink: UplinkConfig{
			Mode: UplinkMQTT, BrokerURL: "tcp://127.0.0.1:18830", TopicPrefix: syncproto.DefaultPrefix,
			BatchSize: 200, Window: 4, AckTimeout: 10 * time.Second, OnlineTimeout: 2 * time.Second,
		},
		Enroll: EnrollConfig{CardPrefix: "8800"},
		Log:    LogConfig{Level: "info", Format: "text"},
	}
}

// Validate returns every problem in c, each naming its key and value.
func (c *Config) Validate() []string {
	var p []string
	add := func(key string, val any, msg string) {
		p = append(p, fmt.Sprintf("%s: %q %s", key, fmt.Sprint(val), msg))
	}
	for key, id := range map[string]string{"chain_id": c.ChainID, "store_id": c.StoreID, "agent_id": c.AgentID} {
		if err := syncproto.ValidID(id); err != nil {
			add(key, id, "is not a valid id: "+err.Error())
		}
	}
	if c.Ledger.Path == "" {
		add("ledger.path", c.Ledger.Path, "is required")
	}
	if c.Ledger.LockTimeout <= 0 {
		add("ledger.lock_timeout", c.Ledger.LockTimeout, "must be positive")
	}
	if c.Ledger.Retention < 0 {
		add("ledger.retention", c.Ledger.Retention, "must not be negative")
	}
	if _, _, err := net.SplitHostPort(c.API.Listen); err != nil {
		add("api.listen", c.API.Listen, "is not host:port")
	}
	switch c.Uplink.Mode {
	case UplinkOff:
	case UplinkMQTT:
		p = append(p, c.Uplink.validate()...)
	default:
		add("uplink.mode", c.Uplink.Mode, "must be mqtt or off")
	}
	p = append(p, c.Enroll.validate()...)
	p = append(p, validateLanes(c.Lanes)...)
	if _, err := parseLevel(c.Log.Level); err != nil {
		add("log.level", c.Log.Level, "must be debug, info, warn or error")
	}
	if c.Log.Format != "text" && c.Log.Format != "json" {
		add("log.format", c.Log.Format, "must be text or json")
	}
	return sorted(p)
}

func (u *UplinkConfig) validate() []string {
	var p []string
	add := func(key string, val any, msg string) {
		p = append(p, fmt.Sprintf("%s: %q %s", key, fmt.Sprint(val), msg))
	}
	if pu, err := url.Parse(u.BrokerURL); err != nil || pu.Host == "" ||
		!slices.Contains([]string{"tcp", "ssl", "tls", "mqtt", "mqtts", "tcps", "ws", "wss"}, pu.Scheme) {
		add("uplink.broker_url", u.BrokerURL, "must be a URL like tcp://host:port (tcp, ssl, tls, mqtt, mqtts, tcps, ws, wss)")
	} else if prob := tlsProblem(u.TLS.files(), u.BrokerURL); prob != "" {
		p = append(p, prob)
	}
	if _, err := syncproto.NewTopics(u.TopicPrefix, "x"); err != nil {
		add("uplink.topic_prefix", u.TopicPrefix, "is not a valid topic prefix")
	}
	if u.BatchSize < 1 || u.BatchSize > 5000 {
		add("uplink.batch_size", u.BatchSize, "must be 1 to 5000")
	}
	if u.Window < 1 || u.Window > 64 {
		add("uplink.window", u.Window, "must be 1 to 64")
	}
	if u.OnlineTimeout < 100*time.Millisecond || u.OnlineTimeout > time.Minute {
		add("uplink.online_timeout", u.OnlineTimeout, "must be from 100ms to 1m: the cashier waits this long at most")
	}
	if u.AckTimeout < 100*time.Millisecond {
		add("uplink.ack_timeout", u.AckTimeout, "must be at least 100ms")
	}
	if _, err := u.signingKey(); err != nil {
		// The problem never quotes the key: it is a secret.
		p = append(p, err.Error())
	}
	return p
}

// tlsProblem returns the problem with the uplink.tls section for
// brokerURL, naming its key, or "" when the files load.
func tlsProblem(f syncproto.TLSFiles, brokerURL string) string {
	_, err := f.Config(brokerURL)
	var te *syncproto.TLSError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &te) && te.Field == syncproto.TLSFieldURL:
		return fmt.Sprintf("uplink.broker_url: %q is not a TLS URL (ssl, tls, mqtts, tcps, wss) but uplink.tls is set", brokerURL)
	case errors.As(err, &te):
		return fmt.Sprintf("uplink.tls.%s: %q %v", te.Field, te.Value, te.Err)
	}
	return "uplink.tls: " + err.Error()
}

// signingKey returns the batch-signing key from uplink.key or the file
// uplink.key_file names, or nil when neither is set. Its errors name the
// key and never hold the secret.
func (u *UplinkConfig) signingKey() ([]byte, error) {
	text, key := u.Key, "uplink.key"
	switch {
	case u.Key != "" && u.KeyFile != "":
		return nil, fmt.Errorf("uplink.key_file: %q cannot be set with uplink.key; set one", u.KeyFile)
	case u.KeyFile != "":
		b, err := os.ReadFile(u.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("uplink.key_file: %q cannot be read: %w", u.KeyFile, err)
		}
		text, key = strings.TrimSpace(string(b)), "uplink.key_file"
	case u.Key == "":
		return nil, nil
	}
	k, err := base64.StdEncoding.DecodeString(text)
	if err != nil || len(k) != mqtt.KeySize {
		return nil, fmt.Errorf("%s: must hold standard base64 of a %d-byte key, as tillsync-central agents add prints", key, mqtt.KeySize)
	}
	return k, nil
}

func (e *EnrollConfig) validate() []string {
	var p []string
	switch {
	case e.BlockEnd == 0 && e.BlockStart != 0:
		p = append(p, fmt.Sprintf("enroll.block_end: %q must be set with enroll.block_start", fmt.Sprint(e.BlockEnd)))
	case e.BlockEnd != 0:
		if err := e.block().Validate(); err != nil {
			p = append(p, fmt.Sprintf("enroll.card_prefix/block_start/block_end: %q %d..%d: %s", e.CardPrefix, e.BlockStart, e.BlockEnd, agent.ErrorMessage(err)))
		}
	}
	if e.CentralPublicKey != "" {
		if _, err := agent.ParseCentralKey(e.CentralPublicKey); err != nil {
			// The key is public, but a mangled one is best not echoed whole.
			p = append(p, "enroll.central_public_key: "+agent.ErrorMessage(err))
		}
	}
	return p
}

// block is the configured enrollment block.
func (e *EnrollConfig) block() agent.EnrollBlock {
	return agent.EnrollBlock{Prefix: e.CardPrefix, Start: e.BlockStart, End: e.BlockEnd, Next: e.BlockStart}
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	err := l.UnmarshalText([]byte(s))
	return l, err
}

// sorted sorts p in place (map iteration above is random) and returns it.
func sorted(p []string) []string {
	slices.Sort(p)
	return p
}

// newLogger builds the process logger from the log section.
func newLogger(c LogConfig) (*slog.Logger, error) {
	level, err := parseLevel(c.Level)
	if err != nil {
		return nil, fmt.Errorf("log.level %q: %w", c.Level, err)
	}
	opts := &slog.HandlerOptions{Level: level}
	if strings.EqualFold(c.Format, "json") {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts)), nil
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts)), nil
}
