package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

func newRunCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run central: broker (embedded mode), database, ingester and HQ API",
		Long: `Run central until SIGINT or SIGTERM. It opens (and migrates) the database,
starts the embedded MQTT broker unless broker.mode is external, serves the
HQ API, subscribes to every agent's batches and acks each batch once it is
durable. On SIGINT or SIGTERM it finishes the batches in hand and exits;
on SIGHUP it rereads auth.keys_file (signed mode), so newly provisioned
agents sync without a restart.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := loadFor(cmd)
			if err != nil {
				return err
			}
			if problems := cfg.Validate(); len(problems) > 0 {
				return printProblems(cmd.ErrOrStderr(), problems)
			}
			logger, err := newLogger(cfg.Log, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			m := NewMain(cfg, logger)
			if err := m.Run(cmd.Context()); err != nil {
				return err
			}
			stopTiers := startTierSchedule(cmd.Context(), m)
			waitReloading(cmd.Context(), m)
			logger.Info("shutting down")
			stopTiers()
			return m.Close()
		},
	}
	addOverrideFlags(cmd)
	return cmd
}

// addOverrideFlags adds the flags that override single config keys.
func addOverrideFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	flags := []struct{ name, key, usage string }{
		{"instance-id", "instance_id", "this instance's id, unique among central instances"},
		{"broker-mode", "broker.mode", "embedded or external"},
		{"broker-listen", "broker.listen", "embedded broker address host:port"},
		{"broker-url", "broker.url", "external broker URL, tcp://host:port"},
		{"db", "database.path", "SQLite database file"},
		{"http-listen", "http.listen", "HQ API address host:port"},
		{"log-level", "log.level", "debug, info, warn or error"},
	}
	for _, fl := range flags {
		f.String(fl.name, "", fl.usage+" ("+fl.key+")")
		bindFlag(f, fl.name, fl.key)
	}
}

func newConfigCmd() *cobra.Command {
	cfg := &cobra.Command{Use: "config", Short: "Check the configuration", Args: cobra.NoArgs}
	validate := &cobra.Command{
		Use:   "validate",
		Short: "Check the configuration and print every problem with its key",
		Long: `Load the configuration as run would (file, environment, flags), print every
problem with the key it concerns, and exit with status 1 if there is any.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := loadFor(cmd)
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

// waitReloading blocks until ctx ends, rereading the agents' keys on every
// SIGHUP; a bad keys file is logged and the keys in use are kept.
func waitReloading(ctx context.Context, m *Main) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			if err := m.ReloadKeys(); err != nil {
				m.Logger.Error("keys not reloaded; the old keys stay in use", "err", err)
			}
		}
	}
}
