package main

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/url"
	"slices"
	"time"
	_ "time/tzdata" // reports.time_zone must not depend on the host's zoneinfo

	"github.com/tillsync/tillsync/central"
	centralhttp "github.com/tillsync/tillsync/central/http"
	"github.com/tillsync/tillsync/central/mqtt"
	"github.com/tillsync/tillsync/syncproto"
)

// Config is central's whole configuration, as read from the config file,
// TILLSYNC_* environment variables and flags (in rising precedence).
type Config struct {
	ChainID string `mapstructure:"chain_id"`
	// InstanceID names this central process; the MQTT client id is
	// tillsync-central-<instance_id>, so every instance needs its own.
	InstanceID string         `mapstructure:"instance_id"`
	Broker     BrokerConfig   `mapstructure:"broker"`
	Database   DatabaseConfig `mapstructure:"database"`
	HTTP       HTTPConfig     `mapstructure:"http"`
	Ingest     IngestConfig   `mapstructure:"ingest"`
	Log        LogConfig      `mapstructure:"log"`
	Auth       AuthConfig     `mapstructure:"auth"`
	// Dashboard is the HQ dashboard (off without a users file).
	Dashboard DashboardConfig `mapstructure:"dashboard"`
	// Reports tunes the HQ reports (report command, /v1/reports/...).
	Reports ReportsConfig `mapstructure:"reports"`
	// Tiers turns the customer pyramid into member tiers (classify).
	Tiers TiersConfig `mapstructure:"tiers"`
	// Rebate is the year-end rebate (points rebate).
	Rebate RebateConfig `mapstructure:"rebate"`
	// Members is the member master (personal data keys).
	Members MembersConfig `mapstructure:"members"`
}

// BrokerConfig is the MQTT section.
type BrokerConfig struct {
	Mode        string `mapstructure:"mode"`   // BrokerEmbedded or BrokerExternal
	Listen      string `mapstructure:"listen"` // embedded broker's TCP address
	URL         string `mapstructure:"url"`    // external broker, tcp://host:port
	Username    string `mapstructure:"username"`
	Password    string `mapstructure:"password"`
	TopicPrefix string `mapstructure:"topic_prefix"`
	SharedGroup string `mapstructure:"shared_group"` // "" = plain subscription
	// TLS is used with an external broker whose url is ssl://, tls://,
	// mqtts://, tcps:// or wss://.
	TLS BrokerTLSConfig `mapstructure:"tls"`
}

// BrokerTLSConfig is the broker.tls section: how central verifies an
// external broker and, where the broker asks for one, its client
// certificate. There is no setting that turns verification off; a broker
// with a private CA is trusted through ca_file.
type BrokerTLSConfig struct {
	// CAFile is a PEM file of the CAs the broker's certificate must chain
	// to; empty trusts the system's roots.
	CAFile string `mapstructure:"ca_file"`
	// CertFile and KeyFile are the PEM client certificate and key; both
	// or neither.
	CertFile string `mapstructure:"cert_file"`
	KeyFile  string `mapstructure:"key_file"`
	// ServerName is the name the broker's certificate must carry; empty
	// takes the url's host.
	ServerName string `mapstructure:"server_name"`
}

// files returns the section as the ingester takes it.
func (t BrokerTLSConfig) files() syncproto.TLSFiles {
	return syncproto.TLSFiles{CAFile: t.CAFile, CertFile: t.CertFile, KeyFile: t.KeyFile, ServerName: t.ServerName}
}

// DatabaseConfig is the database section.
type DatabaseConfig struct {
	Driver string `mapstructure:"driver"` // DriverSQLite or DriverPostgres
	Path   string `mapstructure:"path"`   // the SQLite file (sqlite)
	// DSN is the PostgreSQL connection string (postgres): a postgres://
	// URL or libpq key=value pairs. It may hold a password; never log it.
	DSN string `mapstructure:"dsn"`
}

// HTTPConfig is the HQ API section.
type HTTPConfig struct {
	Listen string `mapstructure:"listen"`
}

// IngestConfig tunes the batch ingester.
type IngestConfig struct {
	Workers    int           `mapstructure:"workers"`
	QueueSize  int           `mapstructure:"queue_size"`
	AckTimeout time.Duration `mapstructure:"ack_timeout"`
	// ReservationTTL is how long an approved online redemption holds the
	// member's points before the sale that uses them syncs.
	ReservationTTL time.Duration `mapstructure:"reservation_ttl"`
	// DeltaWindow is the most deltas a store catching up is sent; further
	// behind, it gets a snapshot.
	DeltaWindow int `mapstructure:"delta_window"`
}

// LogConfig is the logging section.
type LogConfig struct {
	Level  string `mapstructure:"level"`  // debug, info, warn, error
	Format string `mapstructure:"format"` // text or json
}

// Broker modes and database drivers.
const (
	BrokerEmbedded = "embedded"
	BrokerExternal = "external"
	DriverSQLite   = "sqlite"
	DriverPostgres = "postgres"
)

// DefaultConfig returns the configuration used for every key the file,
// environment and flags leave unset.
func DefaultConfig() Config {
	return Config{
		ChainID:    "demo",
		InstanceID: "main",
		// 18830, not 1883: a system Mosquitto often owns 1883.
		Broker:    BrokerConfig{Mode: BrokerEmbedded, Listen: "127.0.0.1:18830", TopicPrefix: syncproto.DefaultPrefix},
		Database:  DatabaseConfig{Driver: DriverSQLite, Path: "tillsync-central.db"},
		HTTP:      HTTPConfig{Listen: "127.0.0.1:8090"},
		Auth:      AuthConfig{Mode: AuthOpen},
		Dashboard: DashboardConfig{SessionTTL: centralhttp.DefaultSessionTTL},
		Ingest: IngestConfig{
			Workers: mqtt.DefaultWorkers, QueueSize: mqtt.DefaultQueueSize, AckTimeout: mqtt.DefaultAckTimeout,
			ReservationTTL: central.DefaultReservationTTL, DeltaWindow: mqtt.DefaultDeltaWindow,
		},
		Log:     LogConfig{Level: "info", Format: "text"},
		Reports: ReportsConfig{TimeZone: central.DefaultReportTimeZone, PointValueFenPer100: central.DefaultPointValueFenPer100},
		Tiers:   defaultTiersConfig(),
		Rebate:  defaultRebateConfig(),
	}
}

// problems collects validation problems, each naming its key and value.
type problems []string

func (p *problems) add(key string, val any, msg string) {
	*p = append(*p, fmt.Sprintf("%s: %q %s", key, fmt.Sprint(val), msg))
}

// Validate returns every problem in c, sorted, each naming its key and
// value; none means c is usable.
func (c *Config) Validate() []string {
	var p problems
	if err := syncproto.ValidID(c.ChainID); err != nil {
		p.add("chain_id", c.ChainID, "is not a valid id: "+err.Error())
	}
	if err := syncproto.ValidID(c.InstanceID); err != nil {
		p.add("instance_id", c.InstanceID, "is not a valid id: "+err.Error())
	}
	c.Broker.validate(&p)
	c.Auth.validate(&p)
	c.Dashboard.validate(&p)
	c.Reports.validate(&p)
	c.Tiers.validate(&p)
	c.Rebate.validate(&p, c.Tiers.Ordering)
	if _, err := central.ParseKeyring(c.Members.Keys); err != nil {
		// The value is a secret: the problem names the key only.
		p.add("members.keys", "(not shown)", central.ErrorMessage(err))
	}
	switch c.Database.Driver {
	case DriverSQLite:
		if c.Database.Path == "" {
			p.add("database.path", c.Database.Path, "is required with database.driver sqlite")
		}
	case DriverPostgres:
		// Only checked for presence: the value may hold a password, and
		// postgres.Open reports a malformed one without it.
		if c.Database.DSN == "" {
			p.add("database.dsn", c.Database.DSN, "is required with database.driver postgres")
		}
	default:
		p.add("database.driver", c.Database.Driver, "must be sqlite or postgres")
	}
	if _, _, err := net.SplitHostPort(c.HTTP.Listen); err != nil {
		p.add("http.listen", c.HTTP.Listen, "is not host:port")
	}
	if c.Ingest.Workers < 1 || c.Ingest.Workers > 64 {
		p.add("ingest.workers", c.Ingest.Workers, "must be 1 to 64")
	}
	if c.Ingest.QueueSize < 1 || c.Ingest.QueueSize > 100000 {
		p.add("ingest.queue_size", c.Ingest.QueueSize, "must be 1 to 100000")
	}
	if c.Ingest.ReservationTTL < time.Minute || c.Ingest.ReservationTTL > 24*time.Hour {
		p.add("ingest.reservation_ttl", c.Ingest.ReservationTTL, "must be from 1m to 24h: long enough for a basket to be paid")
	}
	if c.Ingest.DeltaWindow < 1 || c.Ingest.DeltaWindow > 1000 {
		p.add("ingest.delta_window", c.Ingest.DeltaWindow, "must be from 1 to 1000")
	}
	if c.Ingest.AckTimeout < 100*time.Millisecond {
		p.add("ingest.ack_timeout", c.Ingest.AckTimeout, "must be at least 100ms")
	}
	if _, err := parseLevel(c.Log.Level); err != nil {
		p.add("log.level", c.Log.Level, "must be debug, info, warn or error")
	}
	if c.Log.Format != "text" && c.Log.Format != "json" {
		p.add("log.format", c.Log.Format, "must be text or json")
	}
	slices.Sort(p)
	return p
}

func (b *BrokerConfig) validate(p *problems) {
	switch b.Mode {
	case BrokerEmbedded:
		if _, _, err := net.SplitHostPort(b.Listen); err != nil {
			p.add("broker.listen", b.Listen, "is not host:port")
		}
		if b.URL != "" {
			p.add("broker.url", b.URL, "is only used with broker.mode external; set the mode or clear the url")
		}
		// The embedded broker listens in plain text; TLS settings here
		// would promise an encryption that does not happen.
		for _, f := range [][2]string{{syncproto.TLSFieldCAFile, b.TLS.CAFile}, {syncproto.TLSFieldCertFile, b.TLS.CertFile},
			{syncproto.TLSFieldKeyFile, b.TLS.KeyFile}, {syncproto.TLSFieldServerName, b.TLS.ServerName}} {
			if f[1] != "" {
				p.add("broker.tls."+f[0], f[1], "is only used with broker.mode external")
			}
		}
	case BrokerExternal:
		if u, err := url.Parse(b.URL); err != nil || u.Host == "" || !slices.Contains(
			[]string{"tcp", "ssl", "tls", "mqtt", "mqtts", "tcps", "ws", "wss"}, u.Scheme) {
			p.add("broker.url", b.URL, "must be a URL like tcp://host:port (tcp, ssl, tls, mqtt, mqtts, tcps, ws, wss)")
		} else {
			b.validateTLS(p)
		}
	default:
		p.add("broker.mode", b.Mode, "must be embedded or external")
	}
	if b.Password != "" && b.Username == "" {
		p.add("broker.username", b.Username, "is required when broker.password is set")
	}
	if _, err := syncproto.NewTopics(b.TopicPrefix, "x"); err != nil {
		p.add("broker.topic_prefix", b.TopicPrefix, "is not a valid topic prefix")
	}
	if b.SharedGroup != "" {
		if err := syncproto.ValidID(b.SharedGroup); err != nil {
			p.add("broker.shared_group", b.SharedGroup, "is not a valid group name: "+err.Error())
		}
	}
}

// validateTLS adds the problem with the broker.tls files, if any.
func (b *BrokerConfig) validateTLS(p *problems) {
	_, err := b.TLS.files().Config(b.URL)
	var te *syncproto.TLSError
	switch {
	case err == nil:
	case errors.As(err, &te) && te.Field == syncproto.TLSFieldURL:
		p.add("broker.url", b.URL, "is not a TLS URL (ssl, tls, mqtts, tcps, wss) but broker.tls is set")
	case errors.As(err, &te):
		p.add("broker.tls."+te.Field, te.Value, te.Err.Error())
	default: // Config returns only *TLSError; kept for safety
		p.add("broker.tls", b.URL, err.Error())
	}
}

// brokerURL is the URL the ingester connects to.
func (c *Config) brokerURL(embedded string) string {
	if c.Broker.Mode == BrokerEmbedded {
		return "tcp://" + embedded
	}
	return c.Broker.URL
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	err := l.UnmarshalText([]byte(s))
	return l, err
}

// newLogger builds the process logger from the log section, writing to w.
func newLogger(c LogConfig, w io.Writer) (*slog.Logger, error) {
	level, err := parseLevel(c.Level)
	if err != nil {
		return nil, fmt.Errorf("log.level %q: %w", c.Level, err)
	}
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return slog.New(slog.NewTextHandler(w, opts)), nil
}

// DashboardConfig is the HQ dashboard section. The dashboard is off (its
// routes answer 404) unless UsersFile is set: it is never open by default.
type DashboardConfig struct {
	// UsersFile holds one "name:$pbkdf2-sha256$..." line per user, as
	// tillsync-central users add writes it. Read at start.
	UsersFile string `mapstructure:"users_file"`
	// SessionKey signs the session cookies: base64 of at least 32 bytes,
	// the same on every instance behind one address. Empty: a random key
	// per process (sessions end at a restart). It is a secret; prefer
	// TILLSYNC_DASHBOARD_SESSION_KEY over the file.
	SessionKey string `mapstructure:"session_key"`
	// SessionTTL is how long a login lasts.
	SessionTTL time.Duration `mapstructure:"session_ttl"`
}

func (d *DashboardConfig) validate(p *problems) {
	if d.UsersFile != "" {
		// Read it now, so that config validate catches a bad line before a
		// restart does. The error names the line, never a hash.
		if _, err := centralhttp.LoadUsers(d.UsersFile); err != nil {
			p.add("dashboard.users_file", d.UsersFile, "cannot be used: "+err.Error())
		}
	}
	if _, err := d.sessionKey(); err != nil {
		p.add("dashboard.session_key", "(hidden)", err.Error()) // a secret: never echoed
	}
	if d.SessionTTL < time.Minute || d.SessionTTL > 7*24*time.Hour {
		p.add("dashboard.session_ttl", d.SessionTTL, "must be from 1m to 168h")
	}
}

// sessionKey decodes session_key; nil when it is empty.
func (d *DashboardConfig) sessionKey() ([]byte, error) {
	if d.SessionKey == "" {
		return nil, nil
	}
	key, err := base64.StdEncoding.DecodeString(d.SessionKey)
	if err != nil {
		return nil, errors.New("is not base64 (make one with: head -c 32 /dev/urandom | base64)")
	}
	if len(key) < centralhttp.MinSessionKey {
		return nil, fmt.Errorf("has %d bytes, want at least %d (head -c 32 /dev/urandom | base64)", len(key), centralhttp.MinSessionKey)
	}
	return key, nil
}

// ReportsConfig is the reports section.
type ReportsConfig struct {
	// TimeZone is the chain's IANA time zone: report days, hours and
	// months are its own.
	TimeZone string `mapstructure:"time_zone"`
	// PointValueFenPer100 is what 100 points are worth in fen, for the
	// points liability.
	PointValueFenPer100 int64 `mapstructure:"point_value_fen_per_100_points"`
}

func (r *ReportsConfig) validate(p *problems) {
	if _, err := r.location(); err != nil {
		p.add("reports.time_zone", r.TimeZone, "is not an IANA time zone like Asia/Shanghai")
	}
	if r.PointValueFenPer100 < 1 || r.PointValueFenPer100 > central.MaxPointValueFenPer100 {
		p.add("reports.point_value_fen_per_100_points", r.PointValueFenPer100,
			fmt.Sprintf("must be 1 to %d (100 = 1 fen per point)", central.MaxPointValueFenPer100))
	}
}

// location loads the chain's time zone. An empty name is refused rather
// than read as UTC, which time.LoadLocation would do silently.
func (r *ReportsConfig) location() (*time.Location, error) {
	if r.TimeZone == "" {
		return nil, errors.New("reports.time_zone is empty")
	}
	loc, err := time.LoadLocation(r.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("reports.time_zone %q: %w", r.TimeZone, err)
	}
	return loc, nil
}

// TiersConfig is the tiers section: central.TierPolicy as keys, and how
// often a running central recalculates.
type TiersConfig struct {
	// Mapping names the tier of each pyramid class.
	Mapping TierMappingConfig `mapstructure:"mapping"`
	// Ordering lists every tier, lowest first.
	Ordering []string `mapstructure:"ordering"`
	// Downgrade is never, at_recalculation or after_grace.
	Downgrade string `mapstructure:"downgrade"`
	// GraceDays is the grace of after_grace (0 with the others).
	GraceDays int `mapstructure:"grace_days"`
	// RecalculateEvery is how often a running central classifies and
	// applies tiers; 0 only on demand (tillsync-central classify).
	RecalculateEvery time.Duration `mapstructure:"recalculate_every"`
}

// TierMappingConfig is tiers.mapping, one key per pyramid class.
type TierMappingConfig struct {
	VIP      string `mapstructure:"vip"`
	Big      string `mapstructure:"big"`
	Ordinary string `mapstructure:"ordinary"`
	Small    string `mapstructure:"small"`
}

// MinRecalculateEvery bounds tiers.recalculate_every from below (0 aside):
// a classification reads every member's statistics.
const MinRecalculateEvery = time.Minute

func defaultTiersConfig() TiersConfig {
	d := central.DefaultTierPolicy()
	return TiersConfig{
		Mapping: TierMappingConfig{VIP: d.Mapping["vip"], Big: d.Mapping["big"], Ordinary: d.Mapping["ordinary"],
			Small: d.Mapping["small"]},
		Ordering: d.Ordering, Downgrade: d.Downgrade, GraceDays: d.GraceDays, RecalculateEvery: 24 * time.Hour,
	}
}

// policy returns the section as the domain takes it.
func (t TiersConfig) policy() central.TierPolicy {
	return central.TierPolicy{
		Mapping: map[string]string{central.PyramidVIP.String(): t.Mapping.VIP, central.PyramidBig.String(): t.Mapping.Big,
			central.PyramidOrdinary.String(): t.Mapping.Ordinary, central.PyramidSmall.String(): t.Mapping.Small},
		Ordering: t.Ordering, Downgrade: t.Downgrade, GraceDays: t.GraceDays,
	}
}

func (t *TiersConfig) validate(p *problems) {
	if err := t.policy().Validate(); err != nil {
		p.add("tiers", fmt.Sprintf("%s %v", t.Downgrade, t.Ordering), central.ErrorMessage(err))
	}
	if t.RecalculateEvery != 0 && (t.RecalculateEvery < MinRecalculateEvery || t.RecalculateEvery > 366*24*time.Hour) {
		p.add("tiers.recalculate_every", t.RecalculateEvery, "must be 0 (on demand only) or from 1m to 8784h")
	}
}

// RebateConfig is the rebate section: central.RebatePolicy less the year
// (given per run) and the calendar (reports.time_zone, the chain's zone).
type RebateConfig struct {
	// RatesBP is each tier's rate in basis points of its annual spend
	// (100 = 1 %). A config file's rates replace the defaults whole: a
	// tier it leaves out gets no rebate. The config reader lowercases
	// these keys, so they must match lowercase tier names (checked
	// against tiers.ordering).
	RatesBP map[string]int64 `mapstructure:"rates"`
	// FenPerPoint is the spend one point of rebate is worth, in fen.
	FenPerPoint int64 `mapstructure:"fen_per_point"`
	// UntieredTier is the tier whose rate a card with no tier gets; ""
	// gives such cards nothing.
	UntieredTier string `mapstructure:"untiered_tier"`
	// Expiry is never or end_of_next_year.
	Expiry string `mapstructure:"expiry"`
}

func defaultRebateConfig() RebateConfig {
	return RebateConfig{RatesBP: central.DefaultRebateRatesBP(), FenPerPoint: central.DefaultFenPerPoint,
		UntieredTier: central.DefaultUntieredTier, Expiry: central.RebateExpiryEndOfNextYear}
}

// policy returns the section as the domain takes it for year in loc.
func (r RebateConfig) policy(year int, loc *time.Location) central.RebatePolicy {
	return central.RebatePolicy{Year: year, RatesBP: r.RatesBP, FenPerPoint: r.FenPerPoint,
		UntieredTier: r.UntieredTier, Location: loc, Expiry: r.Expiry}
}

// validate checks the section with a placeholder year and UTC (both are
// checked per run) and that every tier it names is one of ordering.
func (r *RebateConfig) validate(p *problems, ordering []string) {
	if err := r.policy(2000, time.UTC).Validate(); err != nil {
		p.add("rebate", fmt.Sprintf("%v %d %s", r.RatesBP, r.FenPerPoint, r.Expiry), central.ErrorMessage(err))
		return
	}
	for _, tier := range slices.Sorted(maps.Keys(r.RatesBP)) {
		if !slices.Contains(ordering, tier) {
			p.add("rebate.rates."+tier, r.RatesBP[tier], fmt.Sprintf("is the rate of a tier not in tiers.ordering %v", ordering))
		}
	}
	if r.UntieredTier != "" && !slices.Contains(ordering, r.UntieredTier) {
		p.add("rebate.untiered_tier", r.UntieredTier, fmt.Sprintf("is not in tiers.ordering %v", ordering))
	}
}

// MembersConfig is the members section.
type MembersConfig struct {
	// Keys seal the members' personal fields at rest (central.ParseKeyring:
	// id:base64 pairs, comma-separated, the first active). Best set by
	// the environment (TILLSYNC_MEMBERS_KEYS), not written in the file.
	Keys string `mapstructure:"keys"`
	// CollectIDNumbers keeps ID numbers found in imports (sealed); off,
	// such rows are refused.
	CollectIDNumbers bool `mapstructure:"collect_id_numbers"`
	// EnrollmentKeyFile holds central's private key for the personal data
	// tills seal at enrollment (members absorb); "" for none.
	EnrollmentKeyFile string `mapstructure:"enrollment_key_file"`
}

// keyring parses the keys (Validate has checked them).
func (m MembersConfig) keyring() (*central.Keyring, error) {
	k, err := central.ParseKeyring(m.Keys)
	if err != nil {
		return nil, fmt.Errorf("config members.keys: %w", err)
	}
	return k, nil
}
