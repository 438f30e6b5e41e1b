package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/tillsync/tillsync/central"
	"github.com/tillsync/tillsync/central/postgres"
	"github.com/tillsync/tillsync/central/sqlite"
)

// openStore opens the store c.Driver names and returns it with its name
// for logs (a file, or host:port/db — never a password). readOnly opens a
// SQLite file read-only, for reports next to a running central;
// PostgreSQL has no such mode here, and its Open migrates as run would.
func openStore(ctx context.Context, c DatabaseConfig, logger *slog.Logger, now func() time.Time, readOnly bool) (central.Store, string, error) {
	if c.Driver == DriverPostgres {
		db, err := postgres.Open(ctx, c.DSN, postgres.Options{Logger: logger, Now: now})
		if err != nil {
			return nil, "", err
		}
		return db, db.Target(), nil
	}
	db, err := sqlite.Open(c.Path, sqlite.Options{ReadOnly: readOnly, Logger: logger, Now: now})
	if err != nil {
		return nil, "", err
	}
	return db, db.Path(), nil
}
