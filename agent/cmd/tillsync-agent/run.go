package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/tillsync/tillsync/agent"
	"github.com/tillsync/tillsync/agent/bolt"
	agenthttp "github.com/tillsync/tillsync/agent/http"
	"github.com/tillsync/tillsync/agent/importfile"
	"github.com/tillsync/tillsync/agent/mqtt"
	"github.com/tillsync/tillsync/syncproto"
)

// compactEvery is how often acked journal entries past retention are
// compacted; compactMax bounds one pass so it never holds the writer long.
const (
	compactEvery = 10 * time.Minute
	compactMax   = 5000
)

// Main is the running agent, built from a Config. Tests reuse it.
type Main struct {
	Config Config
	Logger *slog.Logger

	Ledger  *bolt.Ledger
	Uplink  *mqtt.Uplink
	Service *agent.Service
	Till    *agent.Till
	Devices *agent.Devices
	Hub     *agenthttp.Hub
	Server  *agenthttp.Server
	// CommitLatency times every sale's ledger commit; /metrics reports it.
	CommitLatency *agenthttp.Histogram

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// NewMain returns a Main for cfg; nothing is opened until Run.
func NewMain(cfg Config) *Main { return &Main{Config: cfg} }

// Run opens the ledger, starts the uplink and the local API, and returns;
// they run until Close. On error, call Close to release what was opened.
func (m *Main) Run(ctx context.Context) error {
	c := m.Config
	if m.Logger == nil {
		l, err := newLogger(c.Log)
		if err != nil {
			return err
		}
		m.Logger = l
		// The process's own logger: libraries that write to the standard
		// log package (gousb's event loop) end up in it too.
		slog.SetDefault(l)
	}
	m.Logger = m.Logger.With("store", c.StoreID, "agent", c.AgentID)

	ledger, err := bolt.Open(c.Ledger.Path, bolt.Options{
		StoreID: c.StoreID, AgentID: c.AgentID, LockTimeout: c.Ledger.LockTimeout,
		Logger: m.Logger.With("component", "ledger"),
	})
	if err != nil {
		return err // names the file and what to do
	}
	m.Ledger = ledger
	m.CommitLatency = agenthttp.NewHistogram(agenthttp.CommitBuckets)
	timed := &timedLedger{Ledger: ledger, observe: m.CommitLatency.Observe, now: time.Now}
	m.Service = &agent.Service{
		StoreID: c.StoreID, AgentID: c.AgentID, Ledger: timed, Now: time.Now, NewID: newID,
	}
	m.Hub = agenthttp.NewHub()
	m.Till = &agent.Till{StoreID: c.StoreID, Store: timed, Now: time.Now, NewID: newID, OnEvent: m.Hub.Publish}
	if err := m.setupEnroll(ctx); err != nil {
		return err
	}

	ctx, m.cancel = context.WithCancel(ctx)
	if c.Uplink.Mode == UplinkMQTT {
		if err := m.startUplink(ctx); err != nil {
			return err
		}
	}
	if err := m.startDevices(ctx); err != nil {
		return err
	}
	m.Server = agenthttp.NewServer(m.Service, m.Till, m.Hub, m.Logger.With("component", "api"))
	m.Server.SetDevices(m.Devices)
	m.Server.SetCommitLatency(m.CommitLatency)
	if err := m.Server.Open(c.API.Listen); err != nil {
		m.Server = nil
		return err
	}
	if c.Ledger.Retention > 0 {
		m.goRun(func() { m.compactLoop(ctx) })
	}
	m.Logger.Info("agent running", "api", m.Server.Addr(), "ledger", c.Ledger.Path,
		"broker", c.Uplink.BrokerURL, "uplink", c.Uplink.Mode)
	return nil
}

func (m *Main) startUplink(ctx context.Context) error {
	c := m.Config
	topics, err := syncproto.NewTopics(c.Uplink.TopicPrefix, c.ChainID)
	if err != nil {
		return fmt.Errorf("uplink topics: %w", err)
	}
	key, err := c.Uplink.signingKey()
	if err != nil {
		return err
	}
	if key == nil {
		m.Logger.Warn("uplink.key is not set: batches go unsigned and a central in signed mode rejects them")
	}
	up, err := mqtt.NewUplink(mqtt.Config{
		BrokerURL: c.Uplink.BrokerURL, Username: c.Uplink.Username, Password: c.Uplink.Password,
		TLS: c.Uplink.TLS.files(), Topics: topics, StoreID: c.StoreID, AgentID: c.AgentID, Key: key,
		BatchSize: c.Uplink.BatchSize, Window: c.Uplink.Window, AckTimeout: c.Uplink.AckTimeout,
		Now: time.Now, Logger: m.Logger.With("component", "uplink"),
	}, m.Ledger)
	if err != nil {
		return fmt.Errorf("uplink: %w", err)
	}
	// Central's streams (catalog, policy, card blocks, central's key, and
	// the store's member records and enrollment block) apply to the
	// ledger; a policy document is parsed as `policy load` parses a file.
	if err := up.EnableDownlink(mqtt.DownlinkConfig{Store: m.Ledger, ParsePolicy: parsePolicyDocument}); err != nil {
		return fmt.Errorf("downlink: %w", err)
	}
	m.Uplink = up
	m.Service.Uplink = up
	m.Till.Uplink = up
	m.Till.Online, m.Till.OnlineTimeout = up, c.Uplink.OnlineTimeout
	m.goRun(func() {
		if err := up.Run(ctx); err != nil {
			m.Logger.Error("uplink stopped", "err", err)
		}
	})
	return nil
}

// setupEnroll gives the ledger the configured enrollment block and the
// till central's key (DESIGN §3, enrollment). A block the ledger refuses
// because it overlaps numbers already used is logged, not fatal: the
// store goes on enrolling from the block it holds.
func (m *Main) setupEnroll(ctx context.Context) error {
	e := m.Config.Enroll
	if e.BlockEnd != 0 {
		err := m.Ledger.SetEnrollBlock(ctx, e.CardPrefix, e.BlockStart, e.BlockEnd)
		switch {
		case agent.ErrorCode(err) == agent.ECONFLICT:
			m.Logger.Warn("enroll block in config not taken", "reason", agent.ErrorMessage(err))
		case err != nil:
			return fmt.Errorf("enroll block: %w", err)
		}
	}
	// Central's key, once its downlink delivered one to the ledger, wins
	// over enroll.central_public_key (agent.CentralKeySource); the
	// configured key is the fallback until then. Without either the till
	// refuses enrollment with a message saying so.
	var key *[32]byte
	if e.CentralPublicKey != "" {
		var err error
		if key, err = agent.ParseCentralKey(e.CentralPublicKey); err != nil {
			return fmt.Errorf("enroll.central_public_key: %w", err)
		}
	} else if m.Config.Uplink.Mode != UplinkMQTT {
		m.Logger.Info("enrollment at the till is off: no enroll.central_public_key and no link to central")
		return nil
	}
	m.Till.EnrollConfig = &agent.EnrollConfig{CentralKey: key, CollectIDNumber: e.CollectIDNumber}
	return nil
}

// startDevices runs the lanes' scanners and card readers.
func (m *Main) startDevices(ctx context.Context) error {
	logger := m.Logger.With("component", "devices")
	reg, err := newRegistry(logger)
	if err != nil {
		return err
	}
	m.Devices = &agent.Devices{Till: m.Till, Registry: reg, Logger: logger}
	wait, err := m.Devices.Start(ctx, laneDevices(m.Config.Lanes))
	if err != nil {
		return err
	}
	m.goRun(wait)
	return nil
}

// newID returns a fresh UUIDv7 (RFC 9562): time-ordered, so ids sort in
// commit order in the ledger and at central.
func newID() (string, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return "", err
	}
	return id.String(), nil
}

func (m *Main) goRun(f func()) {
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		f()
	}()
}

// compactLoop drops acked journal entries older than the retention.
func (m *Main) compactLoop(ctx context.Context) {
	t := time.NewTicker(compactEvery)
	defer t.Stop()
	for {
		n, err := m.Ledger.Compact(ctx, time.Now().Add(-m.Config.Ledger.Retention), compactMax)
		switch {
		case err != nil && ctx.Err() == nil:
			m.Logger.Error("compact ledger", "err", err)
		case n > 0:
			m.Logger.Info("compacted ledger", "entries", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Close stops the API (letting commits in progress finish), the uplink and
// the background work, then closes the ledger.
func (m *Main) Close() error {
	var errs []error
	if m.Server != nil {
		errs = append(errs, m.Server.Close())
	}
	if m.cancel != nil {
		m.cancel()
	}
	m.wg.Wait()
	if m.Ledger != nil {
		errs = append(errs, m.Ledger.Close())
	}
	return errors.Join(errs...)
}

// parsePolicyDocument parses a policy sent by central.
func parsePolicyDocument(format string, doc []byte) (*agent.Policy, error) {
	if format != "yaml" {
		return nil, fmt.Errorf("policy format %q: this agent reads yaml", format)
	}
	return importfile.ParsePolicyYAML(bytes.NewReader(doc))
}
