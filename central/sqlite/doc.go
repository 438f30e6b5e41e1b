// Package sqlite is central's Store on a SQLite file (modernc.org/sqlite,
// pure Go, driver name "sqlite"): the default for a small chain, one file
// and no server (DESIGN §6).
//
// Durability: the database runs in WAL mode with synchronous=FULL, so a
// committed IngestBatch is on disk before central acks it. Writes go
// through one connection that begins every transaction IMMEDIATE, so
// concurrent ingest workers queue in Go instead of failing with
// SQLITE_BUSY; reads use their own pool and never block the writer.
//
// It is the only package importing modernc.org/sqlite.
package sqlite
