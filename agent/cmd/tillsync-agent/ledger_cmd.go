package main

import (
	"fmt"

	"github.com/spf13/cobra"
	"github.com/tillsync/tillsync/agent/bolt"
)

func newLedgerCmd() *cobra.Command {
	ledger := &cobra.Command{Use: "ledger", Short: "Inspect the agent's ledger file", Args: cobra.NoArgs}
	check := &cobra.Command{
		Use:   "check",
		Short: "Verify the ledger file (the agent must be stopped)",
		Long: `check opens the ledger named by the configuration and verifies it: the
database's page structure, a journal with no gaps, and a sale index that
matches the journal. It prints what it found and exits 1 on any problem.
The agent must not be running (the ledger allows one process at a time).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := loadConfig(configPath(cmd), cmd.Flags())
			if err != nil {
				return err
			}
			l, err := bolt.Open(c.Ledger.Path, bolt.Options{StoreID: c.StoreID, AgentID: c.AgentID, LockTimeout: c.Ledger.LockTimeout})
			if err != nil {
				return err
			}
			checkErr := l.Check(cmd.Context())
			st, statusErr := l.Status(cmd.Context())
			if err := l.Close(); err != nil {
				return err
			}
			if checkErr != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "ledger %s is damaged:\n%v\n", c.Ledger.Path, checkErr)
				return exitError(1)
			}
			if statusErr != nil {
				return statusErr
			}
			fmt.Fprintf(cmd.OutOrStdout(), "ledger %s is sound: %d events, %d acknowledged by central, %d waiting\n",
				c.Ledger.Path, st.LastSeq, st.Watermark, st.OutboxDepth())
			return nil
		},
	}
	addOverrideFlags(check)
	ledger.AddCommand(check)
	return ledger
}
