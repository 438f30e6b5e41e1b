package main

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/tillsync/tillsync/central"
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
			db, _, err := openStore(cmd.Context(), cfg.Database, nil, nil, true)
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
