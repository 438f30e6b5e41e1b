// Command tillsync-central is the HQ aggregator: it receives every store
// agent's sales over MQTT, stores each exactly once, acks it, and serves
// reports. By default it runs its own MQTT broker and a SQLite file, so one
// command starts a small chain's HQ.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRootCmd(os.Stdin, os.Stdout, os.Stderr).ExecuteContext(ctx)
	stop()
	if err != nil {
		var ex exitError
		if errors.As(err, &ex) {
			os.Exit(int(ex))
		}
		fmt.Fprintln(os.Stderr, "tillsync-central:", err)
		os.Exit(1)
	}
}

// exitError ends the process with its value as exit code after the
// command has printed what went wrong itself.
type exitError int

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

func newRootCmd(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "tillsync-central",
		Short: "The tillsync HQ aggregator: receives every store's sales exactly once",
		Long: `tillsync-central receives the sales of every store agent over MQTT, stores
each one exactly once in its database, acknowledges it to the agent only
after it is durable, and serves reports over HTTP.

By default it starts its own MQTT broker (broker.mode embedded, on
127.0.0.1:18830) and keeps its data in one SQLite file.

Configuration comes from a YAML file (--config, or ./central.yaml when it
exists), TILLSYNC_* environment variables (TILLSYNC_BROKER_LISTEN sets
broker.listen) and flags, in rising precedence. See configs/central.yaml
for every key.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.PersistentFlags().String("config", "", "config file (YAML); default ./central.yaml when it exists")
	root.AddCommand(newRunCmd(), newConfigCmd(), newReportCmd(), newDecodeCmd(), newAgentsCmd(), newQuarantineCmd(),
		newCatalogCmd(), newPolicyCmd(), newCardsCmd())
	root.AddCommand(newPointsCmd(), newMembersCmd())
	root.AddCommand(newKeysCmd(), newEnrollCmd())
	addClassifyCmds(root)
	root.AddCommand(newUsersCmd())
	addVersion(root)
	return root
}

// loadFor loads the configuration for cmd from its --config flag, the
// environment and its flags.
func loadFor(cmd *cobra.Command) (Config, error) {
	flagPath, err := cmd.Flags().GetString("config")
	if err != nil {
		return Config{}, fmt.Errorf("--config: %w", err)
	}
	path, err := configFile(flagPath)
	if err != nil {
		return Config{}, err
	}
	return loadConfig(path, cmd.Flags())
}

// printProblems prints config problems and returns exit status 1.
func printProblems(w io.Writer, problems []string) error {
	fmt.Fprintf(w, "configuration has %d problem(s):\n", len(problems))
	for _, p := range problems {
		fmt.Fprintln(w, "  "+p)
	}
	return exitError(1)
}
