package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/tillsync/tillsync/central"
)

// newMembersCmd is the member master's admin commands. Personal data is
// printed only by `members show --reveal`, to the operator's terminal,
// never to a log.
func newMembersCmd() *cobra.Command {
	m := &cobra.Command{
		Use:   "members",
		Short: "Member master: legacy import, lookup, erasure, key rotation",
		Long: `Central keeps every member's record: kind (customer, staff, test), the
masked name and phone digits stores may show, and the personal fields
sealed with AES-256-GCM under members.keys (set TILLSYNC_MEMBERS_KEYS).
Key rotation: put a new key first in members.keys, keep the old one after
it, run "members rekey", then drop the old key.`,
		Args: cobra.NoArgs,
	}
	m.PersistentFlags().String("db", "", "SQLite database file (database.path)")
	bindFlag(m.PersistentFlags(), "db", "database.path")
	m.AddCommand(newMembersImportCmd(), newMembersShowCmd(), newMembersEraseCmd(), newMembersRekeyCmd(),
		newMembersKeygenCmd(), newMembersBadRowsCmd(), newMembersAbsorbCmd())
	return m
}

// withMembers opens the store and its member master.
func withMembers(cmd *cobra.Command, readOnly bool, fn func(ctx context.Context, db central.Store, ms central.MemberStore, cfg *Config) error) error {
	cfg, err := loadFor(cmd)
	if err != nil {
		return err
	}
	if _, err := cfg.Members.keyring(); err != nil {
		return err // a bad key is refused before anything is read or written
	}
	return withStore(cmd, readOnly, func(ctx context.Context, db central.Store) error {
		ms, ok := db.(central.MemberStore)
		if !ok {
			return fmt.Errorf("database %T keeps no member master", db)
		}
		return fn(ctx, db, ms, &cfg)
	})
}

func newMembersImportCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "import FILE.csv",
		Short: "Import members from a legacy CSV file (resumable)",
		Long: `Import members from a CSV file with a header line. Columns: member_id, card,
name, phone (required), id_number, income_bracket (<3000, 3000-8000,
8000-20000, >20000), address, birth_date and joined (YYYY-MM-DD), email,
kind (customer, staff, test), store, marketing_opt_out (true/false) and
points (an opening balance, posted once per card).

Rows are stored a chunk at a time with the import's checkpoint; run the
same command again after an interruption and it goes on where it stopped.
A bad row is printed with its line number and the field at fault, kept
with the import (members bad-rows), and skipped. A member erased on
request is never filled again from an old file.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			return withMembers(cmd, false, func(ctx context.Context, _ central.Store, ms central.MemberStore, cfg *Config) error {
				keys, err := cfg.Members.keyring()
				if err != nil {
					return err
				}
				errw := cmd.ErrOrStderr()
				bar := newProgressBar(errw, time.Now)
				o := central.ImportOptions{Keys: keys, CollectIDNumbers: cfg.Members.CollectIDNumbers,
					Progress: bar.update,
					OnBad: func(b central.BadRow) {
						bar.clear()
						fmt.Fprintln(errw, b.String())
					}}
				imp, err := central.ImportMembers(ctx, ms, f, filepath.Base(args[0]), o)
				bar.done()
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "import %s: %d members stored, %d bad rows skipped, %d lines read\n",
					imp.ID[:12], imp.Rows, imp.Bad, imp.Line)
				if imp.Bad > 0 {
					fmt.Fprintf(cmd.OutOrStdout(), "bad rows again: tillsync-central members bad-rows %s\n", args[0])
				}
				return nil
			})
		},
	}
}

func newMembersBadRowsCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "bad-rows FILE.csv",
		Short: "List the rows an import of the file refused, with line and reason",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			id, _, err := central.ImportFileID(f)
			if err != nil {
				return err
			}
			limit, err := cmd.Flags().GetInt("limit")
			if err != nil {
				return err
			}
			return withMembers(cmd, true, func(ctx context.Context, _ central.Store, ms central.MemberStore, _ *Config) error {
				imp, err := ms.MemberImport(ctx, id)
				if err != nil {
					return err
				}
				rows, err := ms.ImportBadRows(ctx, id, limit)
				if err != nil {
					return err
				}
				w := cmd.OutOrStdout()
				fmt.Fprintf(w, "import %s of %s: %d stored, %d bad, done %v\n", id[:12], imp.Name, imp.Rows, imp.Bad, imp.Done)
				for _, b := range rows {
					fmt.Fprintln(w, b.String())
				}
				return nil
			})
		},
	}
	c.Flags().Int("limit", 1000, "print at most this many")
	return c
}

func newMembersShowCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "show (--member ID | --card CARD) [--reveal]",
		Short: "Print a member's record and cards; --reveal opens the personal fields",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			f := cmd.Flags()
			id, err := f.GetString("member")
			if err != nil {
				return err
			}
			card, err := f.GetString("card")
			if err != nil {
				return err
			}
			reveal, err := f.GetBool("reveal")
			if err != nil {
				return err
			}
			if (id == "") == (card == "") {
				return fmt.Errorf("give one of --member and --card")
			}
			return withMembers(cmd, true, func(ctx context.Context, _ central.Store, ms central.MemberStore, cfg *Config) error {
				var m central.Member
				if id != "" {
					m, err = ms.Member(ctx, id)
				} else {
					m, err = ms.MemberByCard(ctx, card)
				}
				if err != nil {
					return err
				}
				return printMember(cmd.OutOrStdout(), m, reveal, cfg)
			})
		},
	}
	c.Flags().String("member", "", "member id")
	c.Flags().String("card", "", "a card of the member (active or lost)")
	c.Flags().Bool("reveal", false, "print the personal fields in clear (needs members.keys)")
	return c
}

func printMember(w io.Writer, m central.Member, reveal bool, cfg *Config) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "member\t%s\nkind\t%s\nname\t%s\nphone\t*******%s\nstore\t%s\n", m.ID, m.Kind, m.MaskedName, m.PhoneLast4, m.StoreID)
	if !m.JoinedAt.IsZero() {
		fmt.Fprintf(tw, "joined\t%s\n", m.JoinedAt.Format(time.DateOnly))
	}
	fmt.Fprintf(tw, "marketing opt-out\t%v\n", m.MarketingOptOut)
	if !m.ErasedAt.IsZero() {
		fmt.Fprintf(tw, "erased\t%s\n", m.ErasedAt.UTC().Format(time.RFC3339))
	}
	for _, c := range m.Cards {
		line := fmt.Sprintf("%s %s since %s", central.MaskCard(c.Card), c.Status, c.LinkedAt.UTC().Format(time.DateOnly))
		if c.ReplacedBy != "" {
			line += fmt.Sprintf(", replaced by %s (%s)", central.MaskCard(c.ReplacedBy), c.Reason)
		}
		fmt.Fprintf(tw, "card\t%s\n", line)
	}
	if reveal {
		keys, err := cfg.Members.keyring()
		if err != nil {
			return err
		}
		pd, err := m.OpenPersonal(keys)
		if err != nil {
			return err
		}
		fmt.Fprintf(tw, "full name\t%s\nfull phone\t%s\nincome bracket\t%s\n", pd.Name, pd.Phone, pd.IncomeBracket)
		for _, kv := range [][2]string{{"id number", pd.IDNumber}, {"address", pd.Address}, {"birth date", pd.BirthDate}, {"email", pd.Email}} {
			if kv[1] != "" {
				fmt.Fprintf(tw, "%s\t%s\n", kv[0], kv[1])
			}
		}
	}
	return tw.Flush()
}

func newMembersEraseCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "erase --member ID",
		Short: "Erase a member's personal data on request; sales and points stay, anonymous",
		Long: `Erase a member's personal data for good: the sealed fields, the masked name
and phone digits (also in the enrollment events central keeps and in the
member records stores receive). The member's cards, sales and points stay,
so the chain's figures do not change; a later import of the member is
refused.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := cmd.Flags().GetString("member")
			if err != nil {
				return err
			}
			if id == "" {
				return fmt.Errorf("--member: give the member id")
			}
			return withMembers(cmd, false, func(ctx context.Context, _ central.Store, ms central.MemberStore, _ *Config) error {
				m, err := ms.EraseMember(ctx, id, time.Now())
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "member %s erased at %s; %d card(s) kept, anonymous\n",
					m.ID, m.ErasedAt.UTC().Format(time.RFC3339), len(m.Cards))
				return nil
			})
		},
	}
	c.Flags().String("member", "", "member id")
	return c
}

func newMembersRekeyCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "rekey",
		Short: "Seal every member's personal fields again with the first key of members.keys",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return withMembers(cmd, false, func(ctx context.Context, _ central.Store, ms central.MemberStore, cfg *Config) error {
				keys, err := cfg.Members.keyring()
				if err != nil {
					return err
				}
				if keys.Active() == "" {
					return fmt.Errorf("members.keys is empty: nothing to seal with")
				}
				n, err := ms.ResealMembers(ctx, keys.Active(), func(m *central.Member) error {
					_, err := m.Reseal(keys)
					return err
				})
				if err != nil {
					return fmt.Errorf("after %d members: %w", n, err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%d members sealed again with key %s; keys no longer used can be dropped\n", n, keys.Active())
				return nil
			})
		},
	}
}

func newMembersKeygenCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "keygen --id ID",
		Short: "Print a new member data key (id:base64) for members.keys",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := cmd.Flags().GetString("id")
			if err != nil {
				return err
			}
			k, err := central.NewMemberKey(id)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), k)
			return nil
		},
	}
	c.Flags().String("id", "k"+time.Now().UTC().Format("20060102"), "key id (letters, digits, _ . -)")
	return c
}

func newMembersAbsorbCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "absorb [--enrollment-key-file FILE]",
		Short: "Move the personal data tills sealed at enrollment into the member master",
		Long: `Open the personal data the tills sealed to central's public key at enrollment
(with the private key of "keys generate", members.enrollment_key_file),
check it, seal it again under members.keys into the member master (so key
rotation and erasure reach it) and remove it from the stored enrollment
event. Data sealed to another key, or failing the checks, stays where it
is and is counted. Running it again does nothing new; run it from cron or
after the stores synced.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return withMembers(cmd, false, func(ctx context.Context, _ central.Store, ms central.MemberStore, cfg *Config) error {
				keys, err := cfg.Members.keyring()
				if err != nil {
					return err
				}
				if keys.Active() == "" {
					return fmt.Errorf("members.keys is empty: the personal data would have nothing to be sealed with")
				}
				if cfg.Members.EnrollmentKeyFile == "" {
					return fmt.Errorf("--enrollment-key-file (members.enrollment_key_file): give central's private key file")
				}
				data, err := os.ReadFile(cfg.Members.EnrollmentKeyFile)
				if err != nil {
					return err
				}
				ek, err := central.ParseEnrollmentKey(data)
				if err != nil {
					return err
				}
				res, err := ms.AbsorbEnrollments(ctx, func(e central.SealedEnrollment) (central.Member, error) {
					return ek.OpenEnrollment(e, keys)
				}, time.Now())
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%d members filled from their enrollment, %d sealed copies dropped (member erased or already filled), %d left (sealed to another key or failing checks)\n",
					res.Absorbed, res.Dropped, res.Unopened)
				return nil
			})
		},
	}
	c.Flags().String("enrollment-key-file", "", "central's enrollment private key (members.enrollment_key_file)")
	bindFlag(c.Flags(), "enrollment-key-file", "members.enrollment_key_file")
	return c
}
