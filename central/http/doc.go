// Package http is central's HQ API: sales reports (JSON and CSV), single
// sales, the agents' sync status and a health check. Errors are JSON
// {"error":{"code":..,"message":..}} with the code of a central.Error
// mapped to the HTTP status at this edge.
//
// Member card numbers never leave this API in full: a sale shows the card
// masked to its last four digits (DESIGN §3, privacy).
package http
