// Command tillsync-agent is the store agent: it records every sale of the
// store's tills durably in its ledger and syncs the ledger to central.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // the policy's time zone must not depend on the till's zoneinfo

	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRootCmd(os.Stdout, os.Stderr).ExecuteContext(ctx)
	stop()
	if err != nil {
		var ex exitError
		if errors.As(err, &ex) {
			os.Exit(int(ex))
		}
		fmt.Fprintln(os.Stderr, "tillsync-agent:", err)
		os.Exit(1)
	}
}

// exitError ends the process with its value as exit code after the
// command has printed what went wrong itself.
type exitError int

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "tillsync-agent",
		Short: "The tillsync store agent: records the store's sales and syncs them to central",
		Long: `tillsync-agent runs in every store. It records each sale the tills report
in a local ledger (a single file), keeps selling while the link to HQ is down,
and sends every sale to central exactly once.

Configuration comes from a YAML file (--config), TILLSYNC_* environment
variables (TILLSYNC_API_LISTEN sets api.listen) and flags, in rising
precedence. See configs/agent.yaml for every key.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.PersistentFlags().String("config", "", "config file (YAML)")
	root.AddCommand(newRunCmd(), newConfigCmd(), newStatusCmd(), newLedgerCmd(),
		newCatalogCmd(), newMembersCmd(), newPolicyCmd(), newDevicesCmd())
	addVersion(root)
	return root
}

func configPath(cmd *cobra.Command) string {
	p, err := cmd.Flags().GetString("config")
	if err != nil {
		return ""
	}
	return p
}

func newRunCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run the agent: ledger, local API and uplink to central",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := loadConfig(configPath(cmd), cmd.Flags())
			if err != nil {
				return err
			}
			if problems := cfg.Validate(); len(problems) > 0 {
				return printProblems(cmd.ErrOrStderr(), problems)
			}
			m := NewMain(cfg)
			if err := m.Run(cmd.Context()); err != nil {
				return errors.Join(err, m.Close())
			}
			<-cmd.Context().Done()
			return m.Close()
		},
	}
	addOverrideFlags(cmd)
	return cmd
}

// addOverrideFlags adds the flags that override single config keys.
func addOverrideFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.String("store-id", "", "store id (store_id)")
	f.String("agent-id", "", "agent id, unique in the chain (agent_id)")
	f.String("ledger", "", "ledger file path (ledger.path)")
	f.String("api-listen", "", "local API address host:port (api.listen)")
	f.String("broker-url", "", "MQTT broker URL (uplink.broker_url)")
	for flag, key := range map[string]string{
		"store-id": "store_id", "agent-id": "agent_id", "ledger": "ledger.path",
		"api-listen": "api.listen", "broker-url": "uplink.broker_url",
	} {
		bindFlag(f, flag, key)
	}
}

func newConfigCmd() *cobra.Command {
	cfg := &cobra.Command{Use: "config", Short: "Check and show configuration", Args: cobra.NoArgs}
	validate := &cobra.Command{
		Use:   "validate",
		Short: "Check the configuration and print every problem with its key",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := loadConfig(configPath(cmd), cmd.Flags())
			if err != nil {
				return err
			}
			if problems := c.Validate(); len(problems) > 0 {
				return printProblems(cmd.ErrOrStderr(), problems)
			}
			fmt.Fprintln(cmd.OutOrStdout(), "configuration is valid")
			return nil
		},
	}
	addOverrideFlags(validate)
	cfg.AddCommand(validate)
	return cfg
}

func printProblems(w io.Writer, problems []string) error {
	fmt.Fprintf(w, "configuration has %d problem(s):\n", len(problems))
	for _, p := range problems {
		fmt.Fprintln(w, "  "+p)
	}
	return exitError(1)
}
