package mqtt

import "sync/atomic"

// Stats counts what an Ingester did since it started.
type Stats struct {
	Batches     int64 // messages taken from the broker
	Applied     int64 // events applied for the first time
	Duplicates  int64 // events already stored
	Quarantined int64 // events stored in quarantine
	Rejected    int64 // messages refused: bad topic, garbage, invalid batch (not acked)
	Failed      int64 // batches the store could not commit (not acked; the agent resends)
	QueueFull   int64 // messages that had to wait for a free slot in the ingest queue
	Acked       int64 // acks published
	AckFailed   int64 // acks that could not be published (the agent resends)
}

// counters is Stats with atomic fields.
type counters struct {
	batches, applied, duplicates, quarantined     atomic.Int64
	rejected, failed, queueFull, acked, ackFailed atomic.Int64
}

func (c *counters) snapshot() Stats {
	return Stats{
		Batches: c.batches.Load(), Applied: c.applied.Load(), Duplicates: c.duplicates.Load(),
		Quarantined: c.quarantined.Load(), Rejected: c.rejected.Load(), Failed: c.failed.Load(),
		QueueFull: c.queueFull.Load(), Acked: c.acked.Load(), AckFailed: c.ackFailed.Load(),
	}
}
