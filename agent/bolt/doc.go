// Package bolt is the store agent's ledger on bbolt (go.etcd.io/bbolt): one
// file holding the append-only journal of committed events (sales and
// returns) keyed by the agent's gap-free sequence number, their indexes,
// meta (schema version, store and agent ids, outbox watermark, catalog and
// member cache versions), and the till's state: the catalog with its
// barcode and scale item code indexes, the member cache, the loyalty
// policy, each lane's open basket, the points book per card and the
// quantities returned of each sale.
//
// It is the only package in the repository that imports bbolt. A sale (or
// return), its points entries and its journal event are written in one
// fsynced transaction; concurrent lanes share fsyncs through the ledger's
// own group commit (writer.go: one goroutine runs every waiting commit in
// one transaction).
package bolt
