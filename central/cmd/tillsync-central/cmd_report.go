package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/tillsync/tillsync/central"
	centralhttp "github.com/tillsync/tillsync/central/http"
)

func newReportCmd() *cobra.Command {
	report := &cobra.Command{Use: "report", Short: "Print reports from the database", Args: cobra.NoArgs}
	sales := &cobra.Command{
		Use:   "sales",
		Short: "Print sales per store",
		Long: `Print the number of sales and their total per store, from the database
database.driver names: a SQLite file is opened read-only (a running central
may keep writing); PostgreSQL is shared anyway.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			format, err := cmd.Flags().GetString("format")
			if err != nil {
				return err
			}
			if format != "table" && format != "csv" && format != "json" {
				return fmt.Errorf("--format %q: use table, csv or json", format)
			}
			cfg, err := loadFor(cmd)
			if err != nil {
				return err
			}
			db, _, err := openStore(cmd.Context(), cfg, nil, nil, true)
			if err != nil {
				return err
			}
			rows, err := db.SalesByStore(cmd.Context())
			if err != nil {
				return errors.Join(err, db.Close())
			}
			return errors.Join(writeSales(cmd.OutOrStdout(), format, rows), db.Close())
		},
	}
	sales.Flags().String("format", "table", "table, csv or json")
	sales.Flags().String("db", "", "SQLite database file (database.path)")
	bindFlag(sales.Flags(), "db", "database.path")
	report.AddCommand(sales)
	for _, spec := range reportSpecs() {
		report.AddCommand(newHQReportCmd(spec))
	}
	report.AddCommand(newTopProductsCmd())
	return report
}

func writeSales(w io.Writer, format string, rows []central.StoreSales) error {
	switch format {
	case "json":
		type row struct {
			StoreID   string `json:"store_id"`
			Sales     int64  `json:"sales"`
			TotalFen  int64  `json:"total_fen"`
			TotalYuan string `json:"total_yuan"`
		}
		out := []row{}
		for _, r := range rows {
			out = append(out, row{r.StoreID, r.Sales, r.TotalFen, central.FormatFen(r.TotalFen)})
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"stores": out})
	case "csv":
		cw := csv.NewWriter(w)
		records := [][]string{{"store_id", "sales", "total_fen", "total_yuan"}}
		for _, r := range rows {
			records = append(records, []string{r.StoreID, strconv.FormatInt(r.Sales, 10),
				strconv.FormatInt(r.TotalFen, 10), central.FormatFen(r.TotalFen)})
		}
		return cw.WriteAll(records)
	default:
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "STORE\tSALES\tTOTAL (YUAN)\t")
		var sales, total int64
		for _, r := range rows {
			fmt.Fprintf(tw, "%s\t%d\t%s\t\n", r.StoreID, r.Sales, central.FormatFen(r.TotalFen))
			sales += r.Sales
			total += r.TotalFen
		}
		fmt.Fprintf(tw, "all\t%d\t%s\t\n", sales, central.FormatFen(total))
		return tw.Flush()
	}
}

// hqReport is what one HQ report command needs to run its report.
type hqReport struct {
	db       central.Store
	reports  central.Reports
	cfg      ReportsConfig
	loc      *time.Location
	from, to time.Time // the range, for ranged reports
	now      time.Time
}

// reportSpec describes one HQ report command.
type reportSpec struct {
	use, short, long string
	ranged           bool // takes --from and --to
	records          func(ctx context.Context, r hqReport) ([][]string, error)
}

// rangeHelp documents --from and --to of the ranged reports.
const rangeHelp = `
--from and --to are local dates of reports.time_zone (2026-01-01: that
day's midnight) or RFC 3339 times; the range is [from, to), so
--from 2026-01-01 --to 2026-02-01 is January. Without --to the range ends
tonight at midnight; without --from it starts 30 days before --to.`

func reportSpecs() []reportSpec {
	salesBy := func(by string) func(context.Context, hqReport) ([][]string, error) {
		return func(ctx context.Context, r hqReport) ([][]string, error) {
			rows, err := r.reports.SalesByPeriod(ctx, r.from, r.to, by, r.loc)
			return central.SalesRecords(rows, by), err
		}
	}
	return []reportSpec{
		{use: "sales-by-day", short: "Print sales per store and local day", ranged: true, records: salesBy(central.PeriodDay),
			long: "Print the number of sales and their total per store and day of reports.time_zone (gross: returns\nare not subtracted; a sale counts at its till's wall time)."},
		{use: "sales-by-hour", short: "Print sales per store and local hour", ranged: true, records: salesBy(central.PeriodHour),
			long: "Print the number of sales and their total per store and hour of reports.time_zone."},
		{use: "member-contribution", short: "Print member sales ÷ all sales per store and month", ranged: true,
			long: "Print, per store and month of reports.time_zone, the sales of member cards against all sales.",
			records: func(ctx context.Context, r hqReport) ([][]string, error) {
				rows, err := r.reports.MemberContribution(ctx, r.from, r.to, r.loc)
				return central.ContributionRecords(rows), err
			}},
		{use: "liability", short: "Print the points liability now",
			long: `Print the points members hold (cards with a positive balance) valued at
reports.point_value_fen_per_100_points, less the breakage observed over the
last 12 months: expired ÷ (expired + redeemed) points.`,
			records: func(ctx context.Context, r hqReport) ([][]string, error) {
				l, err := r.reports.PointsLiability(ctx, r.now, r.cfg.PointValueFenPer100)
				return central.LiabilityRecords(l), err
			}},
		{use: "redemption", short: "Print redeemed ÷ earned points", ranged: true,
			long: "Print the points redeemed against the points earned by entries in the range (gross of returns).",
			records: func(ctx context.Context, r hqReport) ([][]string, error) {
				rr, err := r.reports.RedemptionRate(ctx, r.from, r.to)
				return central.RedemptionRecords(rr), err
			}},
		{use: "sync-status", short: "Print every agent's presence and sync lag",
			long: `Print every agent's latest presence (online, outbox depth, oldest unsynced
event and its age, clock skew) beside what central holds of its journal.`,
			records: func(ctx context.Context, r hqReport) ([][]string, error) {
				presence, err := r.db.Presence(ctx)
				if err != nil {
					return nil, err
				}
				agents, err := r.db.Agents(ctx)
				return central.SyncStatusRecords(central.SyncStatusOf(presence, agents, r.now)), err
			}},
	}
}

// newHQReportCmd builds the command of spec. It opens the database as
// report sales does: a SQLite file read-only.
func newHQReportCmd(spec reportSpec) *cobra.Command {
	long := spec.long
	if spec.ranged {
		long += "\n" + rangeHelp
	}
	cmd := &cobra.Command{Use: spec.use, Short: spec.short, Long: long, Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runHQReport(cmd, spec) }}
	cmd.Flags().String("format", "table", "table or csv")
	cmd.Flags().String("db", "", "SQLite database file (database.path)")
	bindFlag(cmd.Flags(), "db", "database.path")
	if spec.ranged {
		cmd.Flags().String("from", "", "first day (or RFC 3339 time) of the range")
		cmd.Flags().String("to", "", "end of the range, exclusive")
	}
	return cmd
}

func runHQReport(cmd *cobra.Command, spec reportSpec) error {
	format, err := cmd.Flags().GetString("format")
	if err != nil {
		return err
	}
	if format != "table" && format != "csv" {
		return fmt.Errorf("--format %q: use table or csv", format)
	}
	cfg, err := loadFor(cmd)
	if err != nil {
		return err
	}
	var p problems
	cfg.Reports.validate(&p)
	if len(p) > 0 {
		return printProblems(cmd.ErrOrStderr(), p)
	}
	r := hqReport{cfg: cfg.Reports, now: time.Now().UTC()}
	if r.loc, err = cfg.Reports.location(); err != nil {
		return err
	}
	if spec.ranged {
		if r.from, r.to, err = reportRangeFlags(cmd, r.now, r.loc); err != nil {
			return err
		}
	}
	if r.db, _, err = openStore(cmd.Context(), cfg, nil, nil, true); err != nil {
		return err
	}
	var ok bool
	if r.reports, ok = r.db.(central.Reports); !ok {
		return errors.Join(fmt.Errorf("%T keeps no reports", r.db), r.db.Close())
	}
	records, err := spec.records(cmd.Context(), r)
	if err != nil {
		return errors.Join(fmt.Errorf("report %s: %w", spec.use, err), r.db.Close())
	}
	return errors.Join(writeRecords(cmd.OutOrStdout(), format, records), r.db.Close())
}

// reportRangeFlags reads --from and --to (central.ReportRange).
func reportRangeFlags(cmd *cobra.Command, now time.Time, loc *time.Location) (from, to time.Time, err error) {
	fromS, err := cmd.Flags().GetString("from")
	if err != nil {
		return from, to, err
	}
	toS, err := cmd.Flags().GetString("to")
	if err != nil {
		return from, to, err
	}
	return central.ReportRange("--from", fromS, "--to", toS, now, loc)
}

// writeRecords writes a header and rows as CSV, or as an aligned table
// whose header is the CSV header in capitals.
func writeRecords(w io.Writer, format string, records [][]string) error {
	if format == "csv" {
		return csv.NewWriter(w).WriteAll(records)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for i, rec := range records {
		if i == 0 {
			rec = slicesMap(rec, func(h string) string { return strings.ToUpper(strings.ReplaceAll(h, "_", " ")) })
		}
		fmt.Fprintln(tw, strings.Join(rec, "\t")+"\t")
	}
	return tw.Flush()
}

func slicesMap(in []string, f func(string) string) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = f(s)
	}
	return out
}

// setReportOptions gives the HTTP reports the reports section.
func (m *Main) setReportOptions() error {
	loc, err := m.Config.Reports.location()
	if err != nil {
		return err
	}
	m.Server.SetReportOptions(centralhttp.ReportOptions{Location: loc,
		PointValueFenPer100: m.Config.Reports.PointValueFenPer100, Now: m.Now})
	return nil
}

func newTopProductsCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "top-products [--class vip] [--by pyramid|segment] [--limit 10] [--format table|csv]",
		Short: "Print each class's best-selling products in the latest classification run",
		Long: `Print, for the latest classification run (tillsync-central classify), the best
selling products of each class over the run's window: units sold, spend,
how many of the class's members bought each, and its share of the class's
spend on all products. Classes are the pyramid's (--by pyramid, the
default) or the RFM segments' (--by segment; quadrant and abc work too);
--class names one class, and staff and test cards (class "excluded") are
listed only when named. Products rank by spend, then members, then SKU.

The figures come from the member statistics kept at ingest, so a sale
synced into one of the window's months after the run counts too. Names
are the latest published catalog's. A SQLite file is opened read-only.`,
		Args: cobra.NoArgs,
		RunE: runTopProducts,
	}
	c.Flags().String("class", "", "only this class (e.g. vip, champions)")
	c.Flags().String("by", central.ClassifierPyramid, "classifier: pyramid, segment, quadrant or abc")
	c.Flags().Int("limit", central.DefaultTopProducts, fmt.Sprintf("products per class, 1 to %d", central.MaxTopProducts))
	c.Flags().String("format", "table", "table (or text) or csv")
	c.Flags().String("db", "", "SQLite database file (database.path)")
	bindFlag(c.Flags(), "db", "database.path")
	return c
}

func runTopProducts(cmd *cobra.Command, args []string) error {
	f := cmd.Flags()
	format, err := f.GetString("format")
	if err != nil {
		return err
	}
	if format != "table" && format != "text" && format != "csv" {
		return fmt.Errorf("--format %q: use table or csv", format)
	}
	var q central.TopProductsQuery
	if q.Class, err = f.GetString("class"); err != nil {
		return err
	}
	if q.Classifier, err = f.GetString("by"); err != nil {
		return err
	}
	if q.Limit, err = f.GetInt("limit"); err != nil {
		return err
	}
	if q.Limit < 1 { // 0 is the domain's default, but typed on a command line it is a mistake
		return fmt.Errorf("--limit %d: use 1 to %d", q.Limit, central.MaxTopProducts)
	}
	if _, err := q.Normalize(); err != nil {
		return fmt.Errorf("--by %q --class %q --limit %d: %w", q.Classifier, q.Class, q.Limit, err)
	}
	return withStore(cmd, true, func(ctx context.Context, db central.Store) error {
		cp, ok := db.(central.ClassProductsStore)
		if !ok {
			return fmt.Errorf("database %T keeps no member classification", db)
		}
		tp, err := cp.TopClassProducts(ctx, q)
		if err != nil {
			return fmt.Errorf("report top-products: %w", err)
		}
		if format == "csv" {
			return writeRecords(cmd.OutOrStdout(), format, central.TopProductsRecords(tp))
		}
		return writeTopProducts(cmd.OutOrStdout(), tp)
	})
}

// writeTopProducts prints tp as a heading and an aligned table, one row
// per product and a "none" row for a class whose members bought nothing.
func writeTopProducts(w io.Writer, tp central.TopProducts) error {
	fmt.Fprintf(w, "classification run %d as of %s, window %s to %s, by %s\n", tp.RunID,
		tp.AsOf.UTC().Format(time.RFC3339), central.FormatMonth(tp.Window.FirstMonth),
		central.FormatMonth(tp.Window.LastMonth), tp.Classifier)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CLASS\tRANK\tSKU\tNAME\tQUANTITY\tSPEND (YUAN)\tMEMBERS\tSHARE OF CLASS\t")
	for _, c := range tp.Classes {
		if len(c.Products) == 0 {
			fmt.Fprintf(tw, "%s\t-\t(none)\t\t\t\t\t\t\n", c.Class)
			continue
		}
		for _, p := range c.Products {
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%d\t%s\t\n", c.Class, p.Rank, p.SKU, p.Name,
				central.FormatMilli(p.QuantityMilli), central.FormatFen(p.SpendFen), p.Members, central.FormatBP(p.SpendShareBP))
		}
	}
	return tw.Flush()
}
