package mqtt

import "sync/atomic"

// Stats counts what an Ingester did since it started.
type Stats struct {
	Batches     int64 // messages taken from the broker
	Applied     int64 // events applied for the first time
	Duplicates  int64 // events already stored
	Quarantined int64 // events stored in quarantine
	Rejected    int64 // messages refused: bad topic, garbage, invalid or unauthenticated batch (not acked)
	Failed      int64 // batches the store could not commit (not acked; the agent resends)
	QueueFull   int64 // messages that had to wait for a free slot in the ingest queue
	Acked       int64 // acks published
	AckFailed   int64 // acks that could not be published (the agent resends)
	// RejectedBy splits the authentication part of Rejected by reason.
	RejectedBy Rejections
}

// Rejections counts rejected batches by reason (DESIGN §5 rule 6); each is
// also counted in Stats.Rejected.
type Rejections struct {
	Unsigned     int64 // signed mode: no signature
	BadSignature int64 // signed mode: signature does not match the agent's key
	UnknownAgent int64 // signed mode: no key for the topic's store and agent
	Mismatch     int64 // the batch's store or agent is not its topic's
}

// counters is Stats with atomic fields.
type counters struct {
	batches, applied, duplicates, quarantined     atomic.Int64
	rejected, failed, queueFull, acked, ackFailed atomic.Int64
	// by reason; keys are the Reject constants but RejectInvalid.
	unsigned, badSignature, unknownAgent, mismatch atomic.Int64
}

// reject counts a message rejected for reason.
func (c *counters) reject(reason string) {
	c.rejected.Add(1)
	switch reason {
	case RejectUnsigned:
		c.unsigned.Add(1)
	case RejectBadSignature:
		c.badSignature.Add(1)
	case RejectUnknownAgent:
		c.unknownAgent.Add(1)
	case RejectMismatch:
		c.mismatch.Add(1)
	}
}

func (c *counters) snapshot() Stats {
	return Stats{
		Batches: c.batches.Load(), Applied: c.applied.Load(), Duplicates: c.duplicates.Load(),
		Quarantined: c.quarantined.Load(), Rejected: c.rejected.Load(), Failed: c.failed.Load(),
		QueueFull: c.queueFull.Load(), Acked: c.acked.Load(), AckFailed: c.ackFailed.Load(),
		RejectedBy: Rejections{
			Unsigned: c.unsigned.Load(), BadSignature: c.badSignature.Load(),
			UnknownAgent: c.unknownAgent.Load(), Mismatch: c.mismatch.Load(),
		},
	}
}
