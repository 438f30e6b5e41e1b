package mqtt

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/tillsync/tillsync/agent"
)

// benchSales is how many sales each drain moves.
const benchSales = 10_000

// prefill commits n sales from several goroutines, so that the ledger's
// group commit shares fsyncs and the set-up does not take minutes.
func prefill(b *testing.B, l agent.Ledger, n int) {
	b.Helper()
	const lanes = 16
	var wg sync.WaitGroup
	errs := make(chan error, lanes)
	for lane := range lanes {
		wg.Go(func() {
			for i := lane; i < n; i += lanes {
				s := newTestSale(b)
				if err := l.CommitSale(context.Background(), s); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatalf("prefill: %v", err)
	}
}

// BenchmarkUplink_Drain measures how fast the uplink empties an outbox of
// benchSales sales into the test central over the embedded broker, from
// Run to the last watermark persisted, with the default batch size and
// window.
func BenchmarkUplink_Drain(b *testing.B) {
	broker := startBroker(b, "127.0.0.1:0")
	central := startCentral(b, broker.url(), centralPolicy{})
	var batches int
	for i := range b.N {
		b.StopTimer()
		l := newTestLedger(b)
		prefill(b, l, benchSales)
		central.reset()
		u, err := NewUplink(Config{
			BrokerURL: broker.url(), Topics: testTopics(b), StoreID: testStore, AgentID: testAgent,
			ClientID: fmt.Sprintf("bench-%d", i), Logger: slog.New(slog.DiscardHandler),
		}, l)
		if err != nil {
			b.Fatalf("NewUplink: %v", err)
		}
		b.StartTimer()
		stop := runUplink(b, u)
		for watermark(b, l) < benchSales {
			time.Sleep(time.Millisecond)
		}
		b.StopTimer()
		stop()
		if m := central.missing(benchSales); len(m) > 0 {
			b.Fatalf("central never saw %d seqs", len(m))
		}
		batches += central.totalDeliveries()
	}
	b.ReportMetric(float64(benchSales*b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(batches)/float64(b.N), "batches/op")
}

// BenchmarkRawPublish is the baseline for BenchmarkUplink_Drain: paho
// publishing the same bytes at QoS 1 to the same broker and a subscriber
// receiving them, with no journal, window or application ack. BatchSized
// sends the uplink's batches (benchSales/DefaultBatchSize messages);
// EventSized sends one message per event.
func BenchmarkRawPublish(b *testing.B) {
	l := newTestLedger(b)
	prefill(b, l, DefaultBatchSize)
	entries, err := l.Journal(context.Background(), 1, DefaultBatchSize)
	if err != nil {
		b.Fatalf("journal: %v", err)
	}
	batchBytes := len(newBatch(batchHeader{chain: testChain, store: testStore, agent: testAgent}, entries).payload(time.Now(), nil))
	eventBytes := len(entries[0].Event)
	for _, tt := range []struct {
		name     string
		messages int
		size     int
	}{
		{"BatchSized", benchSales / DefaultBatchSize, batchBytes},
		{"EventSized", benchSales, eventBytes},
	} {
		b.Run(tt.name, func(b *testing.B) {
			benchRawPublish(b, tt.messages, tt.size)
		})
	}
}

func benchRawPublish(b *testing.B, messages, size int) {
	broker := startBroker(b, "127.0.0.1:0")
	topic := testTopics(b).Up(testStore, testAgent)
	var received atomic.Int64
	newTestClient(b, broker.url(), "raw-sub", topic, func(paho.Client, paho.Message) { received.Add(1) })
	pub := newTestClient(b, broker.url(), "raw-pub", "", nil)
	payload := make([]byte, size)
	toks := make([]paho.Token, messages)
	b.ResetTimer()
	for range b.N {
		received.Store(0)
		for i := range toks {
			toks[i] = pub.Publish(topic, 1, false, payload)
		}
		for _, tok := range toks {
			if !tok.WaitTimeout(waitDeadline) || tok.Error() != nil {
				b.Fatalf("publish: %v", tok.Error())
			}
		}
		for received.Load() < int64(messages) {
			time.Sleep(time.Millisecond)
		}
	}
	b.ReportMetric(float64(benchSales*b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(size), "bytes/msg")
}
