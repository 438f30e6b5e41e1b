package mqtt

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"syscall"

	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"
	"github.com/tillsync/tillsync/syncproto"
)

// Broker is an embedded MQTT broker (mochi-mqtt) listening on one TCP
// address. It keeps sessions in memory only: after a restart agents resend
// from their journals, which are the only truth (DESIGN §4).
type Broker struct {
	server    *mochi.Server
	ln        net.Listener
	addr      string
	closeOnce sync.Once // mochi's Close panics when called twice
	closeErr  error
}

// brokerCapabilities are mochi's limits, chosen for tillsync's traffic.
func brokerCapabilities() *mochi.Capabilities {
	c := mochi.NewDefaultServerCapabilities()
	// Queued and inflight messages expire after a week instead of mochi's
	// 24 h, so an ack queued for a store that was offline over a weekend is
	// still delivered (a lost one only costs a resend).
	c.MaximumMessageExpiryInterval = 7 * 24 * 60 * 60
	// Forget a disconnected persistent session after a week rather than
	// never (mochi's default), so retired client ids do not pile up.
	c.MaximumSessionExpiryInterval = 7 * 24 * 60 * 60
	// Refuse packets larger than any valid message plus headers before
	// reading them into memory.
	c.MaximumPacketSize = syncproto.MaxPayloadSize + 64<<10
	// MaximumInflight (8192 QoS 1 messages per client) and
	// MaximumClientWritesPending (8192 queued writes per client) keep
	// mochi's defaults: past them mochi drops the message for that client,
	// which for tillsync means a missing ack and an agent resend. Central's
	// own client consumes quickly, so they bound memory, not throughput.
	return c
}

// StartBroker listens on addr (host:port; port 0 picks a free port) and
// serves MQTT 3.1.1 and 5 clients. Every client is allowed for now; access
// control comes with per-agent credentials. Broker logs go to logger. It
// fails with an error naming addr when the address is in use.
func StartBroker(addr string, logger *slog.Logger) (*Broker, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	ln, err := net.Listen("tcp", addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return nil, fmt.Errorf("broker address %s is in use: %w", addr, err)
	}
	if err != nil {
		return nil, fmt.Errorf("broker listen on %s: %w", addr, err)
	}
	server := mochi.New(&mochi.Options{
		Capabilities: brokerCapabilities(),
		Logger:       logger,
	})
	b := &Broker{server: server, ln: ln, addr: ln.Addr().String()}
	if err := server.AddHook(new(allowAll), nil); err != nil {
		return nil, b.failStart(ln, fmt.Errorf("broker auth hook: %w", err))
	}
	if err := server.AddListener(listeners.NewNet("tcp", ln)); err != nil {
		return nil, b.failStart(ln, fmt.Errorf("broker listener on %s: %w", b.addr, err))
	}
	if err := server.Serve(); err != nil {
		return nil, b.failStart(ln, fmt.Errorf("broker serve on %s: %w", b.addr, err))
	}
	return b, nil
}

func (b *Broker) failStart(ln net.Listener, err error) error {
	if cerr := ln.Close(); cerr != nil && !errors.Is(cerr, net.ErrClosed) {
		return fmt.Errorf("%w (and close listener: %v)", err, cerr)
	}
	return err
}

// Addr returns the address the broker listens on, with the actual port.
func (b *Broker) Addr() string { return b.addr }

// URL returns the address as a client URL, tcp://host:port.
func (b *Broker) URL() string { return "tcp://" + b.addr }

// Close disconnects every client and stops listening. Later calls return
// the first call's result.
func (b *Broker) Close() error {
	b.closeOnce.Do(func() {
		// Stop accepting before mochi disconnects the clients: mochi closes
		// its listener only afterwards, and a client reconnecting in between
		// is accepted but never served, hanging until its connect timeout
		// (paho: 30 s). Closed first, it is refused at once.
		var errs []error
		if err := b.ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
		if err := b.server.Close(); err != nil {
			errs = append(errs, err)
		}
		if err := errors.Join(errs...); err != nil {
			b.closeErr = fmt.Errorf("close broker on %s: %w", b.addr, err)
		}
	})
	return b.closeErr
}

// allowAll lets every client connect, publish and subscribe. mochi refuses
// every client when no auth hook is installed. (mochi's own auth package is
// not used: it pulls in a YAML module this repository does not carry.)
type allowAll struct{ mochi.HookBase }

func (h *allowAll) ID() string { return "tillsync-allow-all" }

func (h *allowAll) Provides(b byte) bool {
	return b == mochi.OnConnectAuthenticate || b == mochi.OnACLCheck
}

func (h *allowAll) OnConnectAuthenticate(*mochi.Client, packets.Packet) bool { return true }

func (h *allowAll) OnACLCheck(*mochi.Client, string, bool) bool { return true }
