package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"
	"github.com/tillsync/tillsync/agent"
	"github.com/tillsync/tillsync/agent/bolt"
	"github.com/tillsync/tillsync/agent/importfile"
)

// Until central's downlink delivers them (the sync protocol's catalog,
// policy and member streams), the store's catalog, loyalty policy and
// member cache are loaded from files with these commands. The agent must
// be stopped: the ledger allows one process at a time.

func newCatalogCmd() *cobra.Command {
	return newLoadCmd("catalog", "Load the product catalog from a CSV file",
		`Replaces the store's catalog with the products in FILE (CSV with the header
sku,barcodes,name,category,price_fen,member_price_fen,weighed,points_eligible,points_multiplier,item_code;
see configs/catalog.example.csv). Every bad row is reported with its line.`,
		func(ctx context.Context, l *bolt.Ledger, r io.Reader, version uint64) (string, error) {
			products, err := importfile.ParseCatalogCSV(r)
			if err != nil {
				return "", err
			}
			version, err = nextVersion(ctx, version, l.CatalogVersion)
			if err != nil {
				return "", err
			}
			if err := l.ReplaceCatalog(ctx, version, products); err != nil {
				return "", err
			}
			return fmt.Sprintf("catalog version %d loaded: %d products", version, len(products)), nil
		})
}

func newMembersCmd() *cobra.Command {
	return newLoadCmd("members", "Load the member cache from a CSV file",
		`Replaces the store's member cache with the members in FILE (CSV with the header
card,member_id,masked_name,phone_last4,tier,balance,blocked,block_reason,staff;
see configs/members.example.csv). Personal data (names, phone numbers, ID
numbers, addresses, income) is refused: stores never hold it.`,
		func(ctx context.Context, l *bolt.Ledger, r io.Reader, version uint64) (string, error) {
			// Expiry dates are days in the chain's time zone.
			loc := time.UTC
			if p, err := l.CurrentPolicy(ctx); err == nil {
				loc = p.Loc()
			}
			members, err := importfile.ParseMembersCSVIn(r, loc)
			if err != nil {
				return "", err
			}
			// The file is central's snapshot as of now: local points
			// movements before it are taken as included in its balances.
			now := time.Now()
			for i := range members {
				members[i].BalanceAt = now
			}
			version, err = nextVersion(ctx, version, l.MembersVersion)
			if err != nil {
				return "", err
			}
			if err := l.ReplaceMembers(ctx, version, members); err != nil {
				return "", err
			}
			return fmt.Sprintf("member cache version %d loaded: %d members", version, len(members)), nil
		})
}

func newPolicyCmd() *cobra.Command {
	return newLoadCmd("policy", "Load the loyalty and offline policy from a YAML file",
		`Replaces the store's loyalty policy with FILE (YAML; see configs/policy.yaml).
The policy is checked first and every problem is printed with its key.`,
		func(ctx context.Context, l *bolt.Ledger, r io.Reader, version uint64) (string, error) {
			p, err := importfile.ParsePolicyYAML(r)
			if err != nil {
				return "", err
			}
			if version != 0 {
				p.Version = version
			}
			if err := p.Validate(); err != nil {
				return "", err
			}
			if err := l.SetPolicy(ctx, p); err != nil {
				return "", err
			}
			return fmt.Sprintf("policy version %d loaded", p.Version), nil
		})
}

type loadFunc func(ctx context.Context, l *bolt.Ledger, r io.Reader, version uint64) (string, error)

func newLoadCmd(noun, short, long string, load loadFunc) *cobra.Command {
	parent := &cobra.Command{Use: noun, Short: short, Args: cobra.NoArgs}
	cmd := &cobra.Command{
		Use:   "load FILE",
		Short: short,
		Long:  long + "\n\nThe agent must be stopped while loading.",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := loadConfig(configPath(cmd), cmd.Flags())
			if err != nil {
				return err
			}
			version, err := cmd.Flags().GetUint64("version")
			if err != nil {
				return err
			}
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			l, err := bolt.Open(c.Ledger.Path, bolt.Options{StoreID: c.StoreID, AgentID: c.AgentID, LockTimeout: c.Ledger.LockTimeout})
			if err != nil {
				return err
			}
			msg, err := load(cmd.Context(), l, f, version)
			if cerr := l.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "%s not loaded: %s\n", noun, userMessage(err))
				return exitError(1)
			}
			fmt.Fprintln(cmd.OutOrStdout(), msg)
			return nil
		},
	}
	cmd.Flags().Uint64("version", 0, "version to store (0: the held version + 1; policy: the file's version)")
	addOverrideFlags(cmd)
	parent.AddCommand(cmd)
	return parent
}

// userMessage is a coded error's message, or the whole error text for an
// operator at the command line.
func userMessage(err error) string {
	if agent.ErrorCode(err) == agent.EINTERNAL {
		return err.Error()
	}
	return agent.ErrorMessage(err)
}

// nextVersion is version, or when it is 0 the held version + 1.
func nextVersion(ctx context.Context, version uint64, held func(context.Context) (uint64, error)) (uint64, error) {
	if version != 0 {
		return version, nil
	}
	v, err := held(ctx)
	if err != nil {
		return 0, err
	}
	return v + 1, nil
}
