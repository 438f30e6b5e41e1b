package main

import (
	"bufio"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	centralhttp "github.com/tillsync/tillsync/central/http"
)

// minPasswordLen is the shortest dashboard password users add accepts.
const minPasswordLen = 10

func newUsersCmd() *cobra.Command {
	users := &cobra.Command{Use: "users", Short: "Manage the HQ dashboard's users", Args: cobra.NoArgs}
	add := &cobra.Command{
		Use:   "add --user NAME < password",
		Short: "Add a dashboard user; the password is read from stdin",
		Long: `Add a user who may log in to the HQ dashboard. The password is read from the
first line of stdin (never from a flag, which would leave it in the shell
history and the process list), hashed with PBKDF2-HMAC-SHA256 (600,000
iterations, a random salt), and the line "NAME:$pbkdf2-sha256$..." is
appended to the users file (--users-file, default dashboard.users_file),
which is created with mode 0600. A user who is already there is refused:
delete their line to set a new password. Restart central to load the file.

  printf '%s\n' "$PASSWORD" | tillsync-central users add --user alice`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := loadFor(cmd)
			if err != nil {
				return err
			}
			user, err := cmd.Flags().GetString("user")
			if err != nil {
				return fmt.Errorf("--user: %w", err)
			}
			if cfg.Dashboard.UsersFile == "" {
				return errors.New("no users file: give --users-file or set dashboard.users_file")
			}
			password, err := readPassword(cmd.InOrStdin())
			if err != nil {
				return err
			}
			roles, err := cmd.Flags().GetStringSlice("role")
			if err != nil {
				return fmt.Errorf("--role: %w", err)
			}
			if err := addUser(rand.Reader, cfg.Dashboard.UsersFile, user, password, roles...); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "user %s added to %s; restart central to load it\n", user, cfg.Dashboard.UsersFile)
			return nil
		},
	}
	f := add.Flags()
	f.String("user", "", "the user's login name (required)")
	f.StringSlice("role", nil, "a role to grant: member_data (may open members' personal data on the dashboard, each view logged)")
	f.String("users-file", "", "users file to append to (default dashboard.users_file)")
	bindFlag(f, "users-file", "dashboard.users_file")
	users.AddCommand(add)
	return users
}

// readPassword reads the password from the first line of r.
func readPassword(r io.Reader) (string, error) {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password from stdin: %w", err)
	}
	password := strings.TrimRight(line, "\r\n")
	if len(password) < minPasswordLen {
		return "", fmt.Errorf("password from stdin: want at least %d characters on the first line", minPasswordLen)
	}
	return password, nil
}

// addUser appends user's hashed line to path, creating the file. It fails
// without writing when the file has a bad line or already has the user.
func addUser(rand io.Reader, path, user, password string, roles ...string) error {
	for _, r := range roles {
		if !slices.Contains(centralhttp.Roles(), r) {
			return fmt.Errorf("--role %q: known roles are %s", r, strings.Join(centralhttp.Roles(), ", "))
		}
	}
	if err := centralhttp.ValidUserName(user); err != nil {
		return fmt.Errorf("--user: %w", err)
	}
	users, err := centralhttp.LoadUsers(path)
	switch {
	case err == nil:
		if users.Has(user) {
			return fmt.Errorf("user %q is already in %s: delete its line to set a new password", user, path)
		}
	case errors.Is(err, fs.ErrNotExist):
	case isEmptyUsersFile(path):
		// A file of comments only: ParseUsers refuses it, but it is a
		// fine place for a first user.
	default:
		return err
	}
	line, err := centralhttp.HashPassword(rand, user, password, centralhttp.DefaultIterations)
	if err != nil {
		return err
	}
	if len(roles) > 0 {
		line += ":" + strings.Join(roles, ",")
	}
	if err := appendLine(path, line+"\n"); err != nil {
		return fmt.Errorf("users file: %w", err)
	}
	return nil
}

// isEmptyUsersFile reports whether path holds no user line (only blank
// lines and comments).
func isEmptyUsersFile(path string) bool {
	b, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	for line := range strings.Lines(string(b)) {
		if l := strings.TrimSpace(line); l != "" && !strings.HasPrefix(l, "#") {
			return false
		}
	}
	return true
}
