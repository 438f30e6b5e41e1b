// Package agent is the store agent's domain: sales and their lines, the
// rules that check them, and the interfaces the agent needs from its
// ledger (bolt), its uplink to central (mqtt) and its API (http).
//
// It imports no I/O library; each technology lives in a subpackage and the
// wiring lives in cmd/tillsync-agent.
package agent
