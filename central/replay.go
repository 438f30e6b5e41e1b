package central

import (
	"time"

	"github.com/tillsync/tillsync/syncproto"
	"google.golang.org/protobuf/proto"
)

// Replayed is a quarantined event decoded again for ReplayQuarantined.
type Replayed struct {
	Event *syncproto.Event // nil when the payload does not decode
	Kind  string           // EventKind of Event
	// Kept: a return or enrollment, applied by keeping its event row
	// (KeptForLedger); Sale is nil.
	Kept bool
	Sale *Sale // the sale to apply, or nil
	// Ledger is the event's change to the member ledger, to apply with
	// it; nil when Reason is set.
	Ledger *LedgerChange
	// Reason the event still cannot be applied, or "".
	Reason string
}

// ReplayEvent decodes the stored payload of agent's quarantined event in
// store and runs it through the same checks IngestBatch does (EventKind,
// CheckEvent), with receivedAt the time central first
// received it. A payload stored by this or an older build always decodes;
// one that does not is reported as bad_data.
func ReplayEvent(store, agent string, payload []byte, receivedAt time.Time) Replayed {
	ev := &syncproto.Event{}
	if err := proto.Unmarshal(payload, ev); err != nil {
		return Replayed{Kind: KindUnknown, Reason: Reason(ReasonBadData, "stored payload does not decode: %v", err)}
	}
	r := Replayed{Event: ev, Kind: EventKind(ev)}
	b := &syncproto.Batch{StoreId: store, AgentId: agent}
	r.Kept = Kept(ev)
	r.Sale, r.Ledger, r.Reason = CheckEvent(b, ev, receivedAt)
	return r
}
