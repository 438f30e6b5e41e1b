// Package postgres is central's Store on PostgreSQL (github.com/jackc/pgx/v5
// through pgxpool): the choice for a chain that runs several central
// instances against one database (DESIGN §6, §7).
//
// It mirrors package sqlite exactly: the same tables and columns, the same
// quarantine rules and the same results, checked by the one contract suite
// in central/storetest. The events' unique keys are the idempotency guard:
// every insert is ON CONFLICT DO NOTHING, so instances ingesting the same
// batch at once store it once, and a deadlock or serialization failure
// between them is retried rather than reported.
//
// A batch is written in one READ COMMITTED transaction in a handful of
// round trips: its per-event statements are sent as pgx.Batch pipelines.
//
// It is the only package importing github.com/jackc/pgx/v5.
package postgres
