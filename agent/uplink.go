package agent

import "time"

// UplinkStatus is what the uplink reports about its link to central.
type UplinkStatus struct {
	Connected bool
	InFlight  int       // batches sent and not yet acked
	LastAckAt time.Time // zero if no ack was received since start
}

// Uplink sends the journal to central. Implementations are safe for
// concurrent use.
type Uplink interface {
	// Notify tells the uplink new entries were committed; it never blocks.
	Notify()
	// Status reports the link state.
	Status() UplinkStatus
}
