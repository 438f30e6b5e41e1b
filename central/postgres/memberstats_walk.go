package postgres

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"github.com/tillsync/tillsync/central"
)

// cardMonths is one card's window sums (cardMonthsSQL).
type cardMonths struct {
	card                                    string
	visits, spendFen, largestFen, annualFen int64
}

// monthsPart is one range's sums in card order, or the error that ended
// its read.
type monthsPart struct {
	rows   []cardMonths
	err    error
	helped bool // read by a helper, holding a lookahead token
}

// statsRange is the cards from lo (inclusive) to hi (exclusive; "" means
// no upper bound) in byte order.
type statsRange struct{ lo, hi string }

// monthsWalk hands the window sums of consecutive card ranges to one
// walker, which asks for cards in byte order (months), while helpers read
// ranges ahead of it (help). Ranges are claimed in order, each by whoever
// takes it first; the walker reads a range nobody has taken itself, so it
// never waits for a helper that has not started. Helpers hold at most
// statsLookahead ranges the walker has not finished.
type monthsWalk struct {
	w       central.StatsWindow
	ranges  []statsRange
	parts   []chan monthsPart // one per range, buffered: a helper never waits to hand in
	next    atomic.Int64      // the first range nobody has claimed
	tokens  chan struct{}     // one per helper range not yet walked
	free    chan []cardMonths // walked ranges' slices, for reuse
	stopped <-chan struct{}   // closed when the walk ends: helpers take no more ranges

	// The walker's place.
	cur  int // the range being walked, -1 before the first
	part monthsPart
	j    int // the first row of part not below the last card asked for
}

func newMonthsWalk(w central.StatsWindow, ranges []statsRange, stopped <-chan struct{}) *monthsWalk {
	m := &monthsWalk{w: w, ranges: ranges, parts: make([]chan monthsPart, len(ranges)),
		tokens: make(chan struct{}, statsLookahead), free: make(chan []cardMonths, statsLookahead+1),
		stopped: stopped, cur: -1}
	for i := range m.parts {
		m.parts[i] = make(chan monthsPart, 1)
	}
	return m
}

// months returns card's window sums, zero when it has none. Cards must be
// asked for in byte order; lead is the walker's transaction, for ranges it
// reads itself.
func (m *monthsWalk) months(ctx context.Context, lead pgx.Tx, card string) (cardMonths, error) {
	for m.cur < 0 || (m.ranges[m.cur].hi != "" && card >= m.ranges[m.cur].hi) {
		if err := m.advance(ctx, lead); err != nil {
			return cardMonths{}, err
		}
	}
	rows := m.part.rows
	for m.j < len(rows) && rows[m.j].card < card {
		m.j++
	}
	if m.j < len(rows) && rows[m.j].card == card {
		return rows[m.j], nil
	}
	return cardMonths{}, nil
}

// advance moves the walker to the next range, reading it on lead when no
// helper has claimed it. The last range has no upper bound, so there is
// always a next one while cards are asked for.
func (m *monthsWalk) advance(ctx context.Context, lead pgx.Tx) error {
	if m.cur >= 0 {
		m.recycle(m.part)
	}
	m.cur, m.j = m.cur+1, 0
	if i := int64(m.cur); m.next.CompareAndSwap(i, i+1) {
		rows, err := readMonths(ctx, lead, m.w, m.ranges[m.cur], m.buffer())
		m.part = monthsPart{rows: rows, err: err}
		return err
	}
	select {
	case m.part = <-m.parts[m.cur]:
		return m.part.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// help reads ranges on tx, each holding a lookahead token, until none is
// left, one fails or the walk stops.
func (m *monthsWalk) help(ctx context.Context, tx pgx.Tx) {
	for {
		select {
		case m.tokens <- struct{}{}:
		case <-m.stopped:
			return
		}
		select {
		case <-m.stopped: // both were ready
			return
		default:
		}
		i := m.next.Load()
		for i < int64(len(m.ranges)) && !m.next.CompareAndSwap(i, i+1) {
			i = m.next.Load()
		}
		if i >= int64(len(m.ranges)) {
			<-m.tokens
			return
		}
		rows, err := readMonths(ctx, tx, m.w, m.ranges[i], m.buffer())
		m.parts[i] <- monthsPart{rows: rows, err: err, helped: true}
		if err != nil {
			return
		}
	}
}

// recycle returns a walked part's token and keeps its slice for reuse.
func (m *monthsWalk) recycle(p monthsPart) {
	if p.helped {
		<-m.tokens
	}
	select {
	case m.free <- p.rows[:0]:
	default:
	}
}

// buffer returns a slice to read a range into.
func (m *monthsWalk) buffer() []cardMonths {
	select {
	case b := <-m.free:
		return b
	default:
		return nil
	}
}

// readMonths appends the window sums of one range's cards to out.
func readMonths(ctx context.Context, tx pgx.Tx, w central.StatsWindow, rg statsRange, out []cardMonths) ([]cardMonths, error) {
	cond, args := `card >= $5`, windowArgs(w, rg.lo)
	if rg.hi != "" {
		cond, args = cond+` AND card < $6`, append(args, rg.hi)
	}
	rows, err := tx.Query(ctx, fmt.Sprintf(cardMonthsSQL, cond)+` ORDER BY card`, args...)
	if err != nil {
		return out, fmt.Errorf("sum months from card %q: %w", central.MaskCard(rg.lo), err)
	}
	defer rows.Close()
	binary := binaryColumns(rows.FieldDescriptions(), 1, 5)
	for rows.Next() {
		var c cardMonths
		if err := scanMonths(rows, binary, &c); err != nil {
			return out, fmt.Errorf("sum months from card %q: %w", central.MaskCard(rg.lo), err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("sum months from card %q: %w", central.MaskCard(rg.lo), err)
	}
	return out, nil
}

// statsRanges splits the cards into ranges of about equal size at the
// bounds of the planner's histogram of member_stats.card, which ANALYZE
// (autovacuum) keeps: free, and good enough to share work. Without one (a
// new or small table) it is one range of all cards.
func statsRanges(ctx context.Context, tx pgx.Tx) ([]statsRange, error) {
	var bounds []string
	var cards float64
	err := tx.QueryRow(ctx, `SELECT COALESCE((SELECT histogram_bounds::text::text[] FROM pg_stats
			WHERE schemaname = current_schema() AND tablename = 'member_stats' AND attname = 'card'), '{}'),
		(SELECT reltuples FROM pg_class WHERE oid = 'member_stats'::regclass)`).Scan(&bounds, &cards)
	if err != nil {
		return nil, err
	}
	// Byte order, as the "C" column compares, whatever the histogram's.
	slices.Sort(bounds)
	bounds = slices.Compact(bounds)
	n := min(int(cards)/statsRangeCards, len(bounds)-1) // ranges wanted
	ranges := []statsRange{{}}
	for i := 1; i < n; i++ {
		b := bounds[i*(len(bounds)-1)/n]
		if b == "" || b == ranges[len(ranges)-1].lo {
			continue
		}
		ranges[len(ranges)-1].hi = b
		ranges = append(ranges, statsRange{lo: b})
	}
	return ranges, nil
}
