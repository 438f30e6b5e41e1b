// Package storetest is the contract test suite every central.Store must
// pass: SQLite today, PostgreSQL later, one suite for both (the
// litestream replica-client pattern). A backend's tests call Run with a
// function that opens a fresh, empty store.
//
// It also exports batch builders that other packages' tests reuse.
package storetest
