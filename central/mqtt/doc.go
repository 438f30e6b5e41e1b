// Package mqtt is central's side of the MQTT link: the Ingester subscribes
// to every agent's up topic, stores each batch through a central.Store and
// acks it only after the commit, and the Broker is the embedded mochi-mqtt
// broker central starts when no external broker is configured (DESIGN §6).
//
// Delivery never rests on MQTT: a batch that is dropped here (queue full,
// store error, shutdown) is simply not acked, and the agent resends it. The
// database's unique keys make the resend harmless.
//
// It is the only package on the central side importing paho and mochi.
package mqtt
