// Package http is the store agent's local API for the till front end:
// JSON over HTTP on localhost. It maps the agent's coded errors to HTTP
// status codes and never echoes a full card number into a log.
package http
