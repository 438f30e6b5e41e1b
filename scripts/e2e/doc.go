// Package e2e holds the end-to-end tests of tillsync: they build the real
// tillsync-agent and tillsync-central binaries, run them as processes
// against the embedded broker or a Mosquitto they start on a free port,
// and kill them with SIGKILL to prove every confirmed sale reaches central
// exactly once. Run them with go test ./scripts/e2e/ (scripts/test.sh
// runs them with everything else).
package e2e
