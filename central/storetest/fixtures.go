package storetest

import (
	"fmt"

	"github.com/tillsync/tillsync/syncproto"
)

// SaleID is the sale id SaleEvent gives agent's sale at seq.
func SaleID(agent string, seq uint64) string { return fmt.Sprintf("sale-%s-%d", agent, seq) }

// EventID is the event id SaleEvent gives agent's event at seq.
func EventID(agent string, seq uint64) string { return fmt.Sprintf("ev-%s-%d", agent, seq) }

// SaleTotal is the total of the sale SaleEvent builds at seq: one line of
// 1.000 × (100 × seq) fen.
func SaleTotal(seq uint64) int64 { return 100 * int64(seq) }

// SumTotals is the sum of SaleTotal over seqs first..last.
func SumTotals(first, last uint64) int64 {
	var sum int64
	for s := first; s <= last; s++ {
		sum += SaleTotal(s)
	}
	return sum
}

// SaleEvent returns a valid SaleCommitted event of store's agent at seq
// with one line totalling SaleTotal(seq). Its wall time is seq seconds
// after 2026-01-01T00:00:00Z.
func SaleEvent(store, agent string, seq uint64) *syncproto.Event {
	wall := int64(1767225600000) + int64(seq)*1000
	price := SaleTotal(seq)
	return &syncproto.Event{
		Seq: seq, EventId: EventID(agent, seq), WallTimeMs: wall,
		Payload: &syncproto.Event_SaleCommitted{SaleCommitted: &syncproto.SaleCommitted{
			SaleId: SaleID(agent, seq), StoreId: store, LaneId: "lane-1", AgentSeq: seq,
			AgentWallTimeMs: wall, TotalFen: price, MemberCard: "6200001234567890",
			ReceiptNo: fmt.Sprintf("R%06d", seq),
			Lines: []*syncproto.SaleLine{{
				LineNo: 1, Sku: "SKU-1", Barcode: "6901234567892", Name: "rice 1kg",
				QuantityMilli: 1000, UnitPriceFen: price, LineTotalFen: price,
			}},
		}},
	}
}

// Batch returns a batch of store's agent holding events, with first_seq and
// last_seq taken from them and sent_at_ms left zero.
func Batch(store, agent string, events ...*syncproto.Event) *syncproto.Batch {
	b := &syncproto.Batch{
		SchemaVersion: syncproto.SchemaVersion, ChainId: "demo", StoreId: store, AgentId: agent,
		Events: events,
	}
	if len(events) > 0 {
		b.FirstSeq, b.LastSeq = events[0].GetSeq(), events[len(events)-1].GetSeq()
	}
	return b
}

// SaleBatch returns a batch of valid sales of store's agent at seqs
// first..last.
func SaleBatch(store, agent string, first, last uint64) *syncproto.Batch {
	events := make([]*syncproto.Event, 0, last-first+1)
	for s := first; s <= last; s++ {
		events = append(events, SaleEvent(store, agent, s))
	}
	return Batch(store, agent, events...)
}
