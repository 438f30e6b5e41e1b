package syncproto

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// testKey is the fixed HMAC key the golden batch is signed with.
var testKey = []byte("tillsync-test-key-s0042-a1")

// Golden files: the wire bytes of the sample messages of schema v1 and their
// renderings. They change only when the schema or its encoding does.
const (
	goldenBatch     = "batch_v1.bin"
	goldenBatchJSON = "batch_v1.json"
	goldenAck       = "ack_v1.bin"
	goldenAckJSON   = "ack_v1.json"
	goldenPresence  = "presence_v1.bin"
)

// sampleTime is 2024-11-15 09:30:00 China Standard Time (UTC+8).
var sampleTime = time.Date(2024, 11, 15, 1, 30, 0, 0, time.UTC)

func ms(d time.Duration) int64 { return sampleTime.Add(d).UnixMilli() }

// sampleBatch returns a fixed signed batch of two sales: an anonymous one
// with a weighed line (0.333 kg at 10.99 yuan/kg = 366 fen, rounded half up)
// paid in cash, and a member's paid by bank card. Its UUIDv7s embed the
// events' times and its EAN-13 barcodes carry valid check digits.
func sampleBatch(t testing.TB) *Batch {
	t.Helper()
	b := &Batch{
		SchemaVersion: SchemaVersion,
		ChainId:       "cn-east",
		StoreId:       "s0042",
		AgentId:       "s0042-a1",
		FirstSeq:      17,
		LastSeq:       18,
		SentAtMs:      ms(5 * time.Minute),
		Events: []*Event{
			{
				Seq: 17, EventId: "01932d70-fdc0-7c1e-9a3b-5f0d2c8e4a17", WallTimeMs: ms(0),
				Payload: &Event_SaleCommitted{SaleCommitted: &SaleCommitted{
					SaleId: "01932d70-fdc0-7d02-8f61-0b9c3e7a5d21", StoreId: "s0042", LaneId: "lane-3",
					AgentSeq: 17, AgentWallTimeMs: ms(0), ReceiptNo: "0042-3-000117", TotalFen: 1666,
					Lines: []*SaleLine{
						{LineNo: 1, Sku: "400123", Barcode: "2400123003663", Name: "Bananas (loose)",
							QuantityMilli: 333, UnitPriceFen: 1099, LineTotalFen: 366},
						{LineNo: 2, Sku: "100777", Barcode: "6901234567892", Name: "Milk 1 L",
							QuantityMilli: 2000, UnitPriceFen: 650, LineTotalFen: 1300},
					},
					Tenders: []*Tender{{Kind: Tender_KIND_CASH, AmountFen: 1666}},
				}},
			},
			{
				Seq: 18, EventId: "01932d72-1700-7b44-a0d5-7e21f9c3b608", WallTimeMs: ms(72 * time.Second),
				Payload: &Event_SaleCommitted{SaleCommitted: &SaleCommitted{
					SaleId: "01932d72-1700-7f90-b2c7-4a6d8e1f0c35", StoreId: "s0042", LaneId: "lane-1",
					AgentSeq: 18, AgentWallTimeMs: ms(72 * time.Second), ReceiptNo: "0042-1-000342",
					TotalFen: 5990, MemberCard: "8860001234567890",
					Lines: []*SaleLine{
						{LineNo: 1, Sku: "200310", Barcode: "6921234500019", Name: "Rice 5 kg",
							QuantityMilli: 1000, UnitPriceFen: 5990, LineTotalFen: 5990},
					},
					Tenders: []*Tender{{Kind: Tender_KIND_BANK_CARD, AmountFen: 5990, Reference: "T0042-000183"}},
				}},
			},
		},
	}
	if err := SignBatch(b, testKey); err != nil {
		t.Fatalf("sign sample batch: %v", err)
	}
	return b
}

// sampleAck acknowledges seqs 1..18 of the sample agent in two ranges.
func sampleAck() *Ack {
	return &Ack{
		SchemaVersion: SchemaVersion,
		AgentId:       "s0042-a1",
		Ranges:        []*SeqRange{{First: 1, Last: 16}, {First: 17, Last: 18}},
		CentralTimeMs: ms(5*time.Minute + 300*time.Millisecond),
	}
}

// samplePresence is the sample agent's birth with five events unsynced.
func samplePresence() *Presence {
	return &Presence{
		SchemaVersion:    SchemaVersion,
		AgentId:          "s0042-a1",
		StoreId:          "s0042",
		Online:           true,
		Session:          7,
		OutboxDepth:      5,
		OldestUnsyncedMs: ms(time.Minute),
		LastSeq:          23,
		SentAtMs:         ms(6 * time.Minute),
		Versions: []*StreamVersion{
			{Stream: "catalog", Version: 12}, {Stream: "policy", Version: 3}, {Stream: "members", Version: 40},
		},
	}
}

// readGolden returns testdata/name, or fails the test.
func readGolden(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("read golden file (run go test -update to create it): %v", err)
	}
	return b
}

// checkGolden compares got with testdata/name, rewriting it under -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatalf("update golden file: %v", err)
		}
	}
	want := readGolden(t, name)
	if string(got) == string(want) {
		return
	}
	format := "%s differs from the golden file (a wire-format change? rerun with -update only if intended)\n got: %x\nwant: %x"
	if strings.HasSuffix(name, ".json") {
		format = "%s differs from the golden file (rerun with -update only if intended)\n got: %s\nwant: %s"
	}
	t.Errorf(format, path, got, want)
}
