package mqtt

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/tillsync/tillsync/central"
	"github.com/tillsync/tillsync/syncproto"
)

// Ingester defaults.
const (
	DefaultWorkers     = 4
	DefaultQueueSize   = 256
	DefaultAckTimeout  = 10 * time.Second
	DefaultConnectWait = 10 * time.Second
	DefaultMaxBackoff  = 30 * time.Second
)

// BatchStore is what the Ingester needs from central's database.
type BatchStore interface {
	IngestBatch(ctx context.Context, b *syncproto.Batch, receivedAt time.Time) (central.IngestResult, error)
}

// IngesterConfig configures an Ingester. Zero values take the defaults.
type IngesterConfig struct {
	BrokerURL  string // tcp://host:port
	InstanceID string // client id is "tillsync-central-" + InstanceID; unique per central instance
	Username   string
	Password   string
	// TLS is the CA, client certificate and server name for a TLS
	// BrokerURL (ssl://, tls://, mqtts://, tcps://, wss://); zero verifies
	// the broker against the system's roots.
	TLS    syncproto.TLSFiles
	Topics syncproto.Topics
	// SharedGroup, when set, subscribes as $share/<group>/... so that
	// several central instances split the stream (DESIGN §7).
	SharedGroup string
	Workers     int           // goroutines storing batches; DefaultWorkers
	QueueSize   int           // batches waiting for a worker; DefaultQueueSize
	AckTimeout  time.Duration // bound on one ack publish; DefaultAckTimeout
	ConnectWait time.Duration // how long Start waits for the first connection; DefaultConnectWait
	MaxBackoff  time.Duration // longest wait between reconnect attempts; DefaultMaxBackoff
	// Auth is AuthOpen (the default when empty) or AuthSigned. In signed
	// mode every batch must be signed with its agent's key from Keys.
	Auth AuthMode
	// Keys holds the agents' batch-signing keys; required in signed mode
	// (it may be empty: then every batch is rejected). SetKeys replaces it.
	Keys *Keys
	// DeltaWindow and BroadcastPoll tune the downlink, run when the store
	// implements central.Downstreams; see DefaultDeltaWindow and
	// DefaultBroadcastPoll.
	DeltaWindow   int
	BroadcastPoll time.Duration
	// ReservationTTL is how long an approved online redemption holds the
	// card's points; zero means central.DefaultReservationTTL.
	ReservationTTL time.Duration
	Now            func() time.Time
	Logger         *slog.Logger
}

// ClientID returns the MQTT client id of instance.
func ClientID(instance string) string { return "tillsync-central-" + instance }

func (c *IngesterConfig) setDefaults() error {
	if c.BrokerURL == "" {
		return errors.New("ingester: no broker URL")
	}
	if err := syncproto.ValidID(c.InstanceID); err != nil {
		return fmt.Errorf("ingester: instance id %q: %w", c.InstanceID, err)
	}
	if c.Topics.Prefix == "" || c.Topics.Chain == "" {
		return errors.New("ingester: topics not set (use syncproto.NewTopics)")
	}
	if c.SharedGroup != "" {
		if err := syncproto.ValidID(c.SharedGroup); err != nil {
			return fmt.Errorf("ingester: shared group %q: %w", c.SharedGroup, err)
		}
	}
	switch c.Auth {
	case "":
		c.Auth = AuthOpen
	case AuthOpen:
	case AuthSigned:
		if c.Keys == nil {
			return errors.New("ingester: auth signed needs the agents' keys")
		}
	default:
		return fmt.Errorf("ingester: auth mode %q: want %q or %q", c.Auth, AuthOpen, AuthSigned)
	}
	if c.Workers <= 0 {
		c.Workers = DefaultWorkers
	}
	if c.QueueSize <= 0 {
		c.QueueSize = DefaultQueueSize
	}
	if c.AckTimeout <= 0 {
		c.AckTimeout = DefaultAckTimeout
	}
	if c.ConnectWait <= 0 {
		c.ConnectWait = DefaultConnectWait
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = DefaultMaxBackoff
	}
	if c.DeltaWindow <= 0 {
		c.DeltaWindow = DefaultDeltaWindow
	}
	if c.BroadcastPoll <= 0 {
		c.BroadcastPoll = DefaultBroadcastPoll
	}
	if c.ReservationTTL < 0 {
		return fmt.Errorf("ingester: reservation ttl %s is negative", c.ReservationTTL)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

// Ingester subscribes to the agents' up topics, stores every batch and acks
// it after the commit. Its methods are safe for concurrent use.
type Ingester struct {
	cfg        IngesterConfig
	store      BatchStore
	presence   PresenceStore        // nil: the store keeps no presence
	down       *downlinker          // nil: the store keeps no downstream streams
	rpc        central.Reservations // nil: the store answers no online calls
	rpcStats   rpcCounters
	client     paho.Client
	logger     *slog.Logger
	queue      chan paho.Message
	stats      counters
	keys       atomic.Pointer[Keys]
	subscribed atomic.Bool
	stop       chan struct{} // closed by Close: workers take no new message
	wg         sync.WaitGroup
	closeOnce  sync.Once
}

// NewIngester checks cfg and builds an Ingester; it does not connect.
func NewIngester(cfg IngesterConfig, store BatchStore) (*Ingester, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	in := &Ingester{
		cfg: cfg, store: store, queue: make(chan paho.Message, cfg.QueueSize), stop: make(chan struct{}),
		logger: cfg.Logger.With("component", "ingester"),
	}
	in.keys.Store(cfg.Keys)
	in.presence, _ = store.(PresenceStore)
	in.rpc, _ = store.(central.Reservations)
	if ds, ok := store.(central.Downstreams); ok {
		in.down = &downlinker{in: in, store: ds, window: cfg.DeltaWindow, poll: cfg.BroadcastPoll}
	}
	tlsConfig, err := cfg.TLS.Config(cfg.BrokerURL)
	if err != nil {
		return nil, fmt.Errorf("ingester: %w", err)
	}
	opts := paho.NewClientOptions().
		AddBroker(cfg.BrokerURL).
		SetClientID(ClientID(cfg.InstanceID)).
		SetUsername(cfg.Username).
		SetPassword(cfg.Password).
		// A persistent session lets the broker queue batches while a lone
		// central restarts; the agents' resends cover whatever it does not
		// keep. In a shared group it would be wrong: brokers (Mosquitto,
		// EMQX) keep handing a dead member's session its share of the
		// batches, which then wait for the agents' backed-off resends. A
		// clean session leaves the group when the connection dies.
		SetCleanSession(cfg.SharedGroup != "").
		// Handlers run in their own goroutines and only enqueue, so a slow
		// database never stalls paho's network loop (paho issues 474, 509).
		SetOrderMatters(false).
		// The broker gets its PUBACK only once the batch is handled, so a
		// batch this instance took but never stored (crash, shutdown) is
		// redelivered by the broker — to another member of a shared group,
		// or to this session when it reconnects.
		SetAutoAckDisabled(true).
		SetAutoReconnect(true).
		SetConnectRetry(true).
		SetConnectRetryInterval(time.Second).
		SetMaxReconnectInterval(cfg.MaxBackoff).
		SetOnConnectHandler(in.onConnect).
		SetConnectionLostHandler(in.onConnectionLost).
		SetDefaultPublishHandler(in.onMessage)
	if tlsConfig != nil {
		opts.SetTLSConfig(tlsConfig)
	}
	in.client = paho.NewClient(opts)
	return in, nil
}

// Start starts the workers and connects. It waits up to ConnectWait for the
// first connection; if the broker is not reachable by then it logs and
// keeps retrying in the background rather than failing (central serves its
// API while the broker is down). Workers take no new batch once ctx ends or
// Close is called; a batch already taken is finished either way. Call Start
// once.
func (in *Ingester) Start(ctx context.Context) error {
	for range in.cfg.Workers {
		in.wg.Go(func() { in.work(ctx) })
	}
	if in.down != nil {
		in.wg.Go(func() { in.down.runBroadcasts(ctx) })
	}
	tok := in.client.Connect()
	if !tok.WaitTimeout(in.cfg.ConnectWait) {
		in.logger.Warn("broker not reachable yet, retrying in the background", "broker", in.cfg.BrokerURL)
		return nil
	}
	if err := tok.Error(); err != nil {
		in.Close()
		return fmt.Errorf("connect to broker %s: %w", in.cfg.BrokerURL, err)
	}
	return nil
}

// Subscribed reports whether the ingester is connected and subscribed.
func (in *Ingester) Subscribed() bool { return in.subscribed.Load() && in.client.IsConnectionOpen() }

// Stats returns the counters since start.
func (in *Ingester) Stats() Stats { return in.stats.snapshot() }

// Close stops taking messages, lets each worker finish (and ack) the batch
// it holds, and disconnects. Batches still queued are acked neither to the
// broker nor to the agent: the broker redelivers them or the agent resends
// them. It is safe to call more than once.
func (in *Ingester) Close() {
	in.closeOnce.Do(func() {
		close(in.stop)
		in.wg.Wait()
		in.client.Disconnect(250)
		in.subscribed.Store(false)
	})
}

func (in *Ingester) filter() string {
	if in.cfg.SharedGroup != "" {
		return in.cfg.Topics.SharedUpFilter(in.cfg.SharedGroup)
	}
	return in.cfg.Topics.UpFilter()
}

// onConnect (re)subscribes on every connection: a broker that lost the
// session has lost the subscription too. paho runs it in a goroutine of
// its own, so it may retry until the subscription holds.
func (in *Ingester) onConnect(c paho.Client) {
	for _, filter := range in.filters() {
		in.subscribeRetrying(c, filter)
	}
}

// subscribeRetrying subscribes to filter until it holds, the ingester
// closes or the connection drops.
func (in *Ingester) subscribeRetrying(c paho.Client, filter string) {
	for wait := time.Second; ; wait = min(2*wait, in.cfg.MaxBackoff) {
		err := in.subscribe(c, filter)
		if err == nil {
			in.subscribed.Store(true)
			in.logger.Info("subscribed", "broker", in.cfg.BrokerURL, "filter", filter, "client_id", ClientID(in.cfg.InstanceID))
			return
		}
		in.logger.Error("subscribe failed, retrying", "filter", filter, "err", err, "retry_in", wait)
		select {
		case <-in.stop:
			return
		case <-time.After(wait):
		}
		if !c.IsConnectionOpen() {
			return // the next connection subscribes again
		}
	}
}

func (in *Ingester) subscribe(c paho.Client, filter string) error {
	tok := c.Subscribe(filter, 1, in.onMessage)
	if !tok.WaitTimeout(in.cfg.AckTimeout) {
		return errors.New("no SUBACK in time")
	}
	if err := tok.Error(); err != nil {
		return err
	}
	// paho reports a refused subscription only in the SUBACK's return
	// code, 0x80 (MQTT 3.1.1 §3.9.3), not as an error.
	if st, ok := tok.(*paho.SubscribeToken); ok && st.Result()[filter] >= 0x80 {
		return fmt.Errorf("broker refused the subscription (code %#x)", st.Result()[filter])
	}
	return nil
}

func (in *Ingester) onConnectionLost(_ paho.Client, err error) {
	in.subscribed.Store(false)
	in.logger.Warn("broker connection lost, reconnecting", "broker", in.cfg.BrokerURL, "err", err)
}

// onMessage hands m to the workers. paho runs it in a goroutine of its own
// (SetOrderMatters(false)), so waiting here for a free queue slot stalls
// neither paho's network loop nor other messages; it holds back this
// message's PUBACK, which is the broker's cue to slow down (its inflight
// limit). Messages still waiting at Close are not acked to the broker,
// which redelivers them.
func (in *Ingester) onMessage(_ paho.Client, m paho.Message) {
	select {
	case in.queue <- m:
		return
	default:
	}
	in.stats.queueFull.Add(1)
	select {
	case in.queue <- m:
	case <-in.stop:
	}
}

func (in *Ingester) work(ctx context.Context) {
	// A batch taken from the queue is stored and acked even if ctx ends
	// meanwhile: finishing is bounded by the store's busy timeout and
	// AckTimeout, and avoids rolling back work that is nearly done.
	store := context.WithoutCancel(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case <-in.stop:
			return
		case m := <-in.queue:
			in.route(store, m)
		}
	}
}
