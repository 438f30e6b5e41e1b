package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/tillsync/tillsync/central"
	centralhttp "github.com/tillsync/tillsync/central/http"
	"github.com/tillsync/tillsync/central/mqtt"
	"github.com/tillsync/tillsync/syncproto"
)

// shutdownTimeout bounds how long Close waits for HTTP requests in flight.
const shutdownTimeout = 10 * time.Second

// Main is a running central, built from a Config. Tests reuse it.
type Main struct {
	Config Config
	Logger *slog.Logger     // nil: a discarding logger
	Now    func() time.Time // nil: time.Now

	DB       central.Store // *sqlite.DB or *postgres.DB, per database.driver
	Broker   *mqtt.Broker  // nil with an external broker
	Ingester *mqtt.Ingester
	Server   *centralhttp.Server

	dbName string // the database for logs: a file, or host:port/db (never a password)
}

// NewMain returns a Main for cfg; nothing is opened until Run.
func NewMain(cfg Config, logger *slog.Logger) *Main { return &Main{Config: cfg, Logger: logger} }

// Run validates the config, opens the database, starts the embedded broker
// (in embedded mode), the HQ API and the ingester, logs their addresses and
// returns; they run until Close. On error it closes what it opened.
func (m *Main) Run(ctx context.Context) error {
	if problems := m.Config.Validate(); len(problems) > 0 {
		return fmt.Errorf("invalid config: %s", problems)
	}
	if m.Logger == nil {
		m.Logger = slog.New(slog.DiscardHandler)
	}
	if m.Now == nil {
		m.Now = time.Now
	}
	if err := m.start(ctx); err != nil {
		return errors.Join(err, m.Close())
	}
	m.Logger.Info("central running", "instance", m.Config.InstanceID, "chain", m.Config.ChainID,
		"broker", m.brokerURL(), "http", m.Server.Addr(), "database", m.dbName)
	return nil
}

func (m *Main) start(ctx context.Context) error {
	c := m.Config
	topics, err := syncproto.NewTopics(c.Broker.TopicPrefix, c.ChainID)
	if err != nil {
		return fmt.Errorf("topics: %w", err)
	}
	if err := m.openDB(ctx); err != nil {
		return err
	}
	if c.Broker.Mode == BrokerEmbedded {
		if m.Broker, err = mqtt.StartBroker(c.Broker.Listen, m.Logger.With("component", "broker")); err != nil {
			return err
		}
	}
	m.Server = centralhttp.NewServer(m.DB, m.Logger)
	if err := m.setReportOptions(); err != nil {
		return err
	}
	if err := m.enableDashboard(); err != nil {
		return err
	}
	if err := m.Server.Open(c.HTTP.Listen); err != nil {
		return err
	}
	auth, keys, err := m.ingestAuth()
	if err != nil {
		return err
	}
	m.Ingester, err = mqtt.NewIngester(mqtt.IngesterConfig{
		BrokerURL: m.brokerURL(), InstanceID: c.InstanceID, Username: c.Broker.Username,
		Password: c.Broker.Password, TLS: c.Broker.TLS.files(), Topics: topics, SharedGroup: c.Broker.SharedGroup,
		Workers: c.Ingest.Workers, QueueSize: c.Ingest.QueueSize, AckTimeout: c.Ingest.AckTimeout,
		ReservationTTL: c.Ingest.ReservationTTL, DeltaWindow: c.Ingest.DeltaWindow,
		Now: m.Now, Logger: m.Logger, Auth: auth, Keys: keys,
	}, m.DB)
	if err != nil {
		return err
	}
	in := m.Ingester
	m.Server.SetMetrics(func() []centralhttp.Sample { return ingesterSamples(in) })
	return m.Ingester.Start(ctx)
}

// enableDashboard turns the HQ dashboard on when dashboard.users_file is
// set; without it the dashboard stays off and member data stays the
// localhost API.
func (m *Main) enableDashboard() error {
	d := m.Config.Dashboard
	if d.UsersFile == "" {
		m.Logger.Info("dashboard off: dashboard.users_file is not set")
		return nil
	}
	users, err := centralhttp.LoadUsers(d.UsersFile)
	if err != nil {
		return fmt.Errorf("dashboard: %w", err)
	}
	key, err := d.sessionKey()
	if err != nil {
		return fmt.Errorf("dashboard.session_key %w", err)
	}
	memberKeys, err := m.Config.Members.keyring()
	if err != nil {
		return err
	}
	if err := m.Server.EnableDashboard(centralhttp.DashboardOptions{
		Users: users, SessionKey: key, SessionTTL: d.SessionTTL, Now: m.Now, MemberKeys: memberKeys,
	}); err != nil {
		return err
	}
	m.Logger.Info("dashboard on: serve it behind TLS", "path", "/dashboard/", "users", users.Len())
	return nil
}

// openDB opens the store database.driver names.
func (m *Main) openDB(ctx context.Context) error {
	db, name, err := openStore(ctx, m.Config, m.Logger.With("component", "database"), m.Now, false)
	if err != nil {
		return err
	}
	m.DB, m.dbName = db, name
	return nil
}

// brokerURL is where the ingester connects: the embedded broker's actual
// address, or the configured external broker.
func (m *Main) brokerURL() string {
	if m.Broker != nil {
		return m.Broker.URL()
	}
	return m.Config.Broker.URL
}

// Close stops the ingester first (the batch each worker holds is stored
// and acked), then the API, the broker and the database. It returns every
// error met and is safe after a failed Run.
func (m *Main) Close() error {
	var errs []error
	if m.Ingester != nil {
		m.Ingester.Close()
	}
	if m.Server != nil {
		ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		errs = append(errs, m.Server.Close(ctx))
		cancel()
	}
	if m.Broker != nil {
		errs = append(errs, m.Broker.Close())
	}
	if m.DB != nil {
		errs = append(errs, m.DB.Close())
	}
	return errors.Join(errs...)
}
