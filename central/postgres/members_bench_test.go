package postgres

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/tillsync/tillsync/central"
	"github.com/tillsync/tillsync/central/storetest"
)

// BenchmarkImportMembers_1M imports a legacy member file of 1,000,000 rows
// (TILLSYNC_BENCH_MEMBERS overrides) into a fresh database: rows/s is the
// number to compare with RawInsert, the same number of rows of the same
// width written with plain pipelined INSERTs in transactions of the same
// size, in the same run.
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
			db := openDB(b, freshDSN(b))
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
			db := openDB(b, freshDSN(b))
			if _, err := db.pool.Exec(ctx, `CREATE TABLE raw (member_id TEXT PRIMARY KEY, card TEXT NOT NULL UNIQUE,
				masked TEXT NOT NULL, phone4 TEXT NOT NULL, personal BYTEA)`); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			personal := bytes.Repeat([]byte{0xA5}, 110) // a sealed personal document's size
			for first := 1; first <= n; first += central.DefaultImportChunkRows {
				err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
					batch := &pgx.Batch{}
					for i := first; i < first+central.DefaultImportChunkRows && i <= n; i++ {
						batch.Queue(`INSERT INTO raw VALUES ($1, $2, $3, $4, $5)`,
							fmt.Sprintf("M%05d", i), fmt.Sprintf("77%08d", i), "会* 1*", "0001", personal)
					}
					return tx.SendBatch(ctx, batch).Close()
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "rows/s")
	})
}
