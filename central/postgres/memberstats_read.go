package postgres

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/tillsync/tillsync/central"
)

// memberMonthsCoverMigration (version 11) makes member_months' primary
// key cover the columns the full statistics read sums, so a card range's
// sums come from the index alone. member_months grows month by month as
// sales arrive, so a card's twelve rows lie on twelve heap pages; read by
// card they cost a random page each. The key itself carries the columns
// (rather than a second index), because with two the planner's generic
// plan picked the narrower key and read the heap anyway: 284 ms against
// 30 ms for a range of 10,000 cards (EXPLAIN ANALYZE on the 1M fixture of
// BenchmarkClassificationRun_1M). An update of these columns is no longer
// a HOT update; ingest with statistics measured within noise of before.
const memberMonthsCoverMigration = `
CREATE UNIQUE INDEX member_months_card_cover ON member_months (card, month) INCLUDE (visits, spend_fen, largest_fen);
ALTER TABLE member_months DROP CONSTRAINT member_months_pkey,
	ADD CONSTRAINT member_months_pkey PRIMARY KEY USING INDEX member_months_card_cover;
`

// AllMemberStats reads the statistics as two streams in card order, merged
// here: the lifetime rows through a cursor on the lead connection, and the
// window sums of member_months, whose index scan and aggregation are most
// of the work, in card ranges read by helper connections at once (see
// monthsWalk). Every connection reads in one snapshot, which the lead
// exports (pg_export_snapshot) and the helpers import, so the walk sees
// the database as of one moment, as one statement would.
//
// One statement per range joining both would re-read member_stats and
// points_cards for every range: member_stats' heap is in the order cards
// first bought, not card order, and points_cards.card, in the database's
// collation, cannot be range-scanned in byte order. One sorted lifetime
// stream reads each once. At most statsFetch lifetime rows and
// statsLookahead+1 ranges of sums are held at once.
const (
	// statsHelpers is how many extra connections read window sums. They
	// only speed the walk up: the lead reads every range no helper took.
	statsHelpers = 2
	// statsLookahead bounds the ranges read by helpers and not yet walked,
	// and so the memory held: a range's sums take about 60 bytes a card.
	statsLookahead = 2 * statsHelpers
	// statsRangeCards is the fewest cards worth a range of their own.
	statsRangeCards = 5000
	// statsFetch is how many lifetime rows one cursor FETCH reads.
	statsFetch = 10000
)

// statsSettings apply to every transaction of the walk, whose statements
// are one sort and many small index range scans: parallel workers and JIT
// compilation (tens of ms a statement) only add to their cost. The cursor
// is read to its end, not the 10 % a cursor is planned for by default
// (which walks the card index and looks points_cards up per card: three
// times the CPU). A range's generic plan walks the index in card order;
// the custom plans PostgreSQL tries first read the range's heap pages and
// sort its rows on disk, at 1.7 times the cost.
const statsSettings = `SET LOCAL max_parallel_workers_per_gather = 0; SET LOCAL jit = off;
	SET LOCAL cursor_tuple_fraction = 1; SET LOCAL plan_cache_mode = force_generic_plan`

// AllMemberStats implements central.MemberStatsStore.
func (db *DB) AllMemberStats(ctx context.Context, now time.Time, months int, fn func(central.MemberActivity) error) error {
	now = now.In(db.zone) // windows are months of the chain's calendar
	w, err := central.NewStatsWindow(now, months)
	if err != nil {
		return err
	}
	lead, err := db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return fmt.Errorf("read member statistics: begin: %w", err)
	}
	defer db.rollback(ctx, lead)
	var snapshot string
	if err := lead.QueryRow(ctx, `SELECT pg_export_snapshot()`).Scan(&snapshot); err != nil {
		return fmt.Errorf("read member statistics: export snapshot: %w", err)
	}
	if _, err := lead.Exec(ctx, statsSettings+`; DECLARE member_stats_walk NO SCROLL CURSOR FOR `+
		cardLifetimeSQL+` ORDER BY s.card`); err != nil {
		return fmt.Errorf("read member statistics: %w", err)
	}
	ranges, err := statsRanges(ctx, lead)
	if err != nil {
		return fmt.Errorf("read member statistics: split cards: %w", err)
	}
	// Ending the walk, done or failed, stops helpers taking ranges (or
	// waiting for a connection) but lets a range being read finish, so its
	// connection goes back to the pool clean.
	stopCtx, stop := context.WithCancel(ctx)
	walk := newMonthsWalk(w, ranges, stopCtx.Done())
	var wg sync.WaitGroup
	defer wg.Wait() // the helpers roll back and release their connections
	defer stop()
	for range min(statsHelpers, len(ranges)-1) {
		wg.Go(func() { db.helpWalk(ctx, stopCtx, walk, snapshot) })
	}
	var batch []central.MemberActivity
	for {
		if batch, err = fetchLifetimes(ctx, lead, w, batch[:0]); err != nil {
			return fmt.Errorf("read member statistics: %w", err)
		}
		if len(batch) == 0 {
			return nil
		}
		for i := range batch {
			a := &batch[i]
			m, err := walk.months(ctx, lead, a.Card)
			if err != nil {
				return fmt.Errorf("read member statistics: %w", err)
			}
			a.Visits, a.SpendFen, a.LargestSaleFen, a.AnnualSpendFen = m.visits, m.spendFen, m.largestFen, m.annualFen
			if err := fn(*a); err != nil {
				return err
			}
		}
	}
}

// fetchLifetimes appends the next lifetime rows of the lead's cursor to
// out; none when the cursor is done. A FETCH is described anew each time,
// which keeps its rows in binary format without preparing a statement
// that names a cursor of one transaction.
func fetchLifetimes(ctx context.Context, lead pgx.Tx, w central.StatsWindow, out []central.MemberActivity) ([]central.MemberActivity, error) {
	rows, err := lead.Query(ctx, fmt.Sprintf(`FETCH FORWARD %d FROM member_stats_walk`, statsFetch), pgx.QueryExecModeDescribeExec)
	if err != nil {
		return out, err
	}
	defer rows.Close()
	binary := binaryColumns(rows.FieldDescriptions(), 2, 9)
	for rows.Next() {
		a := central.MemberActivity{Months: w.Months}
		if err := scanLifetime(rows, binary, &a); err != nil {
			return out, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// helpWalk reads window sums for walk on a connection of its own, in the
// lead's snapshot, until no range is left or the walk stops (stopCtx
// ends). It only speeds the walk up, so a helper that cannot start logs
// why and quits.
func (db *DB) helpWalk(ctx, stopCtx context.Context, walk *monthsWalk, snapshot string) {
	tx, err := db.pool.BeginTx(stopCtx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		if stopCtx.Err() == nil {
			db.logger.Warn("member statistics helper not started", "err", err)
		}
		return
	}
	defer db.rollback(ctx, tx)
	if !snapshotID.MatchString(snapshot) {
		db.logger.Warn("member statistics helper not started", "err", fmt.Errorf("unexpected snapshot id %q", snapshot))
		return
	}
	// SET TRANSACTION SNAPSHOT takes no parameters; the id is checked above.
	if _, err := tx.Exec(ctx, `SET TRANSACTION SNAPSHOT '`+snapshot+`'; `+statsSettings); err != nil {
		if ctx.Err() == nil {
			db.logger.Warn("member statistics helper not started", "err", err)
		}
		return
	}
	walk.help(ctx, tx)
}

// snapshotID matches the ids pg_export_snapshot returns (hexadecimal
// numbers joined by dashes), so one can be quoted into SQL.
var snapshotID = regexp.MustCompile(`^[0-9A-Fa-f]+(-[0-9A-Fa-f]+)*$`)

// rollback ends a transaction that has nothing to commit, even after ctx
// has ended.
func (db *DB) rollback(ctx context.Context, tx pgx.Tx) {
	if err := tx.Rollback(context.WithoutCancel(ctx)); err != nil && !errors.Is(err, pgx.ErrTxClosed) {
		db.logger.Warn("rollback", "err", err)
	}
}
