// Package syncproto is the wire contract between store agents and central:
// the Protocol Buffers schema (tillsync.proto) with its generated Go code,
// the MQTT topic names, and helpers to encode, decode and render messages.
//
// DecodeBatch, DecodeAck and DecodeEvent are the only way bytes from the
// wire or the journal become messages: they bound the size, refuse a newer
// schema_version and check what every message must hold, and fail with a
// sentinel from errors.go, never a panic. SignBatch and VerifyBatch carry the
// per-agent HMAC; RenderJSON shows any payload to a human.
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
