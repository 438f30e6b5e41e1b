package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/tillsync/tillsync/central"
)

// classifyAndTier stores a classification run as of now and applies the
// tiers of its pyramid. The two are separate transactions: when applying
// fails the run stays stored, and the next recalculation applies tiers
// from a newer one.
func classifyAndTier(ctx context.Context, db central.Store, now time.Time, o central.ClassificationOptions,
	p central.TierPolicy) (central.ClassificationRun, central.TierChanges, error) {
	stats, cs, err := classificationStores(db)
	if err != nil {
		return central.ClassificationRun{}, central.TierChanges{}, err
	}
	ts, ok := db.(central.TierStore)
	if !ok {
		return central.ClassificationRun{}, central.TierChanges{}, fmt.Errorf("database %T keeps no member tiers", db)
	}
	if ms, ok := db.(central.MemberStore); ok && o.Traits == nil {
		o.Traits = ms.MemberTraits // staff and test members, declared incomes
	}
	run, err := central.RunClassification(ctx, stats, cs, now, o)
	if err != nil {
		return central.ClassificationRun{}, central.TierChanges{}, err
	}
	ch, err := ts.ApplyTiers(ctx, run.ID, p, now)
	if err != nil {
		return run, central.TierChanges{}, fmt.Errorf("classification run %d stored, tiers not applied: %w", run.ID, err)
	}
	return run, ch, nil
}

func newTiersCmd() *cobra.Command {
	c := &cobra.Command{Use: "tiers", Short: "Member tiers (computed by classify)", Args: cobra.NoArgs}
	setFloor := &cobra.Command{
		Use:   "set-floor --card CARD --tier TIER",
		Short: "Set a member's tier by hand: a floor the card never falls below",
		Long: `Set the card's manual tier floor (DESIGN §3): the card is raised to it at once
when below it, and no recalculation lowers it further. --tier "" removes
the floor (the tier stays until a recalculation lowers it). The stores get
the new tier with their next member records.`,
		Args: cobra.NoArgs,
		RunE: runSetFloor,
	}
	setFloor.Flags().String("card", "", "the member's card number")
	setFloor.Flags().String("tier", "", "a tier of tiers.ordering, or \"\" to remove the floor")
	setFloor.Flags().String("db", "", "SQLite database file (database.path)")
	bindFlag(setFloor.Flags(), "db", "database.path")
	show := &cobra.Command{
		Use:   "show --card CARD",
		Short: "Print a member's tier, floor and pending downgrade",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			card, err := cmd.Flags().GetString("card")
			if err != nil {
				return err
			}
			return withStore(cmd, true, func(ctx context.Context, db central.Store) error {
				ts, ok := db.(central.TierStore)
				if !ok {
					return fmt.Errorf("database %T keeps no member tiers", db)
				}
				st, err := ts.Tier(ctx, card)
				if err != nil {
					return err
				}
				return printTier(cmd, st)
			})
		},
	}
	show.Flags().String("card", "", "the member's card number")
	show.Flags().String("db", "", "SQLite database file (database.path)")
	bindFlag(show.Flags(), "db", "database.path")
	c.AddCommand(setFloor, show)
	return c
}

func runSetFloor(cmd *cobra.Command, args []string) error {
	card, err := cmd.Flags().GetString("card")
	if err != nil {
		return err
	}
	tier, err := cmd.Flags().GetString("tier")
	if err != nil {
		return err
	}
	if card == "" {
		return fmt.Errorf("--card is required")
	}
	cfg, err := loadFor(cmd)
	if err != nil {
		return err
	}
	return withStore(cmd, false, func(ctx context.Context, db central.Store) error {
		ts, ok := db.(central.TierStore)
		if !ok {
			return fmt.Errorf("database %T keeps no member tiers", db)
		}
		st, err := ts.SetTierFloor(ctx, card, tier, cfg.Tiers.policy(), time.Now())
		if err != nil {
			return err
		}
		return printTier(cmd, st)
	})
}

// printTier prints one card's state; the card is masked like in logs.
func printTier(cmd *cobra.Command, st central.TierState) error {
	floor, pending := st.Floor, "none"
	if floor == "" {
		floor = "none"
	}
	if !st.DowngradePendingSince.IsZero() {
		pending = "since " + st.DowngradePendingSince.UTC().Format(time.RFC3339)
	}
	_, err := fmt.Fprintf(cmd.OutOrStdout(), "card %s: tier %s since %s, floor %s, downgrade pending %s\n",
		central.MaskCard(st.Card), st.Tier, st.Since.UTC().Format(time.RFC3339), floor, pending)
	return err
}

// recalcLocker is a database on which several central instances may run:
// TryRecalcLock takes a lock only one holds at a time (false when another
// does), released by the returned func.
type recalcLocker interface {
	TryRecalcLock(ctx context.Context) (release func(), ok bool, err error)
}

// recalculateIfDue classifies and applies tiers when the latest run is
// older than every (or none exists), under the database's recalculation
// lock when it has one. It reports whether it ran.
func recalculateIfDue(ctx context.Context, db central.Store, c TiersConfig, keys *central.Keyring, now time.Time) (bool, error) {
	if l, ok := db.(recalcLocker); ok {
		release, got, err := l.TryRecalcLock(ctx)
		if err != nil || !got {
			return false, err // another instance is recalculating
		}
		defer release()
	}
	_, cs, err := classificationStores(db)
	if err != nil {
		return false, err
	}
	// Read under the lock: an instance that waited sees the run just made.
	latest, err := cs.LatestRun(ctx)
	switch {
	case central.ErrorCode(err) == central.ENOTFOUND:
	case err != nil:
		return false, err
	case now.Sub(latest.AsOf) < c.RecalculateEvery:
		return false, nil
	}
	o := central.ClassificationOptions{Classify: central.DefaultClassifyOptions(), Keys: keys}
	if _, _, err := classifyAndTier(ctx, db, now, o, c.policy()); err != nil {
		return false, err
	}
	return true, nil
}

// recalcPoll is how often the schedule looks whether a recalculation is
// due: a little past the interval at most, and cheap (one row read).
const recalcPoll = time.Minute

// startTierSchedule runs recalculateIfDue every recalcPoll (and once at
// start) until ctx ends or the returned stop is called, which waits for
// a recalculation in progress. With tiers.recalculate_every 0 it does
// nothing.
func startTierSchedule(ctx context.Context, m *Main) (stop func()) {
	c := m.Config.Tiers
	if c.RecalculateEvery == 0 {
		return func() {}
	}
	logger := m.Logger.With("component", "tiers")
	keys, err := m.Config.Members.keyring()
	if err != nil {
		// Validate refused such a config before Run: unreachable there.
		logger.Error("member keys unusable; incomes are left out of classification", "err", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(min(recalcPoll, c.RecalculateEvery))
		defer t.Stop()
		for {
			recalculateLogged(ctx, m.DB, c, keys, m.Now(), logger)
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	})
	return func() { cancel(); wg.Wait() }
}

func recalculateLogged(ctx context.Context, db central.Store, c TiersConfig, keys *central.Keyring, now time.Time, logger *slog.Logger) {
	ran, err := recalculateIfDue(ctx, db, c, keys, now)
	switch {
	case err != nil && ctx.Err() == nil:
		logger.Error("tier recalculation failed; retried at the next poll", "err", err)
	case ran:
		logger.Info("tiers recalculated", "as_of", now.UTC().Format(time.RFC3339))
	}
}
