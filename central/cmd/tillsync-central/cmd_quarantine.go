package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/tillsync/tillsync/central"
)

func newQuarantineCmd() *cobra.Command {
	q := &cobra.Command{
		Use:   "quarantine",
		Short: "List and replay events central stored but could not apply",
		Long: `An event central cannot apply (an unknown kind from a newer agent, bad data,
a conflicting id) is stored in quarantine with its reason and acked, so the
agent moves on. list shows them; replay re-applies them after the cause is
fixed, typically after upgrading central for a new event kind.`,
		Args: cobra.NoArgs,
	}
	q.PersistentFlags().String("db", "", "SQLite database file (database.path)")
	bindFlag(q.PersistentFlags(), "db", "database.path")
	q.AddCommand(newQuarantineListCmd(), newQuarantineReplayCmd())
	return q
}

func newQuarantineListCmd() *cobra.Command {
	list := &cobra.Command{
		Use:   "list [--limit N] [--format table|json]",
		Short: "List quarantined events, oldest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			format, err := cmd.Flags().GetString("format")
			if err != nil {
				return err
			}
			limit, err := cmd.Flags().GetInt("limit")
			if err != nil {
				return err
			}
			if format != "table" && format != "json" {
				return fmt.Errorf("--format %q: use table or json", format)
			}
			if limit < 1 {
				return fmt.Errorf("--limit %d: must be at least 1", limit)
			}
			return withStore(cmd, true, func(ctx context.Context, db central.Store) error {
				rows, err := db.Quarantined(ctx, limit)
				if err != nil {
					return err
				}
				return writeQuarantined(cmd.OutOrStdout(), format, rows)
			})
		},
	}
	list.Flags().Int("limit", 100, "list at most this many events")
	list.Flags().String("format", "table", "table or json")
	return list
}

func newQuarantineReplayCmd() *cobra.Command {
	replay := &cobra.Command{
		Use:   "replay ID|--all",
		Short: "Re-apply quarantined events whose cause is fixed",
		Long: `Re-apply one quarantined event (its ID from quarantine list), or with --all
every one, each in its own transaction through the same checks as ingest.
An event that applies now leaves quarantine and its sale is counted once,
however often it is replayed; one that still cannot apply stays with its
reason updated. The exit status is 1 when any event stays quarantined.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			all, err := cmd.Flags().GetBool("all")
			if err != nil {
				return err
			}
			var ids []int64
			switch {
			case all && len(args) == 0:
			case !all && len(args) == 1:
				id, err := strconv.ParseInt(args[0], 10, 64)
				if err != nil || id < 1 {
					return fmt.Errorf("ID %q: want a quarantine id from quarantine list", args[0])
				}
				ids = []int64{id}
			default:
				return errors.New("give one quarantine ID or --all")
			}
			return withStore(cmd, false, func(ctx context.Context, db central.Store) error {
				return replayQuarantined(ctx, cmd.OutOrStdout(), db, ids)
			})
		},
	}
	replay.Flags().Bool("all", false, "replay every quarantined event")
	return replay
}

// withStore opens the configured database, runs fn on it and closes it.
func withStore(cmd *cobra.Command, readOnly bool, fn func(ctx context.Context, db central.Store) error) error {
	cfg, err := loadFor(cmd)
	if err != nil {
		return err
	}
	db, _, err := openStore(cmd.Context(), cfg, nil, nil, readOnly)
	if err != nil {
		return err
	}
	return errors.Join(fn(cmd.Context(), db), db.Close())
}

// replayQuarantined replays ids, or every quarantined event when ids is
// nil, printing one line per event and a summary.
func replayQuarantined(ctx context.Context, w io.Writer, db central.Store, ids []int64) error {
	if ids == nil {
		rows, err := db.Quarantined(ctx, math.MaxInt32)
		if err != nil {
			return err
		}
		for _, r := range rows {
			ids = append(ids, r.ID)
		}
	}
	var applied, kept int
	for _, id := range ids {
		res, err := db.ReplayQuarantined(ctx, id)
		switch {
		case central.ErrorCode(err) == central.ENOTFOUND && len(ids) > 1:
			// Replayed meanwhile by another operator or instance.
			fmt.Fprintf(w, "%d: no longer quarantined\n", id)
			continue
		case err != nil:
			return err
		case res.Applied:
			applied++
			fmt.Fprintf(w, "%d: agent %s seq %d applied\n", id, res.AgentID, res.Seq)
		default:
			kept++
			fmt.Fprintf(w, "%d: agent %s seq %d still quarantined: %s\n", id, res.AgentID, res.Seq, res.Reason)
		}
	}
	fmt.Fprintf(w, "applied %d, still quarantined %d\n", applied, kept)
	if kept > 0 {
		return exitError(1)
	}
	return nil
}

func writeQuarantined(w io.Writer, format string, rows []central.QuarantinedEvent) error {
	if format == "json" {
		type row struct {
			ID         int64  `json:"id"`
			AgentID    string `json:"agent_id"`
			StoreID    string `json:"store_id"`
			Seq        uint64 `json:"seq"`
			EventID    string `json:"event_id"`
			Reason     string `json:"reason"`
			ReceivedAt string `json:"received_at"`
		}
		out := []row{}
		for _, r := range rows {
			out = append(out, row{r.ID, r.AgentID, r.StoreID, r.Seq, r.EventID, r.Reason, r.ReceivedAt.Format(time.RFC3339Nano)})
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"quarantined": out})
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTORE\tAGENT\tSEQ\tEVENT ID\tRECEIVED\tREASON")
	for _, r := range rows {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\t%s\t%s\n", r.ID, r.StoreID, r.AgentID, r.Seq, strconv.Quote(r.EventID),
			r.ReceivedAt.Format(time.RFC3339), r.Reason)
	}
	return tw.Flush()
}
