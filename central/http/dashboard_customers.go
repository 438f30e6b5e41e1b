package http

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/tillsync/tillsync/central"
)

// dashboardTopProducts is how many products the customers page lists per
// pyramid class; the CSV export (/v1/reports/top-products) has more.
const dashboardTopProducts = 5

// customersData is the customers page: the latest classification run's
// pyramid, segments, quadrants and ABC classes, and what each pyramid
// class buys. Run is nil when no run is stored.
type customersData struct {
	Run       *customersRun
	Pyramid   pyramidChart
	Segments  classTable
	Quadrants classTable
	ABC       classTable
	Products  []classProductsRows
	// ProductsPending: the best sellers are still being computed.
	ProductsPending bool
	TopLimit        int
	FirstMonth      string // the window, "2006-01"
	LastMonth       string
}

// customersRun describes the run the page shows.
type customersRun struct {
	central.ClassificationRun
	// Staff is the pyramid's excluded class: staff and test cards.
	Staff classRow
}

// classTable is one classifier's classes as a table.
type classTable struct {
	ID, Title string // the table's id and first column's heading
	Rows      []classRow
}

// classRow is one class of a classifier, its share formatted.
type classRow struct {
	central.ClassSize
	Share string // "12.34 %"
}

// classProductsRows is one pyramid class's top products, formatted.
type classProductsRows struct {
	Class    string
	SpendFen int64
	Products []productRow
}

// productRow is one product with its quantity and share formatted.
type productRow struct {
	central.ClassProduct
	Quantity string // "1.250"
	Share    string
}

// customersPage loads the customers page from the latest run
// (central.ClassificationStore) and its top products
// (central.ClassProductsStore). Without a run it shows the placeholder
// pyramid and no error: a chain that never classified is not a fault.
func (s *Server) customersPage(r *http.Request) (any, error) {
	ctx := r.Context()
	d := customersData{Pyramid: pyramidOf(nil), TopLimit: dashboardTopProducts}
	cs, ok1 := s.store.(central.ClassificationStore)
	if !ok1 || s.products == nil {
		return d, central.Errorf(central.EUNAVAILABLE, "this store keeps no member classification")
	}
	run, err := cs.LatestRun(ctx)
	if central.ErrorCode(err) == central.ENOTFOUND {
		return d, nil
	}
	if err != nil {
		return d, err
	}
	sizes, err := cs.ClassSizes(ctx, run.ID)
	if err != nil {
		return d, err
	}
	tp, pending, err := s.products.get(ctx, run.ID, productsWait)
	if err != nil {
		return d, err
	}
	d.ProductsPending = pending
	d.Run = &customersRun{ClassificationRun: run}
	d.Segments = classTable{ID: "segments", Title: "Segment"}
	d.Quadrants = classTable{ID: "quadrants", Title: "Quadrant"}
	d.ABC = classTable{ID: "abc", Title: "Class"}
	var pyramid []central.ClassSize
	for _, c := range sizes {
		row := classRow{ClassSize: c, Share: central.FormatBP(c.SpendShareBP)}
		switch c.Classifier {
		case central.ClassifierPyramid:
			if c.Class == central.ExcludedClass {
				d.Run.Staff = row
			} else {
				pyramid = append(pyramid, c)
			}
		case central.ClassifierSegment:
			d.Segments.Rows = append(d.Segments.Rows, row)
		case central.ClassifierQuadrant:
			d.Quadrants.Rows = append(d.Quadrants.Rows, row)
		case central.ClassifierABC:
			d.ABC.Rows = append(d.ABC.Rows, row)
		}
	}
	d.Pyramid = pyramidOf(pyramid)
	for _, c := range tp.Classes {
		rows := classProductsRows{Class: c.Class, SpendFen: c.SpendFen}
		for _, p := range c.Products {
			rows.Products = append(rows.Products, productRow{ClassProduct: p,
				Quantity: central.FormatMilli(p.QuantityMilli), Share: central.FormatBP(p.SpendShareBP)})
		}
		d.Products = append(d.Products, rows)
	}
	d.FirstMonth, d.LastMonth = central.FormatMonth(tp.Window.FirstMonth), central.FormatMonth(tp.Window.LastMonth)
	return d, nil
}

// pyramidChart is the customer pyramid drawn as inline SVG by the
// template: four stacked trapezoids, VIP on top, each labelled to its
// right. No JavaScript; every text goes through html/template.
type pyramidChart struct {
	Width, Height int
	Placeholder   bool // no run: grey bands without figures
	Bands         []pyramidBand
}

// pyramidBand is one layer, laid out in SVG user units.
type pyramidBand struct {
	Class   string // "vip", the CSS class suffix and data-class
	Title   string // "VIP"
	Points  string // the trapezoid's corners, "x,y x,y x,y x,y"
	LabelX  int
	TitleY  int // baseline of the title
	DetailY int // baseline of the members and share line
	Members int64
	Share   string // "12.34 %"
	Tooltip string
}

// Pyramid geometry in SVG user units. The sides meet at an apex above the
// first band, so the VIP band is a trapezoid too.
const (
	pyramidWidth  = 640
	pyramidCX     = 180 // the pyramid's axis
	pyramidBase   = 340 // width of the bottom edge
	pyramidApex   = 36  // apex height above the first band's top
	pyramidBandH  = 56
	pyramidGap    = 6
	pyramidMargin = 10
	pyramidLabel  = pyramidCX + pyramidBase/2 + 24
)

// pyramidLayers are the drawn layers, top first, with their titles.
var pyramidLayers = []struct{ class, title string }{
	{"vip", "VIP"}, {"big", "Big"}, {"ordinary", "Ordinary"}, {"small", "Small"},
}

// pyramidOf lays out the pyramid of sizes, the pyramid classifier's
// classes (as ClassSizes returns them; the excluded class is not drawn);
// nil sizes draw the placeholder. A layer missing from sizes has no
// members.
func pyramidOf(sizes []central.ClassSize) pyramidChart {
	c := pyramidChart{Width: pyramidWidth, Placeholder: sizes == nil}
	bottom := pyramidMargin + len(pyramidLayers)*pyramidBandH + (len(pyramidLayers)-1)*pyramidGap
	apex := pyramidMargin - pyramidApex
	half := func(y int) int { return pyramidBase * (y - apex) / (bottom - apex) / 2 }
	for i, l := range pyramidLayers {
		top := pyramidMargin + i*(pyramidBandH+pyramidGap)
		low := top + pyramidBandH
		b := pyramidBand{Class: l.class, Title: l.title, LabelX: pyramidLabel, TitleY: top + 24, DetailY: top + 44,
			Share: central.FormatBP(0)}
		b.Points = strings.Join([]string{
			point(pyramidCX-half(top), top), point(pyramidCX+half(top), top),
			point(pyramidCX+half(low), low), point(pyramidCX-half(low), low),
		}, " ")
		for _, s := range sizes {
			if s.Class == l.class {
				b.Members, b.Share = s.Members, central.FormatBP(s.SpendShareBP)
			}
		}
		if c.Placeholder {
			b.Tooltip = l.title + ": no classification run yet"
		} else {
			b.Tooltip = l.title + ": " + membersText(b.Members) + ", " + b.Share + " of spend"
		}
		c.Bands = append(c.Bands, b)
	}
	c.Height = bottom + pyramidMargin
	return c
}

func point(x, y int) string { return strconv.Itoa(x) + "," + strconv.Itoa(y) }

// membersText is "1 member" or "n members".
func membersText(n int64) string {
	if n == 1 {
		return "1 member"
	}
	return strconv.FormatInt(n, 10) + " members"
}

// newProductsCache returns the best-sellers cache over store, nil when it
// keeps no product statistics.
func newProductsCache(store Reader) *productsCache {
	cp, ok := store.(central.ClassProductsStore)
	if !ok {
		return nil
	}
	return &productsCache{compute: func(ctx context.Context, runID int64) (central.TopProducts, error) {
		return cp.TopClassProducts(ctx, central.TopProductsQuery{RunID: runID, Limit: dashboardTopProducts})
	}}
}
