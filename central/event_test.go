package central_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/tillsync/tillsync/central"
	"github.com/tillsync/tillsync/central/storetest"
	"github.com/tillsync/tillsync/syncproto"
	"google.golang.org/protobuf/proto"
)

func TestEventSale(t *testing.T) {
	received := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	sc := func(ev *syncproto.Event) *syncproto.SaleCommitted { return ev.GetSaleCommitted() }
	line := func(ev *syncproto.Event) *syncproto.SaleLine { return sc(ev).Lines[0] }
	tests := []struct {
		name  string
		spoil func(ev *syncproto.Event)
		want  string // reason prefix and substring, "" = applicable
	}{
		{"OK", func(*syncproto.Event) {}, ""},
		{"OKFreeLine", func(ev *syncproto.Event) {
			line(ev).UnitPriceFen, line(ev).LineTotalFen, sc(ev).TotalFen = 0, 0, 0
		}, ""},
		{"OKWeighedRoundsHalfUp", func(ev *syncproto.Event) {
			// 0.333 kg at 1099 fen/kg = 365.967 → 366 fen.
			line(ev).QuantityMilli, line(ev).UnitPriceFen, line(ev).LineTotalFen, sc(ev).TotalFen = 333, 1099, 366, 366
		}, ""},
		{"OKLabelPrice", func(ev *syncproto.Event) {
			// A label priced 20.24 yuan for 1.235 kg at 16.40 yuan/kg
			// (2025.4 → 2025 fen): a marked-down label, within the gram's
			// rounding of half a gram (0.82 fen) plus one fen.
			line(ev).QuantityMilli, line(ev).UnitPriceFen, line(ev).LineTotalFen, sc(ev).TotalFen = 1235, 1640, 2024, 2024
			line(ev).LabelPrice = true
		}, ""},
		{"ErrLabelPriceFar", func(ev *syncproto.Event) {
			line(ev).QuantityMilli, line(ev).UnitPriceFen, line(ev).LineTotalFen, sc(ev).TotalFen = 1235, 1640, 2030, 2030
			line(ev).LabelPrice = true
		}, "bad_data: line 1: label price 2030 fen is not 1235 g at 1640 fen/kg"},
		{"ErrLabelTotalWithoutFlag", func(ev *syncproto.Event) {
			line(ev).QuantityMilli, line(ev).UnitPriceFen, line(ev).LineTotalFen, sc(ev).TotalFen = 1235, 1640, 2024, 2024
		}, "bad_data: line 1: line_total_fen 2024, want 2025"},
		{"ErrUnknownKind", func(ev *syncproto.Event) { ev.Payload = nil }, central.ReasonUnknownKind + ": "},
		{"ErrNoEventID", func(ev *syncproto.Event) { ev.EventId = "" }, "bad_data: event seq 5 has no event_id"},
		{"ErrNoSaleID", func(ev *syncproto.Event) { sc(ev).SaleId = "" }, "bad_data: event seq 5: sale_id"},
		{"ErrLongSaleID", func(ev *syncproto.Event) { sc(ev).SaleId = strings.Repeat("x", 65) }, "bad_data: event seq 5: sale_id"},
		{"ErrAgentSeq", func(ev *syncproto.Event) { sc(ev).AgentSeq = 6 }, "bad_data: sale sale-a1-5: agent_seq 6"},
		{"ErrStore", func(ev *syncproto.Event) { sc(ev).StoreId = "s2" }, `bad_data: sale sale-a1-5: store "s2"`},
		{"ErrNoLines", func(ev *syncproto.Event) { sc(ev).Lines = nil }, "bad_data: sale sale-a1-5 has no lines"},
		{"ErrLongCard", func(ev *syncproto.Event) { sc(ev).MemberCard = strings.Repeat("9", 65) }, "bad_data: sale sale-a1-5: lane"},
		{"ErrNegativeQuantity", func(ev *syncproto.Event) { line(ev).QuantityMilli = -1 }, "bad_data: line 1: quantity_milli -1"},
		{"ErrNegativePrice", func(ev *syncproto.Event) { line(ev).UnitPriceFen = -1 }, "bad_data: line 1: unit_price_fen -1"},
		{"ErrOverflow", func(ev *syncproto.Event) {
			line(ev).QuantityMilli, line(ev).UnitPriceFen = math.MaxInt64/1000, 1001
		}, "bad_data: line 1: quantity_milli"},
		{"ErrLineTotal", func(ev *syncproto.Event) { line(ev).LineTotalFen++ }, "bad_data: line 1: line_total_fen 501, want 500"},
		{"ErrTotal", func(ev *syncproto.Event) { sc(ev).TotalFen = 1 }, "bad_data: sale sale-a1-5: total_fen 1 but lines sum to 500"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := storetest.SaleBatch("s1", "a1", 5, 5)
			tt.spoil(b.Events[0])
			s, reason := central.EventSale(b, b.Events[0], received)
			if tt.want == "" {
				if reason != "" || s == nil {
					t.Fatalf("EventSale = %v, %q; want a sale", s, reason)
				}
				if s.ID != "sale-a1-5" || s.AgentID != "a1" || s.Seq != 5 || !s.ReceivedAt.Equal(received) ||
					s.TotalFen != sc(b.Events[0]).TotalFen || len(s.Lines) != 1 {
					t.Fatalf("EventSale = %+v", s)
				}
				return
			}
			if s != nil || !strings.HasPrefix(reason, tt.want) {
				t.Fatalf("EventSale = %v, %q; want reason starting %q", s, reason, tt.want)
			}
		})
	}
}

func TestEventKind(t *testing.T) {
	ev := storetest.SaleEvent("s1", "a1", 1)
	if got := central.EventKind(ev); got != central.KindSaleCommitted {
		t.Errorf("EventKind(sale) = %q", got)
	}
	ev.Payload = nil
	if got := central.EventKind(ev); got != central.KindUnknown {
		t.Errorf("EventKind(empty) = %q", got)
	}
}

// FuzzEventSale feeds arbitrary event bytes to EventSale: it never panics
// and returns exactly one of a sale and a reason; a sale's lines sum to its
// total.
func FuzzEventSale(f *testing.F) {
	for _, ev := range []*syncproto.Event{storetest.SaleEvent("s1", "a1", 1), {Seq: 1, EventId: "x"}} {
		b, err := proto.Marshal(ev)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{})
	f.Add([]byte("\x52\x04\x0a\x02id")) // sale_committed with only a sale id
	received := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		var ev syncproto.Event
		if proto.Unmarshal(data, &ev) != nil {
			return
		}
		b := storetest.Batch("s1", "a1", &ev)
		s, reason := central.EventSale(b, &ev, received)
		if (s == nil) == (reason == "") {
			t.Fatalf("EventSale = %v, %q: want exactly one", s, reason)
		}
		if s == nil {
			return
		}
		var sum int64
		for _, l := range s.Lines {
			sum += l.LineTotalFen
		}
		if sum != s.TotalFen {
			t.Fatalf("sale total %d, lines sum %d", s.TotalFen, sum)
		}
	})
}
