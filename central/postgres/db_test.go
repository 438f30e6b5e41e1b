package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/tillsync/tillsync/central"
	"github.com/tillsync/tillsync/central/storetest"
	"github.com/tillsync/tillsync/syncproto"
)

var receivedAt = time.Date(2026, 1, 1, 1, 0, 0, 0, time.UTC)

func schemaVersions(t *testing.T, db *DB) (versions, max int) {
	t.Helper()
	err := db.pool.QueryRow(context.Background(),
		`SELECT COUNT(*), COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&versions, &max)
	if err != nil {
		t.Fatalf("read schema_migrations: %v", err)
	}
	return versions, max
}

func TestOpen(t *testing.T) {
	t.Run("Fresh", func(t *testing.T) {
		now := time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)
		db, err := Open(context.Background(), freshDSN(t), Options{Now: func() time.Time { return now }})
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		t.Cleanup(func() { mustClose(t, db) })
		if n, v := schemaVersions(t, db); n != len(migrations) || v != len(migrations) {
			t.Fatalf("schema_migrations holds %d rows up to %d, want %d", n, v, len(migrations))
		}
		var applied int64
		if err := db.pool.QueryRow(context.Background(), `SELECT applied_ms FROM schema_migrations
			WHERE version = 1`).Scan(&applied); err != nil || applied != now.UnixMilli() {
			t.Fatalf("applied_ms = %d, %v; want the injected clock %d", applied, err, now.UnixMilli())
		}
		if !strings.Contains(db.Target(), ":") || !strings.Contains(db.Target(), "/tillsync_test_") {
			t.Errorf("Target = %q, want host:port/database", db.Target())
		}
	})
	t.Run("ReopenKeepsData", func(t *testing.T) {
		dsn := freshDSN(t)
		db, err := Open(context.Background(), dsn, Options{})
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		if _, err := db.IngestBatch(context.Background(), storetest.SaleBatch("s1", "a1", 1, 3), receivedAt); err != nil {
			t.Fatalf("IngestBatch: %v", err)
		}
		mustClose(t, db)
		db = openDB(t, dsn)
		got, err := db.SalesByStore(context.Background())
		if err != nil || len(got) != 1 || got[0].Sales != 3 {
			t.Fatalf("SalesByStore after reopen = %+v, %v; want 3 sales", got, err)
		}
		if n, _ := schemaVersions(t, db); n != len(migrations) {
			t.Fatalf("schema_migrations holds %d rows after reopen, want %d (no migration twice)", n, len(migrations))
		}
	})
	t.Run("ConcurrentOpen", func(t *testing.T) {
		// Instances started together migrate once (advisory lock).
		dsn := freshDSN(t)
		const instances = 4
		dbs := make([]*DB, instances)
		errs := make([]error, instances)
		var wg sync.WaitGroup
		for i := range instances {
			wg.Go(func() { dbs[i], errs[i] = Open(context.Background(), dsn, Options{}) })
		}
		wg.Wait()
		for i := range instances {
			if errs[i] != nil {
				t.Fatalf("Open %d: %v", i, errs[i])
			}
			t.Cleanup(func() { mustClose(t, dbs[i]) })
		}
		if n, _ := schemaVersions(t, dbs[0]); n != len(migrations) {
			t.Fatalf("schema_migrations holds %d rows, want %d", n, len(migrations))
		}
	})
	t.Run("ErrSchemaTooNew", func(t *testing.T) {
		dsn := freshDSN(t)
		db := openDB(t, dsn)
		if _, err := db.pool.Exec(context.Background(), `INSERT INTO schema_migrations (version, applied_ms)
			VALUES ($1, 0)`, len(migrations)+1); err != nil {
			t.Fatalf("insert version: %v", err)
		}
		_, err := Open(context.Background(), dsn, Options{})
		if !errors.Is(err, central.ErrSchemaTooNew) {
			t.Fatalf("Open err = %v, want ErrSchemaTooNew", err)
		}
		if !strings.Contains(err.Error(), fmt.Sprintf("schema version %d", len(migrations)+1)) {
			t.Errorf("err = %q, want it to name the database's version", err)
		}
	})
	t.Run("ErrUnreachableHidesPassword", func(t *testing.T) {
		_, err := Open(context.Background(), "postgres://u:s3cret-pw@127.0.0.1:1/x?sslmode=disable&connect_timeout=5", Options{})
		if err == nil {
			t.Fatal("Open of a closed port succeeded")
		}
		if strings.Contains(err.Error(), "s3cret-pw") {
			t.Fatalf("err = %q carries the password", err)
		}
	})
	t.Run("ErrBadDSN", func(t *testing.T) {
		_, err := Open(context.Background(), "postgres://u:s3cret-pw@127.0.0.1:notaport/x", Options{})
		if err == nil || strings.Contains(err.Error(), "s3cret-pw") {
			t.Fatalf("err = %v, want a parse error without the password", err)
		}
	})
}

func mustClose(t *testing.T, db *DB) {
	t.Helper()
	if err := db.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

// TestDB_IngestBatch covers what the contract suite cannot: several
// processes (here: pools) on one database, and PostgreSQL's own limits.
func TestDB_IngestBatch(t *testing.T) {
	t.Run("ConcurrentInstancesSameBatchAppliedOnce", func(t *testing.T) {
		dsn := freshDSN(t)
		const instances = 4
		dbs := make([]*DB, instances)
		for i := range dbs {
			dbs[i] = openDB(t, dsn)
		}
		b := storetest.SaleBatch("s1", "a1", 1, 50)
		results := make([]central.IngestResult, instances)
		errs := make([]error, instances)
		var wg sync.WaitGroup
		for i := range instances {
			wg.Go(func() { results[i], errs[i] = dbs[i].IngestBatch(context.Background(), b, receivedAt) })
		}
		wg.Wait()
		var applied, dups int
		for i := range instances {
			if errs[i] != nil {
				t.Fatalf("instance %d: %v", i, errs[i])
			}
			applied += results[i].Applied
			dups += results[i].Duplicates
		}
		if applied != 50 || dups != 50*(instances-1) {
			t.Fatalf("applied %d, duplicates %d; want 50 and %d", applied, dups, 50*(instances-1))
		}
		wantTotals(t, dbs[0], []central.StoreSales{{StoreID: "s1", Sales: 50, TotalFen: storetest.SumTotals(1, 50)}})
	})
	t.Run("ConcurrentInstancesOverlapping", func(t *testing.T) {
		// Overlapping batches of two agents of one store, in opposite
		// orders, lock rows in different orders; a deadlock victim is
		// retried, so every call succeeds and each sale counts once.
		dsn := freshDSN(t)
		batches := []*syncproto.Batch{
			storetest.SaleBatch("s1", "a1", 1, 30), storetest.SaleBatch("s1", "a1", 10, 40),
			storetest.SaleBatch("s1", "a2", 1, 40), storetest.SaleBatch("s1", "a2", 20, 25),
			storetest.SaleBatch("s1", "a1", 35, 40), storetest.SaleBatch("s1", "a2", 1, 5),
		}
		errs := make([]error, len(batches))
		results := make([]central.IngestResult, len(batches))
		var wg sync.WaitGroup
		for i, b := range batches {
			db := openDB(t, dsn)
			wg.Go(func() { results[i], errs[i] = db.IngestBatch(context.Background(), b, receivedAt) })
		}
		wg.Wait()
		var applied int
		for i, err := range errs {
			if err != nil {
				t.Fatalf("batch %d: %v", i, err)
			}
			applied += results[i].Applied
		}
		if applied != 80 {
			t.Fatalf("applied %d, want 80", applied)
		}
		db := openDB(t, dsn)
		wantTotals(t, db, []central.StoreSales{{StoreID: "s1", Sales: 80, TotalFen: 2 * storetest.SumTotals(1, 40)}})
	})
	t.Run("CrossedSaleIDsDeadlockRetried", func(t *testing.T) { testCrossedSaleIDs(t) })
	t.Run("NULQuarantined", func(t *testing.T) {
		tests := []struct {
			name  string
			spoil func(ev *syncproto.Event)
		}{
			{"InName", func(ev *syncproto.Event) { ev.GetSaleCommitted().Lines[0].Name = "rice\x00" }},
			{"InEventID", func(ev *syncproto.Event) { ev.EventId = "ev\x00" }},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				db := openDB(t, freshDSN(t))
				b := storetest.SaleBatch("s1", "a1", 1, 3)
				tt.spoil(b.Events[1])
				wantResult(t, db, b, central.IngestResult{Applied: 2, Quarantined: 1})
				wantResult(t, db, b, central.IngestResult{Duplicates: 3})
				q, err := db.Quarantined(context.Background(), 10)
				if err != nil || len(q) != 1 || q[0].Seq != 2 || !strings.HasPrefix(q[0].Reason, central.ReasonBadData+": ") {
					t.Fatalf("Quarantined = %+v, %v; want seq 2 as %s", q, err, central.ReasonBadData)
				}
			})
		}
	})
	t.Run("LineNoUint32Max", func(t *testing.T) {
		db := openDB(t, freshDSN(t))
		b := storetest.SaleBatch("s1", "a1", 1, 1)
		b.Events[0].GetSaleCommitted().Lines[0].LineNo = 1<<32 - 1
		wantResult(t, db, b, central.IngestResult{Applied: 1})
		s, err := db.Sale(context.Background(), storetest.SaleID("a1", 1))
		if err != nil || s.Lines[0].No != 1<<32-1 {
			t.Fatalf("Sale = %+v, %v; want line_no %d", s, err, 1<<32-1)
		}
	})
	t.Run("ErrCanceled", func(t *testing.T) {
		db := openDB(t, freshDSN(t))
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := db.IngestBatch(ctx, storetest.SaleBatch("s1", "a1", 1, 2), receivedAt); err == nil {
			t.Fatal("IngestBatch with a canceled context succeeded")
		}
		wantTotals(t, db, []central.StoreSales{})
	})
}

// testCrossedSaleIDs sends, from two instances at once, two agents' batches
// whose sales take the same two ids in opposite orders: the transactions
// wait on each other's sale rows, PostgreSQL aborts one as a deadlock
// victim and IngestBatch runs it again. Whoever wins, each id is applied
// once and the other event quarantined; no call fails.
func testCrossedSaleIDs(t *testing.T) {
	dsn := freshDSN(t)
	var logs lockedBuffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	dbs := [2]*DB{}
	for i := range dbs {
		db, err := Open(context.Background(), dsn, Options{Logger: logger})
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		t.Cleanup(func() { mustClose(t, db) })
		dbs[i] = db
	}
	const rounds = 10
	for r := range rounds {
		x, y := fmt.Sprintf("X%d", r), fmt.Sprintf("Y%d", r)
		batches := [2]*syncproto.Batch{crossed("ax", r, x, y), crossed("ay", r, y, x)}
		var res [2]central.IngestResult
		var errs [2]error
		var wg sync.WaitGroup
		for i := range batches {
			wg.Go(func() { res[i], errs[i] = dbs[i].IngestBatch(context.Background(), batches[i], receivedAt) })
		}
		wg.Wait()
		if errs[0] != nil || errs[1] != nil {
			t.Fatalf("round %d: %v, %v", r, errs[0], errs[1])
		}
		if a, q := res[0].Applied+res[1].Applied, res[0].Quarantined+res[1].Quarantined; a != 2 || q != 2 {
			t.Fatalf("round %d: results %+v, want 2 applied and 2 quarantined", r, res)
		}
	}
	// Which event of an id wins decides the fen, not the count.
	if got, err := dbs[0].SalesByStore(context.Background()); err != nil || len(got) != 1 || got[0].Sales != 2*rounds {
		t.Fatalf("SalesByStore = %+v, %v; want %d sales", got, err, 2*rounds)
	}
	t.Logf("transactions retried: %d", strings.Count(logs.String(), "ingest batch retried"))
}

// crossed is a batch of agent's seqs 2r+1 and 2r+2 whose sales have the
// ids first and second.
func crossed(agent string, r int, first, second string) *syncproto.Batch {
	b := storetest.SaleBatch("s1", agent, uint64(2*r+1), uint64(2*r+2))
	b.Events[0].GetSaleCommitted().SaleId = first
	b.Events[1].GetSaleCommitted().SaleId = second
	return b
}

// lockedBuffer is a bytes.Buffer safe for the concurrent writes of a
// shared logger.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func wantResult(t *testing.T, db *DB, b *syncproto.Batch, want central.IngestResult) {
	t.Helper()
	got, err := db.IngestBatch(context.Background(), b, receivedAt)
	if err != nil || got != want {
		t.Fatalf("IngestBatch = %+v, %v; want %+v", got, err, want)
	}
}

func wantTotals(t *testing.T, db *DB, want []central.StoreSales) {
	t.Helper()
	got, err := db.SalesByStore(context.Background())
	if err != nil {
		t.Fatalf("SalesByStore: %v", err)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("SalesByStore = %+v, want %+v", got, want)
	}
}

func TestRetryable(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"Deadlock", &pgconn.PgError{Code: "40P01"}, true},
		{"SerializationFailure", fmt.Errorf("commit: %w", &pgconn.PgError{Code: "40001"}), true},
		{"UniqueViolation", &pgconn.PgError{Code: "23505"}, false},
		{"Other", errors.New("connection reset"), false},
		{"Nil", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := retryable(tt.err); got != tt.want {
				t.Fatalf("retryable(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}
