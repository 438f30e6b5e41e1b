package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/tillsync/tillsync/central"
)

// addClassifyCmds registers `classify` on root and `classes` under root's
// `report` command (registered before it), so the feature needs one line
// in newRootCmd.
func addClassifyCmds(root *cobra.Command) {
	root.AddCommand(newClassifyCmd(), newTiersCmd())
	for _, c := range root.Commands() {
		if c.Name() == "report" {
			c.AddCommand(newReportClassesCmd())
		}
	}
}

func newClassifyCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "classify [--months 12] [--keep 3] [--exclude-card CARD]...",
		Short: "Classify every member (pyramid, RFM, quadrant, ABC) and store the run",
		Long: `Read every card's statistics over the trailing window (calendar months of
reports.time_zone,
the current month included), rank them into the customer pyramid, RFM
segments, value quadrants and ABC classes, and store the result as the new
latest classification run; older runs beyond --keep are deleted in the same
transaction. Staff and test members of the member master (kind staff or
test), and cards given with --exclude-card, are stored with the class
"excluded" and take no part in any ranking.

The value quadrant uses the income brackets of the member master, opened
with members.keys; a member who declared none is unknown_income.

Then every member's tier is recalculated from the run's pyramid (the tiers
section of the config: mapping, downgrade policy, manual floors); the
stores get the new tiers with their next member records.

Safe to run on several instances at once: runs are saved one at a time.
Print the result with: tillsync-central report classes.`,
		Args: cobra.NoArgs,
		RunE: runClassify,
	}
	c.Flags().Int("months", central.DefaultStatsMonths, "statistics window in calendar months")
	c.Flags().Int("keep", central.DefaultKeepRuns, "classification runs to keep, this one included")
	c.Flags().StringArray("exclude-card", nil, "a staff or test card to exclude (repeat the flag)")
	c.Flags().String("as-of", "", "classify as of this time (RFC 3339 or YYYY-MM-DD, UTC); default now")
	c.Flags().String("db", "", "SQLite database file (database.path)")
	bindFlag(c.Flags(), "db", "database.path")
	return c
}

func runClassify(cmd *cobra.Command, args []string) error {
	f := cmd.Flags()
	months, err := f.GetInt("months")
	if err != nil {
		return err
	}
	keep, err := f.GetInt("keep")
	if err != nil {
		return err
	}
	excluded, err := f.GetStringArray("exclude-card")
	if err != nil {
		return err
	}
	asOfText, err := f.GetString("as-of")
	if err != nil {
		return err
	}
	now, err := parseAsOf(asOfText)
	if err != nil {
		return err
	}
	// 0 means the default to the domain, but on the command line it is a
	// typo: ask for a real value.
	if months < 1 || keep < 1 {
		return fmt.Errorf("--months %d, --keep %d: both must be at least 1", months, keep)
	}
	o := central.ClassificationOptions{Months: months, Classify: central.DefaultClassifyOptions(), KeepRuns: keep,
		ExcludedCards: excluded}
	if err := o.Validate(); err != nil {
		return err
	}
	cfg, err := loadFor(cmd)
	if err != nil {
		return err
	}
	if o.Keys, err = cfg.Members.keyring(); err != nil {
		return err
	}
	policy := cfg.Tiers.policy()
	if err := policy.Validate(); err != nil {
		return fmt.Errorf("config tiers: %w", err)
	}
	return withStore(cmd, false, func(ctx context.Context, db central.Store) error {
		start := time.Now()
		run, ch, err := classifyAndTier(ctx, db, now, o, policy)
		if err != nil {
			return err
		}
		w := cmd.OutOrStdout()
		fmt.Fprintf(w, "classification run %d as of %s: %d members (%d excluded), %d-month window, %s\n",
			run.ID, run.AsOf.UTC().Format(time.RFC3339), run.Members, run.Excluded, run.Months,
			time.Since(start).Round(time.Millisecond))
		fmt.Fprintf(w, "tiers: %d cards, %d raised, %d lowered, %d downgrades pending\n",
			ch.Cards, ch.Upgrades, ch.Lowered, ch.Pending)
		_, cs, err := classificationStores(db)
		if err != nil {
			return err
		}
		sizes, err := cs.ClassSizes(ctx, run.ID)
		if err != nil {
			return err
		}
		var pyramid []central.ClassSize
		for _, s := range sizes {
			if s.Classifier == central.ClassifierPyramid {
				pyramid = append(pyramid, s)
			}
		}
		return writeClassTable(w, pyramid)
	})
}

// parseAsOf reads --as-of: empty is now, else RFC 3339 or a UTC date.
func parseAsOf(s string) (time.Time, error) {
	if s == "" {
		return time.Now(), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("--as-of %q: use RFC 3339 (2026-01-31T23:00:00Z) or YYYY-MM-DD", s)
	}
	return t, nil
}

// classificationStores returns db's statistics and classification stores.
func classificationStores(db central.Store) (central.MemberStatsStore, central.ClassificationStore, error) {
	stats, ok1 := db.(central.MemberStatsStore)
	cs, ok2 := db.(central.ClassificationStore)
	if !ok1 || !ok2 {
		return nil, nil, fmt.Errorf("database %T keeps no member classification", db)
	}
	return stats, cs, nil
}

func newReportClassesCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "classes [--format table|csv]",
		Short: "Print class sizes and spend shares of the latest classification run",
		Long: `Print, for the latest classification run (tillsync-central classify), every
class of the pyramid, the RFM segments, the value quadrants and ABC: its
number of members and their share of the window's member spend. Each
classifier's shares sum to exactly 100 % (10000 basis points in CSV).
A SQLite file is opened read-only, so a running central may keep writing.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			format, err := cmd.Flags().GetString("format")
			if err != nil {
				return err
			}
			if format != "table" && format != "csv" {
				return fmt.Errorf("--format %q: use table or csv", format)
			}
			return withStore(cmd, true, func(ctx context.Context, db central.Store) error {
				_, cs, err := classificationStores(db)
				if err != nil {
					return err
				}
				run, err := cs.LatestRun(ctx)
				if err != nil {
					return err
				}
				sizes, err := cs.ClassSizes(ctx, run.ID)
				if err != nil {
					return err
				}
				if format == "csv" {
					return writeClassCSV(cmd.OutOrStdout(), run, sizes)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "classification run %d as of %s: %d members (%d excluded), %d-month window\n",
					run.ID, run.AsOf.UTC().Format(time.RFC3339), run.Members, run.Excluded, run.Months)
				return writeClassTable(cmd.OutOrStdout(), sizes)
			})
		},
	}
	c.Flags().String("format", "table", "table or csv")
	c.Flags().String("db", "", "SQLite database file (database.path)")
	bindFlag(c.Flags(), "db", "database.path")
	return c
}

// writeClassCSV writes one row per class, with the run on every row so an
// export stands alone. Money in fen and shares in basis points keep it
// exact; spend_yuan is for people.
func writeClassCSV(w io.Writer, run central.ClassificationRun, sizes []central.ClassSize) error {
	records := [][]string{{"run_id", "as_of", "classifier", "class", "members", "spend_fen", "spend_yuan", "spend_share_bp"}}
	for _, s := range sizes {
		records = append(records, []string{strconv.FormatInt(run.ID, 10), run.AsOf.UTC().Format(time.RFC3339),
			s.Classifier, s.Class, strconv.FormatInt(s.Members, 10), strconv.FormatInt(s.SpendFen, 10),
			central.FormatFen(s.SpendFen), strconv.FormatInt(s.SpendShareBP, 10)})
	}
	return csv.NewWriter(w).WriteAll(records)
}

func writeClassTable(w io.Writer, sizes []central.ClassSize) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "CLASSIFIER\tCLASS\tMEMBERS\tSPEND (YUAN)\tSHARE %\t")
	for _, s := range sizes {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%d.%02d\t\n", s.Classifier, s.Class, s.Members, central.FormatFen(s.SpendFen),
			s.SpendShareBP/100, s.SpendShareBP%100)
	}
	return tw.Flush()
}
