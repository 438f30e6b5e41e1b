// Package central is the HQ aggregator's domain: sales as central stores
// them, per-store and per-agent summaries, the rules that decide whether a
// batch from an agent can be trusted and whether each of its events can be
// applied, and the Store interface its databases implement.
//
// It imports no I/O library; each technology lives in a subpackage (sqlite,
// mqtt, http) and the wiring lives in cmd/tillsync-central. The storetest
// package holds the contract test suite every Store must pass.
package central
