// Package mqtt is the store agent's link to central over MQTT, and the only
// package on the agent side that imports the paho client.
//
// The Uplink sends the agent's journal to central in batches and advances
// the outbox watermark only on central's Ack (DESIGN §4). Delivery never
// rests on paho or the broker: a publish token completing says nothing
// about delivery, paho's stores do not fsync, and brokers drop queued
// messages past their limits. The journal (agent.Ledger) and central's Ack
// are the only truth; everything the uplink holds in memory is a cache that
// a restart rebuilds from the persisted watermark.
package mqtt
