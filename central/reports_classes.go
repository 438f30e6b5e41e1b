package central

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tillsync/tillsync/syncproto"
)

// Top products per class (tillsync issue 6): what each class of a
// classification run buys over the run's statistics window. It is read
// from the monthly card × SKU buckets kept at ingest (member_month_skus)
// joined with the run's member classes, never from a rescan of sales, so
// its cost is the classified members' product buckets of the window.
//
// The buckets keep moving after the run: a sale synced late into one of
// the window's months, or a return, changes them. The class's spend a
// share is taken of is therefore read from the same buckets in the same
// statement (the spend on every product the class's members bought in
// the window), not from the run's stored member spend, so the shares of
// one class never pass 100 % and the report reads one snapshot.

// DefaultTopProducts is the number of products per class when none is
// asked for; MaxTopProducts bounds it.
const (
	DefaultTopProducts = 10
	MaxTopProducts     = 1000
)

// ExcludedClass is the class of staff and test cards in every
// classifier.
const ExcludedClass = "excluded"

// TopProductsQuery selects a top-products report.
type TopProductsQuery struct {
	RunID int64 // 0: the latest run
	// Classifier groups members by one classifier's classes; "" means
	// ClassifierPyramid.
	Classifier string
	// Class is one class of Classifier; "" means every class but the
	// excluded staff and test cards (asking for "excluded" by name lists
	// theirs).
	Class string
	Limit int // products per class; 0 means DefaultTopProducts
}

// Normalize returns q with its defaults filled in, or an EINVALID *Error
// naming the first bad field.
func (q TopProductsQuery) Normalize() (TopProductsQuery, error) {
	if q.RunID < 0 {
		return q, Errorf(EINVALID, "classification run id must be positive (0 for the latest), not %d", q.RunID)
	}
	if q.Classifier == "" {
		q.Classifier = ClassifierPyramid
	}
	names := ClassNames(q.Classifier)
	if names == nil {
		return q, Errorf(EINVALID, "classifier %q: use one of %s", q.Classifier, strings.Join(Classifiers(), ", "))
	}
	if q.Class != "" && !slices.Contains(names, q.Class) {
		return q, Errorf(EINVALID, "%s class %q: use one of %s", q.Classifier, q.Class, strings.Join(names, ", "))
	}
	if q.Limit == 0 {
		q.Limit = DefaultTopProducts
	}
	if q.Limit < 1 || q.Limit > MaxTopProducts {
		return q, Errorf(EINVALID, "top products limit must be 1 to %d, not %d", MaxTopProducts, q.Limit)
	}
	return q, nil
}

// Classes returns the classes a normalized q reports, in ClassNames order.
func (q TopProductsQuery) Classes() []string {
	if q.Class != "" {
		return []string{q.Class}
	}
	var out []string
	for _, c := range ClassNames(q.Classifier) {
		if c != ExcludedClass {
			out = append(out, c)
		}
	}
	return out
}

// ClassProduct is one product (SKU) the members of a class bought in the
// window.
type ClassProduct struct {
	Rank          int    // 1 for the class's best seller
	SKU           string // as the tills sent it
	Name          string // from the latest published catalog; "" when the catalog does not list the SKU
	QuantityMilli int64  // units sold, thousandths (weighed goods)
	SpendFen      int64  // spend on its lines less returns of them
	Members       int64  // distinct cards of the class that bought it
	// SpendShareBP is SpendFen ÷ the class's SpendFen in basis points,
	// rounded to the nearest (RateBP); 0 when the class spent nothing.
	SpendShareBP int64
}

// ClassProducts is one class's top products.
type ClassProducts struct {
	Class string
	// SpendFen is the class's spend on every product in the window (the
	// shares' denominator); 0 when its members bought nothing.
	SpendFen int64
	// Products are the best sellers, most spend first; ties by more
	// members, then by SKU in byte order. Empty, never nil, when the
	// class bought nothing.
	Products []ClassProduct
}

// TopProducts is a top-products report of one classification run.
type TopProducts struct {
	RunID      int64
	AsOf       time.Time   // the run's as-of time
	Window     StatsWindow // the run's window, which the report sums
	Classifier string
	Classes    []ClassProducts // the query's classes, in ClassNames order
}

// ClassProductsStore reads the best-selling products of each class of a
// classification run. Implementations are safe for concurrent use.
type ClassProductsStore interface {
	// TopClassProducts returns the report q asks for (see
	// TopProductsQuery), every asked-for class listed even when its
	// members bought nothing. It fails with EINVALID for a bad query
	// and with ENOTFOUND when the run (or any run, for RunID 0) is not
	// stored.
	TopClassProducts(ctx context.Context, q TopProductsQuery) (TopProducts, error)
}

// ClassProductRow is one class × product sum as a database aggregates
// it, with the class's spend over all its products.
type ClassProductRow struct {
	Class         string
	ClassSpendFen int64
	SKU           string
	QuantityMilli int64
	SpendFen      int64
	Members       int64
}

// TopProductsOf assembles the report of normalized q over run runID as of
// asOf (window w) from rows, the top q.Limit products of each class in any
// order. It ranks them (the databases rank alike, but the final order is
// set here once), sets the shares and lists every class of q, failing
// with EINVALID for a row of a class q does not ask for.
func TopProductsOf(q TopProductsQuery, runID int64, asOf time.Time, w StatsWindow, rows []ClassProductRow) (TopProducts, error) {
	tp := TopProducts{RunID: runID, AsOf: asOf, Window: w, Classifier: q.Classifier}
	index := map[string]int{}
	for i, c := range q.Classes() {
		index[c] = i
		tp.Classes = append(tp.Classes, ClassProducts{Class: c, Products: []ClassProduct{}})
	}
	for _, r := range rows {
		i, ok := index[r.Class]
		if !ok {
			return TopProducts{}, Errorf(EINVALID, "top products: %s class %q was not asked for", q.Classifier, r.Class)
		}
		c := &tp.Classes[i]
		c.SpendFen = r.ClassSpendFen
		c.Products = append(c.Products, ClassProduct{SKU: r.SKU, QuantityMilli: r.QuantityMilli,
			SpendFen: r.SpendFen, Members: r.Members})
	}
	for i := range tp.Classes {
		c := &tp.Classes[i]
		slices.SortFunc(c.Products, compareProducts)
		if len(c.Products) > q.Limit {
			c.Products = c.Products[:q.Limit]
		}
		for j := range c.Products {
			p := &c.Products[j]
			p.Rank = j + 1
			p.SpendShareBP = RateBP(p.SpendFen, c.SpendFen)
		}
	}
	return tp, nil
}

// compareProducts orders products best first: more spend, then more
// members, then SKU in byte order.
func compareProducts(a, b ClassProduct) int {
	if c := cmp.Compare(b.SpendFen, a.SpendFen); c != 0 {
		return c
	}
	if c := cmp.Compare(b.Members, a.Members); c != 0 {
		return c
	}
	return strings.Compare(a.SKU, b.SKU)
}

// NameProducts sets the name of every product of tp that the latest
// published catalog lists; products it does not list (or every product,
// when no catalog was ever published) keep "". The catalog, not the
// sales lines, names products: a line's name is whatever the till had.
func NameProducts(ctx context.Context, ds Downstreams, tp *TopProducts) error {
	want := map[string]string{}
	for _, c := range tp.Classes {
		for _, p := range c.Products {
			want[p.SKU] = ""
		}
	}
	if len(want) == 0 {
		return nil
	}
	v, err := ds.LatestStreamVersion(ctx, syncproto.StreamCatalog)
	if err != nil {
		return fmt.Errorf("read the catalog for product names: %w", err)
	}
	if v == nil {
		return nil
	}
	for _, it := range v.Snapshot.GetCatalog().GetUpserts() {
		if _, ok := want[it.GetSku()]; ok {
			want[it.GetSku()] = it.GetName()
		}
	}
	for i := range tp.Classes {
		for j := range tp.Classes[i].Products {
			p := &tp.Classes[i].Products[j]
			p.Name = want[p.SKU]
		}
	}
	return nil
}

// TopProductsRecords renders tp as CSV records (see the ...Records
// functions in reports_records.go): one record per product, with the run
// and the class on every record so an export stands alone; a class whose
// members bought nothing has no record.
func TopProductsRecords(tp TopProducts) [][]string {
	out := [][]string{{"run_id", "as_of", "first_month", "last_month", "classifier", "class", "class_spend_fen",
		"rank", "sku", "name", "quantity_milli", "spend_fen", "spend_yuan", "members", "spend_share_bp", "spend_share"}}
	first, last := FormatMonth(tp.Window.FirstMonth), FormatMonth(tp.Window.LastMonth)
	for _, c := range tp.Classes {
		for _, p := range c.Products {
			out = append(out, []string{itoa(tp.RunID), instant(tp.AsOf), first, last, tp.Classifier, c.Class,
				itoa(c.SpendFen), itoa(int64(p.Rank)), p.SKU, p.Name, itoa(p.QuantityMilli), itoa(p.SpendFen),
				FormatFen(p.SpendFen), itoa(p.Members), itoa(p.SpendShareBP), FormatBP(p.SpendShareBP)})
		}
	}
	return out
}

// FormatMonth renders a yyyymm month as "2006-01".
func FormatMonth(yyyymm int) string { return fmt.Sprintf("%04d-%02d", yyyymm/100, yyyymm%100) }

// FormatMilli renders a quantity in thousandths with three decimals
// ("1.500", "-0.250"), using integer arithmetic only.
func FormatMilli(milli int64) string {
	sign := ""
	u := uint64(milli)
	if milli < 0 {
		sign, u = "-", uint64(-(milli+1))+1 // no overflow at math.MinInt64
	}
	return fmt.Sprintf("%s%d.%03d", sign, u/1000, u%1000)
}
