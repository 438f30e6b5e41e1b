package main

import (
	"context"
	"encoding/base64"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/tillsync/tillsync/central"
	"github.com/tillsync/tillsync/syncproto"
	"google.golang.org/protobuf/encoding/protojson"
)

// withDownstreams runs fn on the configured database's downstream streams.
func withDownstreams(cmd *cobra.Command, fn func(ctx context.Context, ds central.Downstreams) (*central.StreamVersion, error)) error {
	return withStore(cmd, false, func(ctx context.Context, db central.Store) error {
		ds, ok := db.(central.Downstreams)
		if !ok {
			return fmt.Errorf("database %T keeps no downstream streams", db)
		}
		v, err := fn(ctx, ds)
		if err != nil {
			return err
		}
		if v == nil {
			fmt.Fprintln(cmd.OutOrStdout(), "nothing to publish")
			return nil
		}
		fmt.Fprintf(cmd.OutOrStdout(), "%s version %d stored; running central instances send it to every store\n", v.Stream, v.Version)
		return nil
	})
}

// downstreamParent is a command group with the database flag.
func downstreamParent(use, short, long string, subs ...*cobra.Command) *cobra.Command {
	c := &cobra.Command{Use: use, Short: short, Long: long, Args: cobra.NoArgs}
	c.PersistentFlags().String("db", "", "SQLite database file (database.path)")
	bindFlag(c.PersistentFlags(), "db", "database.path")
	c.AddCommand(subs...)
	return c
}

func newCatalogCmd() *cobra.Command {
	publish := &cobra.Command{
		Use:   "publish FILE",
		Short: "Publish the chain's catalog to every store",
		Long: `Publish a whole catalog as the next catalog version. FILE is the store catalog
CSV (the columns of tillsync-agent catalog load: sku,barcodes,name,category,
price_fen,member_price_fen,weighed,points_eligible,points_multiplier,item_code)
or JSON in the shape of syncproto's CatalogContent ({"upserts":[...]}). Every
barcode's check digit is checked; any problem fails the whole file. Stores
receive the changes since the version they hold (or the whole catalog, in
chunks, when they are far behind) and apply them atomically.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := readCatalogFile(args[0])
			if err != nil {
				return err
			}
			return withDownstreams(cmd, func(ctx context.Context, ds central.Downstreams) (*central.StreamVersion, error) {
				return central.PublishCatalog(ctx, ds, c, time.Now())
			})
		},
	}
	return downstreamParent("catalog", "Manage the catalog sent to the stores", "", publish)
}

func newPolicyCmd() *cobra.Command {
	publish := &cobra.Command{
		Use:   "publish FILE",
		Short: "Publish the loyalty policy to every store",
		Long: `Publish a policy YAML file (the format of tillsync-agent policy load) as the
next policy version. Each store parses it as it parses its own file; a store
that cannot keeps its current policy and logs why.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			doc, err := os.ReadFile(args[0])
			if err != nil {
				return fmt.Errorf("read policy: %w", err)
			}
			return withDownstreams(cmd, func(ctx context.Context, ds central.Downstreams) (*central.StreamVersion, error) {
				return central.PublishPolicy(ctx, ds, "yaml", doc, time.Now())
			})
		},
	}
	return downstreamParent("policy", "Manage the loyalty policy sent to the stores", "", publish)
}

func newCardsCmd() *cobra.Command {
	block := &cobra.Command{
		Use:   "block CARD... --reason TEXT",
		Short: "Block cards in every store (lost or stolen)",
		Args:  cobra.MinimumNArgs(1),
		RunE:  func(cmd *cobra.Command, args []string) error { return changeBlocks(cmd, args, false) },
	}
	block.Flags().String("reason", "reported lost", "reason the cashier sees")
	unblock := &cobra.Command{
		Use:   "unblock CARD...",
		Short: "Lift the blocks of cards",
		Args:  cobra.MinimumNArgs(1),
		RunE:  func(cmd *cobra.Command, args []string) error { return changeBlocks(cmd, args, true) },
	}
	replace := &cobra.Command{
		Use:   "replace LOST-CARD NEW-CARD [--reason TEXT]",
		Short: "Replace a member's lost card: link the new card, move the points, block the old one",
		Long: `Link NEW-CARD to the member of LOST-CARD, move what the lost card holds (each
lot of points with its pending period and expiry date, and any debt) to
it, and block LOST-CARD at every store. Run it again later to move what
reached the lost card since (an offline sale that arrived late).`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			reason, err := cmd.Flags().GetString("reason")
			if err != nil {
				return err
			}
			r := central.CardReplacement{Old: args[0], New: args[1], Reason: reason, At: time.Now()}
			return withMembers(cmd, false, func(ctx context.Context, db central.Store, ms central.MemberStore, _ *Config) error {
				ds, ok := db.(central.Downstreams)
				if !ok {
					return fmt.Errorf("database %T keeps no downstream streams", db)
				}
				res, err := central.ReplaceLostCard(ctx, ms, ds, r)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "card %s of member %s replaced by %s: %d points and %d points of debt moved (%d entries); %s blocked at every store\n",
					central.MaskCard(r.Old), res.MemberID, central.MaskCard(r.New), res.Points, res.Debt, res.Entries, central.MaskCard(r.Old))
				return nil
			})
		},
	}
	replace.Flags().String("reason", central.DefaultReplaceReason, "reason the cashier sees on the old card")
	return downstreamParent("cards", "Block, unblock and replace membership cards chain-wide",
		`A blocked card is refused at every till with its reason, whatever store the
member joined at. "cards replace" links a new card to the member of a lost
one and moves the points to it.`, block, unblock, replace)
}

func changeBlocks(cmd *cobra.Command, cards []string, unblock bool) error {
	reason := ""
	if !unblock {
		var err error
		if reason, err = cmd.Flags().GetString("reason"); err != nil {
			return err
		}
	}
	now := time.Now()
	blocks := make([]*syncproto.CardBlock, len(cards))
	for i, c := range cards {
		blocks[i] = &syncproto.CardBlock{Card: c, Reason: reason, BlockedAtMs: now.UnixMilli()}
	}
	return withDownstreams(cmd, func(ctx context.Context, ds central.Downstreams) (*central.StreamVersion, error) {
		return central.ChangeCardBlocks(ctx, ds, blocks, unblock, now)
	})
}

// readCatalogFile reads a catalog CSV or JSON file by its extension.
func readCatalogFile(path string) (*syncproto.CatalogContent, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read catalog: %w", err)
	}
	defer f.Close()
	if strings.EqualFold(filepath.Ext(path), ".json") {
		b, err := io.ReadAll(io.LimitReader(f, syncproto.MaxUpdateSize+1))
		if err != nil {
			return nil, fmt.Errorf("read catalog: %w", err)
		}
		var c syncproto.CatalogContent
		if err := protojson.Unmarshal(b, &c); err != nil {
			return nil, fmt.Errorf("catalog %s: %w", path, err)
		}
		return &c, nil
	}
	c, err := parseCatalogCSV(f)
	if err != nil {
		return nil, fmt.Errorf("catalog %s: %w", path, err)
	}
	return c, nil
}

// parseCatalogCSV reads the store catalog CSV's columns into items; the
// content is checked afterwards by central.ValidateCatalog.
func parseCatalogCSV(r io.Reader) (*syncproto.CatalogContent, error) {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[strings.TrimSpace(h)] = i
	}
	for _, need := range []string{"sku", "name", "price_fen"} {
		if _, ok := col[need]; !ok {
			return nil, fmt.Errorf("header has no %q column", need)
		}
	}
	c := &syncproto.CatalogContent{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return c, nil
		}
		if err != nil {
			return nil, err
		}
		line, _ := cr.FieldPos(0)
		it, err := catalogRecord(rec, col)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		c.Upserts = append(c.Upserts, it)
	}
}

func catalogRecord(rec []string, col map[string]int) (*syncproto.CatalogItem, error) {
	get := func(name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	var bad error
	num := func(name string) int64 {
		s := get(name)
		if s == "" {
			return 0
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil && bad == nil {
			bad = fmt.Errorf("%s %q: want an integer", name, s)
		}
		return n
	}
	flag := func(name string) bool {
		switch strings.ToLower(get(name)) {
		case "", "0", "false", "no", "n":
			return false
		case "1", "true", "yes", "y":
			return true
		}
		if bad == nil {
			bad = fmt.Errorf("%s %q: want true or false", name, get(name))
		}
		return false
	}
	it := &syncproto.CatalogItem{
		Sku: get("sku"), Name: get("name"), Category: get("category"),
		PriceFen: num("price_fen"), MemberPriceFen: num("member_price_fen"), Weighed: flag("weighed"),
		PointsEligible: flag("points_eligible"), PointsMultiplier: num("points_multiplier"), ItemCode: num("item_code"),
	}
	if bc := get("barcodes"); bc != "" {
		for _, b := range strings.Split(bc, "|") {
			it.Barcodes = append(it.Barcodes, strings.TrimSpace(b))
		}
	}
	return it, bad
}

func newKeysCmd() *cobra.Command {
	publish := &cobra.Command{
		Use:   "publish (--public-key-file FILE | --public-key BASE64)",
		Short: "Publish central's public key that stores seal enrollment data to",
		Long: `Publish central's NaCl box public key (32 bytes) as the next central_key
version. Every store stores it in its ledger and seals the personal data of
members it enrolls to it; a store's configured enroll.central_public_key is
used only until a key from central has arrived. FILE holds the key as
standard base64 text or as its 32 raw bytes. The same key again publishes
nothing.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			key, err := readPublicKey(cmd)
			if err != nil {
				return err
			}
			return withDownstreams(cmd, func(ctx context.Context, ds central.Downstreams) (*central.StreamVersion, error) {
				return central.PublishCentralKey(ctx, ds, key, time.Now())
			})
		},
	}
	publish.Flags().String("public-key-file", "", "file holding the public key (base64 text or 32 raw bytes)")
	publish.Flags().String("public-key", "", "the public key in standard base64")
	publish.MarkFlagsMutuallyExclusive("public-key-file", "public-key")
	publish.MarkFlagsOneRequired("public-key-file", "public-key")
	generate := &cobra.Command{
		Use:   "generate --private-key-file FILE [--public-key-file FILE]",
		Short: "Make central's enrollment key pair: the private key for members absorb, the public one for keys publish",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			privPath, err := cmd.Flags().GetString("private-key-file")
			if err != nil {
				return err
			}
			pubPath, err := cmd.Flags().GetString("public-key-file")
			if err != nil {
				return err
			}
			if privPath == "" {
				return fmt.Errorf("--private-key-file: give the file to create")
			}
			k, err := central.NewEnrollmentKey()
			if err != nil {
				return err
			}
			// O_EXCL: never overwrite a private key, whose loss would leave
			// every enrollment sealed to it unreadable.
			f, err := os.OpenFile(privPath, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
			if err != nil {
				return err
			}
			if _, err := fmt.Fprintln(f, k.PrivateText()); err != nil {
				return errors.Join(err, f.Close())
			}
			if err := f.Close(); err != nil {
				return err
			}
			if pubPath != "" {
				if err := os.WriteFile(pubPath, []byte(k.PublicText()+"\n"), 0o644); err != nil {
					return err
				}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "private key written to %s (keep it safe: enrollment data sealed to it opens with it only)\npublic key: %s\n",
				privPath, k.PublicText())
			return nil
		},
	}
	generate.Flags().String("private-key-file", "", "file to create for the private key (mode 0600)")
	generate.Flags().String("public-key-file", "", "file to write the public key to")
	return downstreamParent("keys", "Manage central's key sent to the stores", "", publish, generate)
}

// readPublicKey reads the key of keys publish from its flags.
func readPublicKey(cmd *cobra.Command) ([]byte, error) {
	text, err := cmd.Flags().GetString("public-key")
	if err != nil {
		return nil, err
	}
	if path, _ := cmd.Flags().GetString("public-key-file"); path != "" {
		raw, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read public key: %w", err)
		}
		if len(raw) == central.CentralKeySize {
			return raw, nil
		}
		text = string(raw)
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(text))
	if err != nil {
		return nil, fmt.Errorf("public key is neither %d raw bytes nor standard base64", central.CentralKeySize)
	}
	return key, nil
}

func newEnrollCmd() *cobra.Command {
	assign := &cobra.Command{
		Use:   "assign --store S --prefix P --first N --last M",
		Short: "Hand a store a block of card numbers to enroll members with",
		Long: `Assign store S the card numbers P followed by N..M (zero-padded to the digits
of M) and a Luhn check digit, as the next version of the store's enrollment
block; the store's agent receives it on its down topic. Central refuses a
block that could hand out a card number of a block of another store (the
same prefix with meeting ranges, or prefixes of which one starts the other).
A store refuses a block overlapping numbers it already used, and logs why.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var b central.EnrollBlock
			var err error
			f := cmd.Flags()
			if b.Store, err = f.GetString("store"); err != nil {
				return err
			}
			if b.Prefix, err = f.GetString("prefix"); err != nil {
				return err
			}
			if b.First, err = f.GetUint64("first"); err != nil {
				return err
			}
			if b.Last, err = f.GetUint64("last"); err != nil {
				return err
			}
			return withDownstreams(cmd, func(ctx context.Context, ds central.Downstreams) (*central.StreamVersion, error) {
				eb, ok := ds.(central.EnrollBlocks)
				if !ok {
					return nil, fmt.Errorf("database %T cannot assign enrollment blocks", ds)
				}
				return eb.AssignEnrollBlock(ctx, b, time.Now())
			})
		},
	}
	assign.Flags().String("store", "", "store id")
	assign.Flags().String("prefix", "", "card number prefix (digits)")
	assign.Flags().Uint64("first", 0, "first number of the block")
	assign.Flags().Uint64("last", 0, "last number of the block (inclusive)")
	for _, f := range []string{"store", "prefix", "first", "last"} {
		if err := assign.MarkFlagRequired(f); err != nil {
			panic(err) // the flag is defined just above
		}
	}
	return downstreamParent("enroll", "Manage the stores' enrollment number blocks", "", assign)
}
