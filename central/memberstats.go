package central

import (
	"context"
	"fmt"
	"time"
)

// Member statistics are kept per card, updated in the transaction that
// applies each event, in calendar-month buckets: a trailing window that
// moves with time cannot be kept exact incrementally, but the sum of the
// last N monthly buckets can be read at query time in O(N) per member,
// never rescanning sales (tillsync issue 6). Months are calendar months
// of the chain's zone (the stores' StatsZone, reports.time_zone; UTC when
// unset), so a window of N months is the current month so far plus the
// N−1 whole months before it.
//
// One card is one member (DESIGN §3); statistics are keyed by card and
// report the member the ledger links to it. Only sales with a member card
// count. A return lowers the spend of its original sale's card in the
// sale's month (and that line's category and product), whichever arrives
// first; visits, purchase counts, quantities and largest sales record what
// was sold and are not lowered by returns.

// DefaultStatsMonths is the statistics window when none is configured:
// the trailing 12 months.
const DefaultStatsMonths = 12

// MaxStatsMonths bounds a statistics window (ten years).
const MaxStatsMonths = 120

// DefaultFavourites and MaxFavourites bound the length of each favourites
// list; a limit of 0 means DefaultFavourites.
const (
	DefaultFavourites = 10
	MaxFavourites     = 1000
)

// MemberActivity is one card's statistics as of a time: the window sums
// over the last Months calendar months (see StatsWindow) and the lifetime
// figures. Money is fen; a zero time means never.
//
// It is named MemberActivity rather than MemberStats so it does not clash
// with the classifier's input type (classify.go); ClassifierStats builds
// that from it.
type MemberActivity struct {
	Card     string // mask it before logging
	MemberID string // the member the ledger links to the card; "" when none
	Months   int    // the window's length in months

	// Window figures.
	Visits         int64 // sales in the window
	SpendFen       int64 // sales in the window less returns of them
	LargestSaleFen int64 // the largest single sale total in the window, as sold
	// AnnualSpendFen is the spend over the last DefaultStatsMonths months
	// whatever Months is (the value quadrant's annual spend).
	AnnualSpendFen int64

	// Lifetime figures.
	FirstPurchase          time.Time // the agent's wall time of the card's earliest sale
	LastPurchase           time.Time // and of its latest
	LifetimeVisits         int64
	LifetimeSpendFen       int64
	LifetimeLargestSaleFen int64
	// PointsEarned is earned less reversed points; PointsRedeemed is
	// redeemed less given-back points, positive (ledger entries of kinds
	// earn, reverse_earn, redeem, refund_redeem; expiry and adjustments
	// are neither).
	PointsEarned   int64
	PointsRedeemed int64
}

// ClassifierStats returns the classifier's view of a. Staff, Test and
// IncomeBracket are not statistics and are left for the caller to set
// from the member's record.
func (a *MemberActivity) ClassifierStats() MemberStats {
	return MemberStats{Card: a.Card, MemberID: a.MemberID, Visits: a.Visits, SpendFen: a.SpendFen,
		LargestSaleFen: a.LargestSaleFen, LastPurchase: a.LastPurchase, AnnualSpendFen: a.AnnualSpendFen}
}

// FavouriteItem is a category or product (SKU) a card bought in a window.
type FavouriteItem struct {
	Key           string // the category or the SKU
	Purchases     int64  // sales in the window with at least one line of it
	QuantityMilli int64  // quantity sold, thousandths
	SpendFen      int64  // spend on its lines less returns of them
}

// MemberFavourites are a card's favourite categories and products over a
// window, each list ranked by frequency (Purchases, then SpendFen) or by
// spend (SpendFen, then Purchases), ties by key in byte order. Sales
// lines without a category count for products only.
type MemberFavourites struct {
	Card                  string
	Months                int
	CategoriesByFrequency []FavouriteItem
	CategoriesBySpend     []FavouriteItem
	ProductsByFrequency   []FavouriteItem
	ProductsBySpend       []FavouriteItem
}

// MemberStatsStore reads the per-card statistics the store maintains at
// ingest (IngestBatch and ReplayQuarantined update them in the event's own
// transaction, exactly once per applied event). months is the window
// length (0 means DefaultStatsMonths); a months outside 0..MaxStatsMonths
// fails with EINVALID. Implementations are safe for concurrent use.
type MemberStatsStore interface {
	// MemberStats returns card's statistics as of now, or an ENOTFOUND
	// *Error for a card with no statistics (no member sale, no points).
	MemberStats(ctx context.Context, card string, now time.Time, months int) (MemberActivity, error)
	// AllMemberStats calls fn with the statistics of every card, in card
	// byte order, streaming rows from the database (it never holds every
	// member in memory). A non-nil error from fn stops it and is returned.
	// fn runs while a read is open: it must not wait for a write to the
	// same store.
	AllMemberStats(ctx context.Context, now time.Time, months int, fn func(MemberActivity) error) error
	// Favourites returns card's favourites as of now, at most limit per
	// list (0 means DefaultFavourites, above MaxFavourites is EINVALID);
	// empty lists for a card with no purchases in the window.
	Favourites(ctx context.Context, card string, now time.Time, months, limit int) (MemberFavourites, error)
}

// StatsWindow is a window of whole calendar months, each as yyyymm.
type StatsWindow struct {
	Months     int
	FirstMonth int // the earliest month summed
	LastMonth  int // now's month
}

// NewStatsWindow returns the window of months calendar months ending with
// now's month (UTC); months 0 means DefaultStatsMonths. It fails with
// EINVALID for months outside 0..MaxStatsMonths.
func NewStatsWindow(now time.Time, months int) (StatsWindow, error) {
	if months == 0 {
		months = DefaultStatsMonths
	}
	if months < 1 || months > MaxStatsMonths {
		return StatsWindow{}, Errorf(EINVALID, "statistics window must be 1 to %d months, not %d", MaxStatsMonths, months)
	}
	last := MonthOf(now)
	return StatsWindow{Months: months, FirstMonth: monthFromIndex(monthIndex(last) - (months - 1)), LastMonth: last}, nil
}

// AnnualFirstMonth is the first month of the DefaultStatsMonths window
// ending with w's last month (for MemberActivity.AnnualSpendFen).
func (w StatsWindow) AnnualFirstMonth() int {
	return monthFromIndex(monthIndex(w.LastMonth) - (DefaultStatsMonths - 1))
}

// FavouritesLimit checks a favourites limit: 0 means DefaultFavourites,
// outside 0..MaxFavourites is EINVALID.
func FavouritesLimit(limit int) (int, error) {
	if limit == 0 {
		return DefaultFavourites, nil
	}
	if limit < 1 || limit > MaxFavourites {
		return 0, Errorf(EINVALID, "favourites limit must be 1 to %d, not %d", MaxFavourites, limit)
	}
	return limit, nil
}

// MonthOf returns t's calendar month in t's location as yyyymm (202601),
// the key of the monthly statistics buckets; yyyymm sorts like time.
// Buckets are months of the chain's calendar (the stores' StatsZone), so
// callers pass times in that zone: a sale at 00:30 on 1 January in
// Shanghai belongs to January, and to the new year's rebate.
func MonthOf(t time.Time) int {
	return t.Year()*100 + int(t.Month())
}

// monthIndex numbers yyyymm months consecutively (year×12 + month−1);
// monthFromIndex is its inverse. Both assume years after 0.
func monthIndex(yyyymm int) int { return yyyymm/100*12 + yyyymm%100 - 1 }

func monthFromIndex(i int) int { return i/12*100 + i%12 + 1 }

// FavouritesQuery reads one ranked favourites list of a card in window w:
// table and column name the item kind ("member_month_categories"/
// "category", "member_month_skus"/"sku"), order is byFrequency or bySpend
// in SQL column positions. Each database implements it with its dialect.
type FavouritesQuery func(ctx context.Context, table, column, order, card string, w StatsWindow, limit int) ([]FavouriteItem, error)

// SQL orderings of a favourites list by column position (key, purchases,
// quantity, spend): most purchases first, or most spend first, ties by the
// other and then by key, so both databases rank alike.
const (
	FavouritesByFrequency = `2 DESC, 4 DESC, 1`
	FavouritesBySpend     = `4 DESC, 2 DESC, 1`
)

// FavouritesFrom is MemberStatsStore.Favourites over a database's query.
func FavouritesFrom(ctx context.Context, query FavouritesQuery, card string, now time.Time, months, limit int) (MemberFavourites, error) {
	w, err := NewStatsWindow(now, months)
	if err != nil {
		return MemberFavourites{}, err
	}
	if limit, err = FavouritesLimit(limit); err != nil {
		return MemberFavourites{}, err
	}
	f := MemberFavourites{Card: card, Months: w.Months}
	lists := []struct {
		table, column, order string
		out                  *[]FavouriteItem
	}{
		{"member_month_categories", "category", FavouritesByFrequency, &f.CategoriesByFrequency},
		{"member_month_categories", "category", FavouritesBySpend, &f.CategoriesBySpend},
		{"member_month_skus", "sku", FavouritesByFrequency, &f.ProductsByFrequency},
		{"member_month_skus", "sku", FavouritesBySpend, &f.ProductsBySpend},
	}
	for _, l := range lists {
		items, err := query(ctx, l.table, l.column, l.order, card, w, limit)
		if err != nil {
			return MemberFavourites{}, fmt.Errorf("read favourites of card %s: %w", MaskCard(card), err)
		}
		*l.out = append([]FavouriteItem{}, items...)
	}
	return f, nil
}
