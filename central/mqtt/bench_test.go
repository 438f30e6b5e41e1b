package mqtt_test

import (
	"testing"

	"github.com/tillsync/tillsync/central/storetest"
)

// BenchmarkIngester measures the whole path of one agent's 100-sale
// batches: publish, broker, decode, durable commit, ack back. Batches are
// published back to back (a window as wide as the run), so this is
// central's throughput, not one batch's latency.
func BenchmarkIngester(b *testing.B) {
	br, db := startBroker(b), openStore(b)
	startIngester(b, br.URL(), db, "bench", "")
	agent := newAgentSim(b, br.URL())
	const size = 100
	b.ResetTimer()
	for i := range b.N {
		first := uint64(i*size + 1)
		agent.publishBatch(storetest.SaleBatch("s1", "a1", first, first+size-1))
	}
	for range b.N {
		agent.waitAck()
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N*size)/b.Elapsed().Seconds(), "events/s")
}
