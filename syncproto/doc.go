// Package syncproto is the wire contract between store agents and central:
// the Protocol Buffers schema (tillsync.proto) with its generated Go code,
// the MQTT topic names, and helpers to encode, decode and render messages.
//
// It imports neither the agent nor central; both import it.
//
// Regenerate the Go code with ./generate.sh after changing the schema; the
// golden files under testdata/ hold the wire bytes of sample messages so an
// accidental schema break fails the tests.
package syncproto

// SchemaVersion is the schema_version this code writes and understands.
// A receiver refuses a message with a higher version.
const SchemaVersion uint32 = 1
