package mqtt

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/tillsync/tillsync/agent"
)

var _ agent.Uplink = (*Uplink)(nil)

// disconnectQuiesce is how long Run's Disconnect lets paho finish work in
// progress, in milliseconds (paho's unit).
const disconnectQuiesce = 250

// Uplink sends the agent's journal to central and moves the outbox
// watermark on central's Acks (DESIGN §4). It is safe for concurrent use;
// Run drives it, Notify and Status may be called from any goroutine.
type Uplink struct {
	cfg        Config
	ledger     agent.Ledger
	log        *slog.Logger
	header     batchHeader
	upTopic    string
	ackTopic   string
	stateTopic string
	// wake holds at most one pending wake-up for the send loop, so Notify
	// and paho's handlers never block.
	wake    chan struct{}
	running atomic.Bool

	// mu guards the state shared between the send loop, paho's handlers
	// and Status.
	mu sync.Mutex
	// connected is true while a connection is up with the ack
	// subscription in place.
	connected bool
	// connGen counts such connections; the loop resends everything in
	// flight when it changes.
	connGen uint64
	// incoming holds acked ranges the loop has not taken yet. A set, not a
	// channel: an ack is never dropped for want of buffer space, and
	// duplicates cost nothing.
	incoming  rangeSet
	lastAckAt time.Time
	inFlight  int
	// presence is the session of the current or next connection.
	presence presenceState
	// down is the downlink; nil until EnableDownlink.
	down *downlink
	// client is the running paho client, for online calls; nil outside Run.
	client atomic.Pointer[paho.Client]
	// rpc are the online calls waiting for central.
	rpc rpcCalls
}

// NewUplink validates cfg and returns an Uplink over ledger. It never
// connects; Run does. It fails with an error wrapping ErrInvalidConfig that
// names the bad field.
func NewUplink(cfg Config, ledger agent.Ledger) (*Uplink, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if ledger == nil {
		return nil, fmt.Errorf("%w: ledger is nil", ErrInvalidConfig)
	}
	return &Uplink{
		cfg:        cfg,
		ledger:     ledger,
		log:        cfg.Logger.With("store", cfg.StoreID, "agent", cfg.AgentID),
		header:     batchHeader{chain: cfg.Topics.Chain, store: cfg.StoreID, agent: cfg.AgentID},
		upTopic:    cfg.Topics.Up(cfg.StoreID, cfg.AgentID),
		ackTopic:   cfg.Topics.Ack(cfg.StoreID, cfg.AgentID),
		stateTopic: cfg.Topics.State(cfg.StoreID, cfg.AgentID),
		wake:       make(chan struct{}, 1),
	}, nil
}

// Run connects to the broker and sends the journal from the persisted
// watermark+1 until ctx is done, then disconnects and returns nil. paho
// reconnects on its own after a lost connection; sales keep committing
// meanwhile, since the uplink only ever reads the journal. Run fails if the
// ledger cannot be read at start, and with ErrAlreadyRunning if another
// Run of u is in progress.
func (u *Uplink) Run(ctx context.Context) error {
	if !u.running.CompareAndSwap(false, true) {
		return ErrAlreadyRunning
	}
	defer u.running.Store(false)
	st, err := u.ledger.Status(ctx)
	if err != nil {
		return fmt.Errorf("uplink start: ledger status: %w", err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	opts := u.clientOptions(runCtx)
	// The will is set before the first CONNECT, so it carries the session
	// the birth will (DESIGN §5 rule 3); reconnections re-arm it.
	if err := u.armWill(runCtx, opts); err != nil {
		cancel()
		return fmt.Errorf("uplink start: %w", err)
	}
	client := paho.NewClient(opts)
	u.client.Store(&client)
	defer u.client.Store(nil)
	s := newSender(u, client, st.Watermark)
	u.log.Info("uplink starting", "broker", u.cfg.BrokerURL, "client_id", u.cfg.ClientID,
		"from", st.Watermark+1, "last_seq", st.LastSeq)
	if u.down != nil {
		go u.runDownlink(runCtx)
	}
	u.connect(runCtx, client)
	// Cancel first: paho's handlers check runCtx, so none of them can
	// report the link up once disconnect has reported it down.
	defer func() {
		cancel()
		u.publishDeath(context.WithoutCancel(ctx), client)
		u.disconnect(client)
	}()

	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		wakeAt := s.step(runCtx)
		timer.Reset(max(wakeAt.Sub(u.cfg.Now()), time.Millisecond))
		select {
		case <-ctx.Done():
			s.flush(context.WithoutCancel(ctx))
			u.log.Info("uplink stopping", "watermark", s.watermark)
			return nil
		case <-u.wake:
		case <-timer.C:
		}
	}
}

// connect starts paho's connection loop. With ConnectRetry the token
// completes only once connected (the OnConnect handler reports that) or
// when Run disconnects, so it is watched, not waited on.
func (u *Uplink) connect(ctx context.Context, client paho.Client) {
	tok := client.Connect()
	go func() {
		select {
		case <-tok.Done():
			if err := tok.Error(); err != nil && ctx.Err() == nil {
				u.log.Error("connect to broker failed", "broker", u.cfg.BrokerURL, "err", err)
			}
		case <-ctx.Done():
		}
	}()
}

func (u *Uplink) disconnect(client paho.Client) {
	client.Disconnect(disconnectQuiesce)
	u.mu.Lock()
	u.connected = false
	u.inFlight = 0
	u.mu.Unlock()
}

// Notify wakes the send loop after a commit. It never blocks: wake-ups
// that arrive while one is pending coalesce into it.
func (u *Uplink) Notify() {
	select {
	case u.wake <- struct{}{}:
	default:
	}
}

// Status reports whether the link to central is up (connected with the ack
// subscription in place), how many batches wait for an ack and when the
// last valid ack arrived.
func (u *Uplink) Status() agent.UplinkStatus {
	u.mu.Lock()
	defer u.mu.Unlock()
	return agent.UplinkStatus{Connected: u.connected, InFlight: u.inFlight, LastAckAt: u.lastAckAt}
}

// take hands the loop the acks received since its last call and the
// connection state.
func (u *Uplink) take() (acks rangeSet, gen uint64, connected bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	acks, u.incoming = u.incoming, rangeSet{}
	return acks, u.connGen, u.connected
}

func (u *Uplink) setInFlight(n int) {
	u.mu.Lock()
	u.inFlight = n
	u.mu.Unlock()
}
