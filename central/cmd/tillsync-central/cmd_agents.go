package main

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/tillsync/tillsync/central/mqtt"
	"github.com/tillsync/tillsync/syncproto"
)

// passwordSize is the random bytes in a generated broker password.
const passwordSize = 24

func newAgentsCmd() *cobra.Command {
	agents := &cobra.Command{Use: "agents", Short: "Provision store agents", Args: cobra.NoArgs}
	add := &cobra.Command{
		Use:   "add --store S001 --agent A1",
		Short: "Provision an agent: signing key, broker credentials, config snippet, ACL",
		Long: `Provision one store agent. agents add generates a random 32-byte batch-signing
key and a random broker password, appends the line "store agent base64key" to
the keys file (--keys-file, default auth.keys_file), and prints:

  1. the agent's config snippet (chain_id, store_id, agent_id,
     uplink.username, uplink.password, uplink.key) — it holds secrets;
  2. the Mosquitto ACL entry that lets the agent write and read its own
     topics only (append it to the broker's acl_file).

With --password-file it also appends the agent's user to that Mosquitto
password file, hashed exactly as mosquitto_passwd 2.x does ($7$,
PBKDF2-SHA512); without it, it prints the mosquitto_passwd command to run.
Reload the broker, and send central SIGHUP (or restart it) so that it reads
the new key. An agent id is unique in the chain: an agent that already has
a key is refused. Central's own broker user comes from agents add-central.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			req, err := provisionRequestFor(cmd)
			if err != nil {
				return err
			}
			return provisionAgent(cmd.OutOrStdout(), rand.Reader, req)
		},
	}
	f := add.Flags()
	f.String("store", "", "the agent's store id (required)")
	f.String("agent", "", "the agent id, unique in the chain; also its broker user name (required)")
	f.String("keys-file", "", "keys file to append to (default auth.keys_file)")
	f.String("password-file", "", "Mosquitto password file to append the agent's user to")
	agents.AddCommand(add, newAddCentralCmd())
	return agents
}

func newAddCentralCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "add-central --user central1",
		Short: "Provision central's broker user: credentials, config snippet, ACL",
		Long: `Provision the broker user a central instance logs in as on an external broker
(Mosquitto). add-central generates a random broker password and prints:

  1. central's config snippet (broker.username, broker.password) — it holds
     a secret;
  2. the Mosquitto ACL entry central needs: read every agent's up and state
     topics, write every agent's ack topic and the store and chain-wide
     down topics, read and write the agents' rpc topics — nothing else.

With --password-file it also appends the user to that Mosquitto password
file (hashed as mosquitto_passwd 2.x does); without it, it prints the
mosquitto_passwd command to run. Several central instances may share one
user, or each have its own.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := loadFor(cmd)
			if err != nil {
				return err
			}
			topics, err := syncproto.NewTopics(cfg.Broker.TopicPrefix, cfg.ChainID)
			if err != nil {
				return fmt.Errorf("config: %w", err)
			}
			f := cmd.Flags()
			user, err := f.GetString("user")
			if err != nil {
				return fmt.Errorf("--user: %w", err)
			}
			passwordFile, err := f.GetString("password-file")
			if err != nil {
				return fmt.Errorf("--password-file: %w", err)
			}
			return provisionCentral(cmd.OutOrStdout(), rand.Reader, topics, user, passwordFile)
		},
	}
	cmd.Flags().String("user", "", "central's broker user name (required)")
	cmd.Flags().String("password-file", "", "Mosquitto password file to append the user to")
	return cmd
}

// provisionCentral generates central's broker password from rand, appends
// the user to passwordFile (if set) and prints the config snippet and the
// ACL entry to w. It writes nothing if the user is already in the file.
func provisionCentral(w io.Writer, rand io.Reader, topics syncproto.Topics, user, passwordFile string) error {
	if err := validBrokerUser("--user", user); err != nil {
		return err
	}
	pass, err := newBrokerUser(rand, user, passwordFile)
	if err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString("# 1. central config: merge into central's config file; it holds a secret\n")
	fmt.Fprintf(&b, "broker:\n  mode: external\n  username: %s\n  password: %s\n", yamlQuote(user), yamlQuote(pass))
	b.WriteString("\n" + aclHeader)
	b.WriteString(centralACLLines(topics, user))
	printBrokerUserNote(&b, user, pass, passwordFile)
	_, err = io.WriteString(w, b.String())
	return err
}

// validBrokerUser checks a broker user name given by flag.
func validBrokerUser(flag, user string) error {
	if err := syncproto.ValidID(user); err != nil {
		return fmt.Errorf("%s %q: %w", flag, user, err)
	}
	if strings.Contains(user, ":") {
		// Mosquitto's password file ends the user name with a colon.
		return fmt.Errorf("%s %q: contains ':', which a broker user name cannot", flag, user)
	}
	return nil
}

// newBrokerUser generates a password for user from rand and, when
// passwordFile is set, appends the user's hashed line to it. It fails
// without writing if the file already has the user.
func newBrokerUser(rand io.Reader, user, passwordFile string) (string, error) {
	if passwordFile != "" {
		dup, err := mosquittoHasUser(passwordFile, user)
		if err != nil {
			return "", err
		}
		if dup {
			return "", fmt.Errorf("user %q already has a broker user in %s", user, passwordFile)
		}
	}
	password := make([]byte, passwordSize)
	if _, err := io.ReadFull(rand, password); err != nil {
		return "", fmt.Errorf("generate password: %w", err)
	}
	pass := base64.RawURLEncoding.EncodeToString(password)
	if passwordFile == "" {
		return pass, nil
	}
	line, err := mosquittoPasswordLine(rand, user, pass)
	if err != nil {
		return "", err
	}
	if err := appendLine(passwordFile, line); err != nil {
		return "", fmt.Errorf("password file: %w", err)
	}
	return pass, nil
}

// printBrokerUserNote tells where the broker user went, or how to add it.
func printBrokerUserNote(b *strings.Builder, user, pass, passwordFile string) {
	if passwordFile == "" {
		fmt.Fprintf(b, "\n# broker user: run  mosquitto_passwd -b PASSWORD_FILE %s '%s'\n", user, pass)
	} else {
		fmt.Fprintf(b, "\n# broker user %s appended to %s\n", user, passwordFile)
	}
}

// provisionRequest is what agents add provisions.
type provisionRequest struct {
	topics                 syncproto.Topics
	store, agent           string
	keysFile, passwordFile string
}

func provisionRequestFor(cmd *cobra.Command) (provisionRequest, error) {
	cfg, err := loadFor(cmd)
	if err != nil {
		return provisionRequest{}, err
	}
	var r provisionRequest
	f := cmd.Flags()
	for name, dst := range map[string]*string{
		"store": &r.store, "agent": &r.agent, "keys-file": &r.keysFile, "password-file": &r.passwordFile,
	} {
		if *dst, err = f.GetString(name); err != nil {
			return r, fmt.Errorf("--%s: %w", name, err)
		}
	}
	if r.keysFile == "" {
		r.keysFile = cfg.Auth.KeysFile
	}
	if r.topics, err = syncproto.NewTopics(cfg.Broker.TopicPrefix, cfg.ChainID); err != nil {
		return r, fmt.Errorf("config: %w", err)
	}
	return r, r.validate()
}

func (r provisionRequest) validate() error {
	if err := syncproto.ValidID(r.store); err != nil {
		return fmt.Errorf("--store %q: %w", r.store, err)
	}
	// The agent id is also its broker user name.
	if err := validBrokerUser("--agent", r.agent); err != nil {
		return err
	}
	if r.keysFile == "" {
		return errors.New("no keys file: set --keys-file or auth.keys_file")
	}
	return nil
}

// provisionAgent generates the agent's key and password from rand, writes
// them to the keys file (and password file), and prints the config
// snippet and the ACL entry to w. It writes nothing if the agent already
// has a key or a broker user.
func provisionAgent(w io.Writer, rand io.Reader, r provisionRequest) error {
	keys, err := mqtt.LoadKeys(r.keysFile)
	if errors.Is(err, fs.ErrNotExist) {
		keys, err = nil, nil // the first agent creates the file
	}
	if err != nil {
		return err
	}
	if keys.HasAgent(r.agent) {
		return fmt.Errorf("agent %q already has a key in %s; agent ids are unique in the chain — pick another id, or remove its line to re-provision", r.agent, r.keysFile)
	}
	if r.passwordFile != "" {
		dup, err := mosquittoHasUser(r.passwordFile, r.agent)
		if err != nil {
			return err
		}
		if dup {
			return fmt.Errorf("agent %q already has a broker user in %s", r.agent, r.passwordFile)
		}
	}
	key, password := make([]byte, mqtt.KeySize), make([]byte, passwordSize)
	if _, err := io.ReadFull(rand, key); err != nil {
		return fmt.Errorf("generate key: %w", err)
	}
	if _, err := io.ReadFull(rand, password); err != nil {
		return fmt.Errorf("generate password: %w", err)
	}
	pass := base64.RawURLEncoding.EncodeToString(password)
	if err := appendLine(r.keysFile, mqtt.KeyLine(r.store, r.agent, key)); err != nil {
		return fmt.Errorf("keys file: %w", err)
	}
	if r.passwordFile != "" {
		line, err := mosquittoPasswordLine(rand, r.agent, pass)
		if err != nil {
			return err
		}
		if err := appendLine(r.passwordFile, line); err != nil {
			return fmt.Errorf("password file (the key is already in %s): %w", r.keysFile, err)
		}
	}
	return printProvisioned(w, r, key, pass)
}

// appendLine appends line to the file at path, creating it readable by
// its owner only (it holds secrets), and syncs it to disk.
func appendLine(path, line string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	_, err = f.WriteString(line)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); cerr != nil && err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("append to %s: %w", path, err)
	}
	return nil
}

// snippetHeader and aclHeader start the two parts of agents add's output.
const (
	snippetHeader = "# 1. agent config: merge into the agent's config file; it holds secrets\n"
	aclHeader     = "# 2. Mosquitto ACL: append to the broker's acl_file\n"
)

func printProvisioned(w io.Writer, r provisionRequest, key []byte, pass string) error {
	var b strings.Builder
	b.WriteString(snippetHeader)
	fmt.Fprintf(&b, "chain_id: %s\nstore_id: %s\nagent_id: %s\n", yamlQuote(r.topics.Chain), yamlQuote(r.store), yamlQuote(r.agent))
	fmt.Fprintf(&b, "uplink:\n  topic_prefix: %s\n  username: %s\n  password: %s\n  key: %s\n",
		yamlQuote(r.topics.Prefix), yamlQuote(r.agent), yamlQuote(pass), yamlQuote(base64.StdEncoding.EncodeToString(key)))
	b.WriteString("\n" + aclHeader)
	b.WriteString(aclLines(r.topics, r.store, r.agent))
	printBrokerUserNote(&b, r.agent, pass, r.passwordFile)
	fmt.Fprintf(&b, "# key appended to %s; send central SIGHUP (or restart it) to load it\n", r.keysFile)
	_, err := io.WriteString(w, b.String())
	return err
}

// yamlQuote quotes s as a YAML double-quoted scalar, so that ids like
// "001" or "yes" stay strings. s holds no control characters (ValidID,
// base64), so escaping quotes and backslashes is enough.
func yamlQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
