package main

import (
	centralhttp "github.com/tillsync/tillsync/central/http"
	"github.com/tillsync/tillsync/central/mqtt"
)

// ingesterSamples turns the ingester's counters into /metrics series.
func ingesterSamples(in *mqtt.Ingester) []centralhttp.Sample {
	st, rpc := in.Stats(), in.RPCStats()
	counter := func(name, help, labels string, v int64) centralhttp.Sample {
		return centralhttp.Sample{Name: name, Help: help, Type: "counter", Labels: labels, Value: v}
	}
	const events = "Events of synced batches by what ingest did with them."
	const rejected = "Batches refused (not stored, not acked) by reason."
	const rpcHelp = "Online calls from the tills by outcome."
	subscribed := int64(0)
	if in.Subscribed() {
		subscribed = 1
	}
	return []centralhttp.Sample{
		{Name: centralhttp.SubscribedMetric, Help: "1 when this instance is connected and subscribed.", Type: "gauge", Value: subscribed},
		counter("tillsync_central_batches_total", "Batches taken from the broker.", "", st.Batches),
		counter("tillsync_central_events_total", events, `{result="applied"}`, st.Applied),
		counter("tillsync_central_events_total", events, `{result="duplicate"}`, st.Duplicates),
		counter("tillsync_central_events_total", events, `{result="quarantined"}`, st.Quarantined),
		counter("tillsync_central_batches_rejected_total", rejected, `{reason="unsigned"}`, st.RejectedBy.Unsigned),
		counter("tillsync_central_batches_rejected_total", rejected, `{reason="bad_signature"}`, st.RejectedBy.BadSignature),
		counter("tillsync_central_batches_rejected_total", rejected, `{reason="unknown_agent"}`, st.RejectedBy.UnknownAgent),
		counter("tillsync_central_batches_rejected_total", rejected, `{reason="mismatch"}`, st.RejectedBy.Mismatch),
		counter("tillsync_central_batches_rejected_total", rejected, `{reason="invalid"}`,
			st.Rejected-st.RejectedBy.Unsigned-st.RejectedBy.BadSignature-st.RejectedBy.UnknownAgent-st.RejectedBy.Mismatch),
		counter("tillsync_central_batches_failed_total", "Batches the database could not commit (the agent resends).", "", st.Failed),
		counter("tillsync_central_acks_total", "Acks published.", "", st.Acked),
		counter("tillsync_central_acks_failed_total", "Acks that could not be published (the agent resends).", "", st.AckFailed),
		counter("tillsync_central_rpc_total", rpcHelp, `{result="answered"}`, rpc.Answered),
		counter("tillsync_central_rpc_total", rpcHelp, `{result="expired"}`, rpc.Expired),
		counter("tillsync_central_rpc_total", rpcHelp, `{result="rejected"}`, rpc.Rejected),
		counter("tillsync_central_rpc_total", rpcHelp, `{result="failed"}`, rpc.Failed),
	}
}
