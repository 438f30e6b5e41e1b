package mqtt

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/tillsync/tillsync/syncproto"
)

// Defaults applied by NewUplink to zero Config fields.
const (
	DefaultBatchSize            = 200
	DefaultWindow               = 4
	DefaultAckTimeout           = 10 * time.Second
	DefaultConnectTimeout       = 10 * time.Second
	DefaultKeepAlive            = 30 * time.Second
	DefaultRetryInterval        = 5 * time.Second
	DefaultMaxReconnectInterval = 30 * time.Second
	maxAckTimeout               = time.Hour
	// KeySize is the length of a batch-signing key: SHA-256's output
	// size, the least RFC 2104 §3 recommends, and what
	// tillsync-central agents add generates.
	KeySize = 32
	// ClientIDPrefix precedes the agent id in the default MQTT client id.
	ClientIDPrefix = "tillsync-agent-"
)

// Config configures an Uplink. Zero values take the defaults above.
type Config struct {
	// BrokerURL is the broker's address, e.g. tcp://127.0.0.1:1883 or
	// ssl://broker.example:8883.
	BrokerURL string
	// Username and Password are optional broker credentials.
	Username, Password string
	// TLS is the CA, client certificate and server name for an ssl://,
	// tls://, mqtts://, tcps:// or wss:// BrokerURL; zero verifies the
	// broker against the system's roots. Setting it with a plain-text URL
	// is an error.
	TLS syncproto.TLSFiles
	// Topics names the chain's topics; build it with syncproto.NewTopics.
	Topics syncproto.Topics
	// StoreID and AgentID are this agent's topic levels and identity.
	StoreID, AgentID string
	// Key is the agent's provisioned batch-signing key, KeySize bytes
	// (DESIGN §5 rule 6). Every batch is signed with it; empty sends
	// unsigned batches, which a central in signed mode rejects.
	Key []byte
	// ClientID is the MQTT client id; default ClientIDPrefix + AgentID. It
	// must be stable and unique per agent: two clients with one id make
	// the broker disconnect each other in a loop.
	ClientID string
	// BatchSize is the most events one batch carries (default 200).
	BatchSize int
	// Window is the most batches in flight, sent and not yet acked
	// (default 4). It bounds what the broker has to queue for central.
	Window int
	// AckTimeout is how long a batch waits for its Ack before it is sent
	// again (default 10s); each further unanswered send doubles the wait,
	// up to 16 × AckTimeout, until the next connection. The journal is also
	// polled at this interval, so a missed Notify delays a sale by at most
	// AckTimeout.
	AckTimeout time.Duration
	// ConnectTimeout and KeepAlive are paho's (defaults 10s and 30s).
	ConnectTimeout, KeepAlive time.Duration
	// RetryInterval is the pause between failed first connection attempts
	// and between retries of a failed ledger read or ack subscription
	// (default 5s).
	RetryInterval time.Duration
	// MaxReconnectInterval caps paho's exponential reconnect backoff
	// (default 30s; paho's own default of 10 minutes would leave a store
	// unsynced long after the link came back).
	MaxReconnectInterval time.Duration
	// Now is the uplink's clock (SentAtMs, ack deadlines); nil is time.Now.
	Now func() time.Time
	// Logger receives the uplink's logs; nil discards them.
	Logger *slog.Logger

	// tlsConfig is built from TLS by withDefaults; nil for plain text.
	tlsConfig *tls.Config
}

// withDefaults returns cfg with defaults applied, or an error wrapping
// ErrInvalidConfig that names the bad field.
func (cfg Config) withDefaults() (Config, error) {
	if err := cfg.validate(); err != nil {
		return cfg, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	tc, err := cfg.TLS.Config(cfg.BrokerURL)
	if err != nil {
		return cfg, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	cfg.tlsConfig = tc
	if cfg.ClientID == "" {
		cfg.ClientID = ClientIDPrefix + cfg.AgentID
	}
	setDefault(&cfg.BatchSize, DefaultBatchSize)
	setDefault(&cfg.Window, DefaultWindow)
	setDefault(&cfg.AckTimeout, DefaultAckTimeout)
	setDefault(&cfg.ConnectTimeout, DefaultConnectTimeout)
	setDefault(&cfg.KeepAlive, DefaultKeepAlive)
	setDefault(&cfg.RetryInterval, DefaultRetryInterval)
	setDefault(&cfg.MaxReconnectInterval, DefaultMaxReconnectInterval)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return cfg, nil
}

func setDefault[T int | time.Duration](v *T, def T) {
	if *v == 0 {
		*v = def
	}
}

func (cfg Config) validate() error {
	if err := validBrokerURL(cfg.BrokerURL); err != nil {
		return err
	}
	if cfg.Topics.Chain == "" || cfg.Topics.Prefix == "" {
		return fmt.Errorf("topics: not set (use syncproto.NewTopics)")
	}
	if err := syncproto.ValidID(cfg.StoreID); err != nil {
		return fmt.Errorf("store id %q: %w", cfg.StoreID, err)
	}
	if err := syncproto.ValidID(cfg.AgentID); err != nil {
		return fmt.Errorf("agent id %q: %w", cfg.AgentID, err)
	}
	if len(cfg.Key) != 0 && len(cfg.Key) != KeySize {
		// The length only: a key never goes into an error message.
		return fmt.Errorf("key: %d bytes, want %d", len(cfg.Key), KeySize)
	}
	for _, f := range []struct {
		name string
		v    int64
	}{
		{"batch size", int64(cfg.BatchSize)},
		{"window", int64(cfg.Window)},
		{"ack timeout", int64(cfg.AckTimeout)},
		{"connect timeout", int64(cfg.ConnectTimeout)},
		{"keep alive", int64(cfg.KeepAlive)},
		{"retry interval", int64(cfg.RetryInterval)},
		{"max reconnect interval", int64(cfg.MaxReconnectInterval)},
	} {
		if f.v < 0 {
			return fmt.Errorf("%s %d: negative", f.name, f.v)
		}
	}
	if cfg.AckTimeout > maxAckTimeout {
		// Also keeps the resend backoff (16 × AckTimeout) far from overflow.
		return fmt.Errorf("ack timeout %s: above %s", cfg.AckTimeout, maxAckTimeout)
	}
	if cfg.KeepAlive != 0 && cfg.KeepAlive < time.Second {
		// MQTT carries keep-alive in whole seconds; paho would send 0,
		// which turns keep-alive off.
		return fmt.Errorf("keep alive %s: below one second", cfg.KeepAlive)
	}
	return nil
}

// brokerScheme reports whether paho dials URLs of scheme.
func brokerScheme(scheme string) bool {
	switch scheme {
	case "tcp", "mqtt", "ssl", "tls", "mqtts", "tcps", "ws", "wss", "unix":
		return true
	}
	return false
}

func validBrokerURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("broker url %q: %w", raw, err)
	}
	if !brokerScheme(u.Scheme) {
		return fmt.Errorf("broker url %q: scheme %q is not one paho dials (tcp, mqtt, ssl, tls, mqtts, tcps, ws, wss, unix)", raw, u.Scheme)
	}
	if u.Host == "" && u.Scheme != "unix" {
		return fmt.Errorf("broker url %q: no host", raw)
	}
	return nil
}
