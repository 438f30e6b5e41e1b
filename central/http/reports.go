package http

import (
	"encoding/csv"
	"net/http"
	"strconv"
	"time"

	"github.com/tillsync/tillsync/central"
)

// ReportOptions tune the /v1/reports routes (SetReportOptions).
type ReportOptions struct {
	// Location is the chain's time zone for report periods and for the
	// dates in ?from= and ?to=; nil keeps central.DefaultReportTimeZone.
	Location *time.Location
	// PointValueFenPer100 values points in the liability report; 0 keeps
	// central.DefaultPointValueFenPer100.
	PointValueFenPer100 int64
	// Now is the clock for default ranges, the liability and sync lags;
	// nil keeps time.Now.
	Now func() time.Time
}

// reportRoutes is the state of the report routes.
type reportRoutes struct {
	opts ReportOptions
}

// defaultReportOptions are the options until SetReportOptions. The zone
// falls back to a fixed UTC+8 named like it when the host has no zoneinfo:
// China has kept UTC+8 without daylight saving since 1991, so the two
// agree on every sale a till can record.
func defaultReportOptions() ReportOptions {
	loc, err := time.LoadLocation(central.DefaultReportTimeZone)
	if err != nil {
		loc = time.FixedZone(central.DefaultReportTimeZone, 8*60*60)
	}
	return ReportOptions{Location: loc, PointValueFenPer100: central.DefaultPointValueFenPer100, Now: time.Now}
}

// SetReportOptions sets the report options; zero fields keep their
// defaults. Call it before serving; it is not safe to call while requests
// are served.
func (s *Server) SetReportOptions(o ReportOptions) {
	d := defaultReportOptions()
	if o.Location == nil {
		o.Location = d.Location
	}
	if o.PointValueFenPer100 == 0 {
		o.PointValueFenPer100 = d.PointValueFenPer100
	}
	if o.Now == nil {
		o.Now = d.Now
	}
	s.reports.opts = o
}

// routeReports registers the HQ reports: JSON, or CSV with ?format=csv.
// Like the member routes they need a dashboard session when the dashboard
// is on (sales and liability are the chain's business figures).
func (s *Server) routeReports() {
	s.reports = &reportRoutes{opts: defaultReportOptions()}
	s.mux.HandleFunc("GET /v1/reports/sales", s.requireSession(s.handleReportSales))
	s.mux.HandleFunc("GET /v1/reports/member-contribution", s.requireSession(s.handleReportContribution))
	s.mux.HandleFunc("GET /v1/reports/points-liability", s.requireSession(s.handleReportLiability))
	s.mux.HandleFunc("GET /v1/reports/redemption-rate", s.requireSession(s.handleReportRedemption))
	s.mux.HandleFunc("GET /v1/reports/sync-status", s.requireSession(s.handleReportSyncStatus))
	s.mux.HandleFunc("GET /v1/reports/top-products", s.requireSession(s.handleReportTopProducts))
}

// reportRequest is what every report handler reads first: the store's
// reports, ?format= and, for ranged reports, ?from= and ?to=.
type reportRequest struct {
	reports  central.Reports
	csv      bool
	from, to time.Time
}

// reportArgs reads the common parameters; on a bad one it answers and
// returns false.
func (s *Server) reportArgs(w http.ResponseWriter, r *http.Request, ranged bool) (reportRequest, bool) {
	q := r.URL.Query()
	var req reportRequest
	var ok bool
	if req.csv, ok = s.reportFormat(w, r); !ok {
		return req, false
	}
	if ranged {
		var err error
		o := s.reports.opts
		if req.from, req.to, err = central.ReportRange("from", q.Get("from"), "to", q.Get("to"), o.Now(), o.Location); err != nil {
			s.writeError(w, r, err)
			return req, false
		}
	}
	if req.reports, ok = s.store.(central.Reports); !ok {
		s.writeError(w, r, central.Errorf(central.EUNAVAILABLE, "this store has no reports"))
		return req, false
	}
	return req, true
}

// reportFormat reads ?format=: asCSV is true for CSV, false for JSON (the
// default). On a bad format it answers and returns ok false.
func (s *Server) reportFormat(w http.ResponseWriter, r *http.Request) (asCSV, ok bool) {
	switch f := r.URL.Query().Get("format"); f {
	case "", "json":
		return false, true
	case "csv":
		return true, true
	default:
		s.writeError(w, r, central.Errorf(central.EINVALID, "format %q: use json or csv", f))
		return false, false
	}
}

// writeCSV answers records as a CSV file named name.csv.
func (s *Server) writeCSV(w http.ResponseWriter, name string, records [][]string) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.csv"`)
	if err := csv.NewWriter(w).WriteAll(records); err != nil {
		s.logger.Warn("write csv", "report", name, "err", err)
	}
}

type periodSalesJSON struct {
	StoreID     string    `json:"store_id"`
	PeriodStart time.Time `json:"period_start"`
	Sales       int64     `json:"sales"`
	TotalFen    int64     `json:"total_fen"`
	TotalYuan   string    `json:"total_yuan"`
}

// handleReportSales answers sales per store and local ?by=day (default)
// or hour.
func (s *Server) handleReportSales(w http.ResponseWriter, r *http.Request) {
	req, ok := s.reportArgs(w, r, true)
	if !ok {
		return
	}
	by := r.URL.Query().Get("by")
	if by == "" {
		by = central.PeriodDay
	}
	loc := s.reports.opts.Location
	rows, err := req.reports.SalesByPeriod(r.Context(), req.from, req.to, by, loc)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if req.csv {
		s.writeCSV(w, "sales-by-"+by, central.SalesRecords(rows, by))
		return
	}
	out := []periodSalesJSON{}
	for _, p := range rows {
		out = append(out, periodSalesJSON{p.StoreID, p.Start, p.Sales, p.TotalFen, central.FormatFen(p.TotalFen)})
	}
	s.writeJSON(w, http.StatusOK, map[string]any{"from": req.from, "to": req.to, "by": by,
		"time_zone": loc.String(), "rows": out})
}

type contributionJSON struct {
	StoreID     string `json:"store_id"`
	Month       string `json:"month"`
	Sales       int64  `json:"sales"`
	TotalFen    int64  `json:"total_fen"`
	MemberSales int64  `json:"member_sales"`
	MemberFen   int64  `json:"member_fen"`
	RateBP      int64  `json:"rate_bp"`
	Rate        string `json:"rate"`
}

// handleReportContribution answers member sales ÷ all sales per store and
// local month.
func (s *Server) handleReportContribution(w http.ResponseWriter, r *http.Request) {
	req, ok := s.reportArgs(w, r, true)
	if !ok {
		return
	}
	loc := s.reports.opts.Location
	rows, err := req.reports.MemberContribution(r.Context(), req.from, req.to, loc)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if req.csv {
		s.writeCSV(w, "member-contribution", central.ContributionRecords(rows))
		return
	}
	out := []contributionJSON{}
	for _, m := range rows {
		out = append(out, contributionJSON{m.StoreID, m.Month.Format("2006-01"), m.Sales, m.TotalFen,
			m.MemberSales, m.MemberFen, m.RateBP, central.FormatBP(m.RateBP)})
	}
	s.writeJSON(w, http.StatusOK, map[string]any{"from": req.from, "to": req.to, "time_zone": loc.String(), "rows": out})
}

// handleReportLiability answers the points liability now.
func (s *Server) handleReportLiability(w http.ResponseWriter, r *http.Request) {
	req, ok := s.reportArgs(w, r, false)
	if !ok {
		return
	}
	o := s.reports.opts
	l, err := req.reports.PointsLiability(r.Context(), o.Now().UTC(), o.PointValueFenPer100)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if req.csv {
		s.writeCSV(w, "points-liability", central.LiabilityRecords(l))
		return
	}
	s.writeJSON(w, http.StatusOK, map[string]any{
		"as_of": l.AsOf, "outstanding_points": l.OutstandingPoints, "cards": l.Cards,
		"point_value_fen_per_100_points": l.PointValueFenPer100, "breakage_from": l.BreakageFrom,
		"expired_points": l.ExpiredPoints, "redeemed_points": l.RedeemedPoints,
		"breakage_bp": l.BreakageBP, "breakage": central.FormatBP(l.BreakageBP),
		"gross_fen": l.GrossFen, "liability_fen": l.LiabilityFen, "liability_yuan": central.FormatFen(l.LiabilityFen),
	})
}

// handleReportRedemption answers redeemed ÷ earned points in the range.
func (s *Server) handleReportRedemption(w http.ResponseWriter, r *http.Request) {
	req, ok := s.reportArgs(w, r, true)
	if !ok {
		return
	}
	rr, err := req.reports.RedemptionRate(r.Context(), req.from, req.to)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if req.csv {
		s.writeCSV(w, "redemption-rate", central.RedemptionRecords(rr))
		return
	}
	s.writeJSON(w, http.StatusOK, map[string]any{"from": rr.From, "to": rr.To, "earned_points": rr.EarnedPoints,
		"redeemed_points": rr.RedeemedPoints, "rate_bp": rr.RateBP, "rate": central.FormatBP(rr.RateBP)})
}

// handleReportSyncStatus answers every agent's presence and journal
// (central.SyncStatusOf); the JSON is the CSV's records keyed by header.
func (s *Server) handleReportSyncStatus(w http.ResponseWriter, r *http.Request) {
	req, ok := s.reportArgs(w, r, false)
	if !ok {
		return
	}
	presence, err := s.store.Presence(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	agents, err := s.store.Agents(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	records := central.SyncStatusRecords(central.SyncStatusOf(presence, agents, s.reports.opts.Now()))
	if req.csv {
		s.writeCSV(w, "sync-status", records)
		return
	}
	out := []map[string]string{}
	for _, rec := range records[1:] {
		row := map[string]string{}
		for i, h := range records[0] {
			row[h] = rec[i]
		}
		out = append(out, row)
	}
	s.writeJSON(w, http.StatusOK, map[string]any{"agents": out})
}

type classProductsJSON struct {
	Class     string             `json:"class"`
	SpendFen  int64              `json:"spend_fen"`
	SpendYuan string             `json:"spend_yuan"`
	Products  []classProductJSON `json:"products"`
}

type classProductJSON struct {
	Rank          int    `json:"rank"`
	SKU           string `json:"sku"`
	Name          string `json:"name"`
	QuantityMilli int64  `json:"quantity_milli"`
	SpendFen      int64  `json:"spend_fen"`
	SpendYuan     string `json:"spend_yuan"`
	Members       int64  `json:"members"`
	SpendShareBP  int64  `json:"spend_share_bp"`
	SpendShare    string `json:"spend_share"`
}

// topProductsQuery reads ?by= (a classifier, default pyramid), ?class=
// and ?limit= (default central.DefaultTopProducts) of the latest run.
func topProductsQuery(r *http.Request) (central.TopProductsQuery, error) {
	p := r.URL.Query()
	q := central.TopProductsQuery{Classifier: p.Get("by"), Class: p.Get("class")}
	if l := p.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 {
			return q, central.Errorf(central.EINVALID, "limit %q: use 1 to %d", l, central.MaxTopProducts)
		}
		q.Limit = n
	}
	return q.Normalize()
}

// handleReportTopProducts answers the best-selling products of each class
// of the latest classification run (central.ClassProductsStore).
func (s *Server) handleReportTopProducts(w http.ResponseWriter, r *http.Request) {
	asCSV, ok := s.reportFormat(w, r)
	if !ok {
		return
	}
	q, err := topProductsQuery(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	cp, ok := s.store.(central.ClassProductsStore)
	if !ok {
		s.writeError(w, r, central.Errorf(central.EUNAVAILABLE, "this store keeps no member classification"))
		return
	}
	tp, err := cp.TopClassProducts(r.Context(), q)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if asCSV {
		s.writeCSV(w, "top-products-by-"+tp.Classifier, central.TopProductsRecords(tp))
		return
	}
	classes := []classProductsJSON{}
	for _, c := range tp.Classes {
		out := classProductsJSON{Class: c.Class, SpendFen: c.SpendFen, SpendYuan: central.FormatFen(c.SpendFen),
			Products: []classProductJSON{}}
		for _, p := range c.Products {
			out.Products = append(out.Products, classProductJSON{p.Rank, p.SKU, p.Name, p.QuantityMilli, p.SpendFen,
				central.FormatFen(p.SpendFen), p.Members, p.SpendShareBP, central.FormatBP(p.SpendShareBP)})
		}
		classes = append(classes, out)
	}
	s.writeJSON(w, http.StatusOK, map[string]any{"run_id": tp.RunID, "as_of": tp.AsOf,
		"first_month": central.FormatMonth(tp.Window.FirstMonth), "last_month": central.FormatMonth(tp.Window.LastMonth),
		"classifier": tp.Classifier, "limit": q.Limit, "classes": classes})
}
