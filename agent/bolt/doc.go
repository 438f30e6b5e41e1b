// Package bolt is the store agent's ledger on bbolt (go.etcd.io/bbolt): one
// file holding the append-only journal of committed events keyed by the
// agent's gap-free sequence number, the sale index, and meta (schema
// version, store and agent ids, outbox watermark).
//
// It is the only package in the repository that imports bbolt. A sale and
// its journal event are written in one fsynced transaction; concurrent lanes
// share fsyncs through bbolt's group commit (DB.Batch).
package bolt
