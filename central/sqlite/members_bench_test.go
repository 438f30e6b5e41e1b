package sqlite_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/tillsync/tillsync/central"
	"github.com/tillsync/tillsync/central/storetest"
)

// BenchmarkImportMembers_1M imports a legacy member file of 1,000,000 rows
// (TILLSYNC_BENCH_MEMBERS overrides) into a fresh database: rows/s is the
// number to compare with RawInsert, the same number of rows of the same
// width written with plain INSERTs in transactions of the same size on
// the same file settings (WAL, synchronous FULL), in the same run.
func BenchmarkImportMembers_1M(b *testing.B) {
	n := benchMemberCount(b)
	data := storetest.MemberCSV(n)
	keys, err := central.ParseKeyring("k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.Run("Import", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			db := openDB(b, filepath.Join(b.TempDir(), "bench.db"))
			b.StartTimer()
			imp, err := central.ImportMembers(ctx, db, bytes.NewReader(data), "bench.csv", central.ImportOptions{Keys: keys})
			if err != nil || imp.Rows != int64(n) {
				b.Fatalf("import = %+v, %v; want %d rows", imp, err, n)
			}
		}
		b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "rows/s")
	})
	b.Run("RawInsert", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			path := filepath.Join(b.TempDir(), "raw.db")
			raw, err := sql.Open("sqlite", "file:"+path+"?_journal_mode=WAL&_synchronous=FULL&_txlock=immediate")
			if err != nil {
				b.Fatal(err)
			}
			raw.SetMaxOpenConns(1)
			if _, err := raw.Exec(`CREATE TABLE raw (member_id TEXT PRIMARY KEY, card TEXT NOT NULL UNIQUE,
				masked TEXT NOT NULL, phone4 TEXT NOT NULL, personal BLOB) WITHOUT ROWID`); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			if err := rawMembers(raw, n); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			if err := raw.Close(); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
		b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "rows/s")
	})
}

// rawMembers inserts n member-sized rows, central.DefaultImportChunkRows
// per transaction.
func rawMembers(db *sql.DB, n int) error {
	personal := bytes.Repeat([]byte{0xA5}, 110) // a sealed personal document's size
	for first := 1; first <= n; first += central.DefaultImportChunkRows {
		tx, err := db.Begin()
		if err != nil {
			return err
		}
		st, err := tx.Prepare(`INSERT INTO raw VALUES (?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		for i := first; i < first+central.DefaultImportChunkRows && i <= n; i++ {
			if _, err := st.Exec(fmt.Sprintf("M%05d", i), fmt.Sprintf("77%08d", i), "会* 1*", "0001", personal); err != nil {
				return err
			}
		}
		if err := st.Close(); err != nil {
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}
