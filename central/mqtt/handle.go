package mqtt

import (
	"context"
	"fmt"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/tillsync/tillsync/central"
	"github.com/tillsync/tillsync/syncproto"
)

// handle stores one message and acks it to the agent, then acks it to the
// broker. Whatever fails, it logs the reason and returns: no message can
// crash central (DESIGN §8.4). A message it refuses or cannot store is
// still acked to the broker — the broker could only redeliver the same
// bytes; the agent's resend is what retries.
func (in *Ingester) handle(ctx context.Context, msg paho.Message) {
	defer msg.Ack()
	m := inbound{topic: msg.Topic(), payload: msg.Payload()}
	in.stats.batches.Add(1)
	at, b, rej := in.decode(m)
	if rej != nil {
		in.stats.reject(rej.reason)
		// Topic, agent and reason only: the payload may hold card numbers.
		in.logger.Warn("batch rejected, not acked", "topic", m.topic, "agent", at.Agent,
			"bytes", len(m.payload), "reason", rej.reason, "err", rej.err)
		return
	}
	res, err := in.store.IngestBatch(ctx, b, in.cfg.Now())
	if err != nil {
		if central.ErrorCode(err) == central.EINVALID {
			in.stats.rejected.Add(1)
			in.logger.Warn("batch rejected by store, not acked", "topic", m.topic, "reason", err)
			return
		}
		in.stats.failed.Add(1)
		in.logger.Error("store batch failed, not acked", "topic", m.topic,
			"first_seq", b.GetFirstSeq(), "last_seq", b.GetLastSeq(), "err", err)
		return
	}
	in.stats.applied.Add(int64(res.Applied))
	in.stats.duplicates.Add(int64(res.Duplicates))
	in.stats.quarantined.Add(int64(res.Quarantined))
	if res.Quarantined > 0 {
		in.logger.Warn("events quarantined", "store", at.Store, "agent", at.Agent,
			"first_seq", b.GetFirstSeq(), "last_seq", b.GetLastSeq(), "quarantined", res.Quarantined)
	}
	in.ack(at, b)
}

// inbound is the part of a message handle reads.
type inbound struct {
	topic   string
	payload []byte
}

// decode checks the topic, the payload and, in signed mode, the
// signature; a rejection says why the message cannot be trusted.
func (in *Ingester) decode(m inbound) (syncproto.AgentTopic, *syncproto.Batch, *rejection) {
	at, err := in.cfg.Topics.ParseAgentTopic(m.topic)
	if err != nil {
		return at, nil, reject(RejectInvalid, err)
	}
	if at.Kind != syncproto.KindUp {
		return at, nil, reject(RejectInvalid, fmt.Errorf("topic kind %q is not %q", at.Kind, syncproto.KindUp))
	}
	b, err := syncproto.DecodeBatch(m.payload)
	if err != nil {
		return at, nil, reject(RejectInvalid, err)
	}
	// Checked before the rest of the batch so that it is counted apart:
	// one agent publishing on another's topic is a misconfiguration or an
	// attack, never noise (DESIGN §5 rule 6).
	if b.GetStoreId() != at.Store || b.GetAgentId() != at.Agent {
		return at, nil, reject(RejectMismatch, fmt.Errorf("batch of store %q agent %q on the topic of store %q agent %q",
			b.GetStoreId(), b.GetAgentId(), at.Store, at.Agent))
	}
	if err := central.ValidateBatch(b, at.Store, at.Agent); err != nil {
		return at, nil, reject(RejectInvalid, err)
	}
	if rej := in.authenticate(at, b); rej != nil {
		return at, nil, rej
	}
	return at, b, nil
}

// ack tells the agent its batch is durable. It runs only after the commit
// (DESIGN §5.2); a lost ack costs a resend, which is a duplicate.
func (in *Ingester) ack(at syncproto.AgentTopic, b *syncproto.Batch) {
	payload, err := syncproto.EncodeAck(&syncproto.Ack{
		SchemaVersion: syncproto.SchemaVersion, AgentId: b.GetAgentId(),
		Ranges:        []*syncproto.SeqRange{{First: b.GetFirstSeq(), Last: b.GetLastSeq()}},
		CentralTimeMs: in.cfg.Now().UnixMilli(),
	})
	if err != nil {
		in.stats.ackFailed.Add(1)
		in.logger.Error("encode ack", "agent", at.Agent, "err", err)
		return
	}
	topic := in.cfg.Topics.Ack(at.Store, at.Agent)
	tok := in.client.Publish(topic, 1, false, payload)
	if !tok.WaitTimeout(in.cfg.AckTimeout) {
		in.stats.ackFailed.Add(1)
		in.logger.Warn("ack publish timed out; the agent will resend", "topic", topic)
		return
	}
	if err := tok.Error(); err != nil {
		in.stats.ackFailed.Add(1)
		in.logger.Warn("ack publish failed; the agent will resend", "topic", topic, "err", err)
		return
	}
	in.stats.acked.Add(1)
}
