package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/tillsync/tillsync/central"
)

// newPointsCmd is the member points ledger's admin commands. Card numbers
// are printed masked (DESIGN §3 privacy): the operator typed the full one.
func newPointsCmd() *cobra.Command {
	p := &cobra.Command{
		Use:   "points",
		Short: "Member points ledger: balances, debtors, expiry, rebate",
		Long: `A card's balance at central is the sum of its ledger entries: points earned
(pending until the return window passes), redeemed, reversed by returns,
given back, expired and adjusted. A negative balance is a debt that later
earnings repay.`,
		Args: cobra.NoArgs,
	}
	p.PersistentFlags().String("db", "", "SQLite database file (database.path)")
	bindFlag(p.PersistentFlags(), "db", "database.path")
	p.AddCommand(newPointsBalanceCmd(), newPointsDebtorsCmd(), newPointsExpireCmd(), newPointsAdjustCmd(),
		newPointsRebateCmd())
	return p
}

func newPointsBalanceCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "balance --card CARD",
		Short: "Print a card's balance now: total, available, pending, debt",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			card, err := cmd.Flags().GetString("card")
			if err != nil {
				return err
			}
			if card == "" {
				return fmt.Errorf("--card: give the card number")
			}
			return withStore(cmd, true, func(ctx context.Context, db central.Store) error {
				b, err := db.Balance(ctx, card, time.Now())
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintf(tw, "card\t%s\nmember\t%s\ntotal\t%d\navailable\t%d\npending\t%d\ndebt\t%d\nentries\t%d\n",
					central.MaskCard(b.Card), b.MemberID, b.Total, b.Available, b.Pending, b.Debt, b.Entries)
				return tw.Flush()
			})
		},
	}
	c.Flags().String("card", "", "card number")
	return c
}

func newPointsDebtorsCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "debtors [--limit N]",
		Short: "List cards with a negative balance, largest debt first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			limit, err := cmd.Flags().GetInt("limit")
			if err != nil {
				return err
			}
			if limit < 1 {
				return fmt.Errorf("--limit %d: must be at least 1", limit)
			}
			return withStore(cmd, true, func(ctx context.Context, db central.Store) error {
				rows, err := db.Debtors(ctx, limit)
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "CARD\tMEMBER\tDEBT")
				for _, d := range rows {
					fmt.Fprintf(tw, "%s\t%s\t%d\n", central.MaskCard(d.Card), d.MemberID, d.Debt)
				}
				return tw.Flush()
			})
		},
	}
	c.Flags().Int("limit", 100, "list at most this many cards")
	return c
}

func newPointsExpireCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "expire",
		Short: "Post the expiry of every lot whose expiry date has passed",
		Long: `Expire, as of now, the unspent remainder of every points lot whose expiry
passed (lots are spent oldest-expiry first). Safe to run again or on several
instances at once: each lot expires once.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return withStore(cmd, false, func(ctx context.Context, db central.Store) error {
				r, err := db.ExpirePoints(ctx, time.Now())
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "expired %d points in %d entries on %d cards\n", r.Points, r.Entries, r.Cards)
				return nil
			})
		},
	}
}

func newPointsAdjustCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "adjust --card CARD --points N --reason TEXT --id ID",
		Short: "Post a manual correction of a card's points (a goodwill credit, a fix)",
		Long: `Post an adjustment entry of N points (negative to debit) on a card, with the
reason kept for the audit trail. --id is the idempotency key: running the
same command again (say after a timeout) posts nothing new. The points are
available at once and reach the stores with the card's next update.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var a central.Adjustment
			var err error
			f := cmd.Flags()
			if a.Card, err = f.GetString("card"); err != nil {
				return err
			}
			if a.Points, err = f.GetInt64("points"); err != nil {
				return err
			}
			if a.Reason, err = f.GetString("reason"); err != nil {
				return err
			}
			if a.ID, err = f.GetString("id"); err != nil {
				return err
			}
			a.At = time.Now()
			if err := checkAdjustFlags(a); err != nil {
				return err
			}
			return withStore(cmd, false, func(ctx context.Context, db central.Store) error {
				posted, err := db.AdjustPoints(ctx, a)
				if err != nil {
					return err
				}
				b, err := db.Balance(ctx, a.Card, a.At)
				if err != nil {
					return err
				}
				what := "adjusted"
				if !posted {
					what = "already posted (same --id), nothing changed:"
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s card %s by %d points; available now %d\n",
					what, central.MaskCard(a.Card), a.Points, b.Available)
				return nil
			})
		},
	}
	c.Flags().String("card", "", "card number")
	c.Flags().Int64("points", 0, "points to add (negative to take away)")
	c.Flags().String("reason", "", "why, for the audit trail")
	c.Flags().String("id", "", "idempotency key, e.g. the ticket number")
	return c
}

// checkAdjustFlags names the flag an operator left out before the store
// checks the rest (central.AdjustmentEntry).
func checkAdjustFlags(a central.Adjustment) error {
	switch {
	case a.Card == "":
		return fmt.Errorf("--card: give the card number")
	case a.Points == 0:
		return fmt.Errorf("--points: give a non-zero number of points")
	case a.Reason == "":
		return fmt.Errorf("--reason: say why, for the audit trail")
	case a.ID == "":
		return fmt.Errorf("--id: give an idempotency key (e.g. the ticket number)")
	}
	return nil
}

func newPointsRebateCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "rebate --year YEAR",
		Short: "Post the year-end rebate of a calendar year that has ended",
		Long: `Post, for every card with spend in the calendar year, one entry of
floor(spend_fen × rate / 10000 / rebate.fen_per_point) points at the rebate
rate of the tier the card holds now (rebate.rates; a card with no tier gets
rebate.untiered_tier's). The year's spend is its statistics of the months
of the year in reports.time_zone; the year must have ended there and in UTC. Safe to run again or
on several instances at once: each card gets one rebate entry per year.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			year, err := cmd.Flags().GetInt("year")
			if err != nil {
				return err
			}
			if year == 0 {
				return fmt.Errorf("--year: give the calendar year to rebate, e.g. %d", time.Now().Year()-1)
			}
			cfg, err := loadFor(cmd)
			if err != nil {
				return err
			}
			loc, err := cfg.Reports.location()
			if err != nil {
				return err
			}
			// Only this section is checked: an admin command must not
			// fail on, say, a broker setting it does not use.
			var problems problems
			cfg.Rebate.validate(&problems, cfg.Tiers.Ordering)
			if len(problems) > 0 {
				return fmt.Errorf("configuration: %s", strings.Join(problems, "; "))
			}
			p := cfg.Rebate.policy(year, loc)
			return withStore(cmd, false, func(ctx context.Context, db central.Store) error {
				rs, ok := db.(central.RebateStore)
				if !ok {
					return fmt.Errorf("the %s store cannot post rebates", cfg.Database.Driver)
				}
				r, err := rs.PostYearEndRebate(ctx, p, time.Now())
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "rebate %d: posted %d points on %d cards; %d cards already had it\n",
					year, r.Points, r.Cards, r.AlreadyPosted)
				return nil
			})
		},
	}
	c.Flags().Int("year", 0, "the calendar year whose spend is rebated")
	return c
}
