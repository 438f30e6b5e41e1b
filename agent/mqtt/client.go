package mqtt

import (
	"context"
	"fmt"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/tillsync/tillsync/syncproto"
)

// subackFailure is the SUBACK return code of a refused subscription
// (MQTT 3.1.1 §3.9.3).
const subackFailure = 0x80

// clientOptions returns paho's settings for one Run (DESIGN §4, "paho
// settings that matter"). ctx ends with the Run; handlers check it so a
// late callback from a finished Run changes nothing.
func (u *Uplink) clientOptions(ctx context.Context) *paho.ClientOptions {
	o := paho.NewClientOptions().
		AddBroker(u.cfg.BrokerURL).
		SetClientID(u.cfg.ClientID).
		// A clean session costs nothing here: whatever the broker would
		// have kept for us (queued acks, our unacked publishes) the uplink
		// recovers by resending from the watermark on every connect, and
		// central acks duplicates again. A persistent session would only
		// add a broker-side queue that Mosquitto and EMQX trim silently.
		SetCleanSession(true).
		// Handlers run in their own goroutines, so a slow one never stalls
		// paho's network loop (paho issues 474, 509).
		SetOrderMatters(false).
		SetAutoReconnect(true).
		SetConnectRetry(true).
		SetConnectRetryInterval(u.cfg.RetryInterval).
		SetMaxReconnectInterval(u.cfg.MaxReconnectInterval).
		SetConnectTimeout(u.cfg.ConnectTimeout).
		SetKeepAlive(u.cfg.KeepAlive).
		// Bounds a write to a dead socket, which otherwise blocks until the
		// keep-alive notices.
		SetWriteTimeout(u.cfg.ConnectTimeout).
		SetDefaultPublishHandler(func(_ paho.Client, m paho.Message) {
			u.log.Warn("unexpected message", "topic", m.Topic(), "bytes", len(m.Payload()))
		}).
		SetOnConnectHandler(func(c paho.Client) { u.onConnect(ctx, c) }).
		SetConnectionLostHandler(func(_ paho.Client, err error) { u.onConnectionLost(ctx, err) }).
		SetReconnectingHandler(func(_ paho.Client, o *paho.ClientOptions) {
			u.log.Debug("reconnecting to broker", "broker", u.cfg.BrokerURL)
			u.onReconnecting(ctx, o)
		})
	if u.cfg.Username != "" {
		o.SetUsername(u.cfg.Username)
	}
	if u.cfg.Password != "" {
		o.SetPassword(u.cfg.Password)
	}
	if u.cfg.tlsConfig != nil {
		o.SetTLSConfig(u.cfg.tlsConfig.Clone())
	}
	return o
}

// onConnect (re)subscribes to the ack topic on every connection: with a
// clean session the broker forgets subscriptions on disconnect. Only then
// is the link reported up, since batches sent before it would have their
// acks dropped by the broker. paho runs it in its own goroutine, so the
// waits here block no one.
func (u *Uplink) onConnect(ctx context.Context, c paho.Client) {
	for attempt := 1; ctx.Err() == nil; attempt++ {
		err := u.subscribeAll(c)
		if err == nil {
			u.publishBirth(ctx, c)
			u.mu.Lock()
			defer u.mu.Unlock()
			if ctx.Err() == nil { // else Run has already reported the link down
				u.connected = true
				u.connGen++
				u.log.Info("connected to broker", "broker", u.cfg.BrokerURL)
				u.Notify()
			}
			return
		}
		u.log.Warn("subscribe failed", "attempt", attempt, "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(u.cfg.RetryInterval):
		}
		if !c.IsConnectionOpen() {
			return // the next connection's handler takes over
		}
	}
}

func (u *Uplink) subscribeAcks(c paho.Client) error { return u.subscribe(c, u.ackTopic, u.onAck) }

// subscribe subscribes to topic at QoS 1 and waits, bounded, for the
// broker's SUBACK; a refusal (an ACL that denies it) is an error.
func (u *Uplink) subscribe(c paho.Client, topic string, h paho.MessageHandler) error {
	tok := c.Subscribe(topic, 1, h)
	if !tok.WaitTimeout(u.cfg.ConnectTimeout) {
		return fmt.Errorf("subscribe %q: no suback within %s", topic, u.cfg.ConnectTimeout)
	}
	if err := tok.Error(); err != nil {
		return fmt.Errorf("subscribe %q: %w", topic, err)
	}
	if st, ok := tok.(*paho.SubscribeToken); ok && st.Result()[topic] == subackFailure {
		return fmt.Errorf("subscribe %q: refused by broker", topic)
	}
	return nil
}

func (u *Uplink) onConnectionLost(ctx context.Context, err error) {
	if ctx.Err() != nil {
		return
	}
	u.mu.Lock()
	u.connected = false
	u.mu.Unlock()
	u.log.Warn("connection to broker lost", "broker", u.cfg.BrokerURL, "err", err)
	u.Notify()
}

// onAck records the ranges of a valid ack for this agent and wakes the
// loop. Anything else is logged and dropped: a bad ack costs at most a
// resend, which central acks again.
func (u *Uplink) onAck(_ paho.Client, m paho.Message) {
	ack, err := syncproto.DecodeAck(m.Payload())
	if err != nil {
		u.log.Warn("ignoring bad ack", "topic", m.Topic(), "bytes", len(m.Payload()), "err", err)
		return
	}
	if ack.GetAgentId() != u.cfg.AgentID {
		u.log.Warn("ignoring ack for another agent", "topic", m.Topic(), "ack_agent", ack.GetAgentId())
		return
	}
	u.mu.Lock()
	for _, r := range ack.GetRanges() {
		u.incoming.add(seqRange{first: r.GetFirst(), last: r.GetLast()})
	}
	u.lastAckAt = u.cfg.Now()
	u.mu.Unlock()
	u.Notify()
}
