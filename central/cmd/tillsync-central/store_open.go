package main

import (
	"context"
	"fmt"
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
func openStore(ctx context.Context, cfg Config, logger *slog.Logger, now func() time.Time, readOnly bool) (central.Store, string, error) {
	c := cfg.Database
	// The member statistics' months are months of the chain's calendar,
	// the zone reports use (reports.time_zone).
	zone, err := cfg.Reports.location()
	if err != nil {
		return nil, "", fmt.Errorf("config reports.time_zone: %w", err)
	}
	if c.Driver == DriverPostgres {
		db, err := postgres.Open(ctx, c.DSN, postgres.Options{Logger: logger, Now: now, StatsZone: zone})
		if err != nil {
			return nil, "", err
		}
		return db, db.Target(), nil
	}
	db, err := sqlite.Open(c.Path, sqlite.Options{ReadOnly: readOnly, Logger: logger, Now: now, StatsZone: zone})
	if err != nil {
		return nil, "", err
	}
	return db, db.Path(), nil
}
