package main

import (
	"bufio"
	"crypto/pbkdf2"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/tillsync/tillsync/syncproto"
)

// Mosquitto's password hash "$7$": PBKDF2-HMAC-SHA512 with a 12-byte salt,
// 101 iterations and a 64-byte output, each base64-encoded — the format
// and defaults of mosquitto_passwd 2.x (src/password_mosq.c), checked
// against a line it wrote in the test.
const (
	mosquittoSaltSize   = 12
	mosquittoIterations = 101
	mosquittoHashSize   = 64
)

// mosquittoPasswordLine returns "user:$7$101$salt$hash\n" for password,
// with a salt read from rand.
func mosquittoPasswordLine(rand io.Reader, user, password string) (string, error) {
	salt := make([]byte, mosquittoSaltSize)
	if _, err := io.ReadFull(rand, salt); err != nil {
		return "", fmt.Errorf("password salt: %w", err)
	}
	return mosquittoLineWithSalt(user, password, salt)
}

func mosquittoLineWithSalt(user, password string, salt []byte) (string, error) {
	hash, err := pbkdf2.Key(sha512.New, password, salt, mosquittoIterations, mosquittoHashSize)
	if err != nil {
		return "", fmt.Errorf("password hash: %w", err)
	}
	b64 := base64.StdEncoding.EncodeToString
	return fmt.Sprintf("%s:$7$%d$%s$%s\n", user, mosquittoIterations, b64(salt), b64(hash)), nil
}

// mosquittoHasUser reports whether the password file at path has a line
// for user; a missing file has none.
func mosquittoHasUser(path, user string) (bool, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("password file: %w", err)
	}
	found, err := scanUser(f, user)
	if cerr := f.Close(); cerr != nil && err == nil {
		err = cerr
	}
	if err != nil {
		return false, fmt.Errorf("password file %s: %w", path, err)
	}
	return found, nil
}

func scanUser(r io.Reader, user string) (bool, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if name, _, ok := strings.Cut(sc.Text(), ":"); ok && name == user {
			return true, nil
		}
	}
	return false, sc.Err()
}

// aclLines returns the Mosquitto ACL entry that lets agent publish and
// read its own topics only (DESIGN §5 topic table).
func aclLines(t syncproto.Topics, store, agent string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "user %s\n", agent)
	fmt.Fprintf(&b, "topic write %s\n", t.Up(store, agent))
	fmt.Fprintf(&b, "topic write %s\n", t.State(store, agent))
	fmt.Fprintf(&b, "topic read %s\n", t.Ack(store, agent))
	fmt.Fprintf(&b, "topic read %s\n", t.StoreDown(store))
	fmt.Fprintf(&b, "topic read %s\n", t.AllDown())
	fmt.Fprintf(&b, "topic readwrite %s\n", t.RPC(store, agent, "#"))
	return b.String()
}

// centralACLLines returns the Mosquitto ACL entry for central's broker
// user: read every agent's up and state topics, write every agent's ack
// topic and every down topic (a store's and the chain-wide one), read and
// write the agents' rpc topics. "+" in an ACL topic matches one level, so
// store "all" in {s}/down is the chain-wide downlink. A shared subscription
// ($share/group/...) is checked against the topic after the group.
func centralACLLines(t syncproto.Topics, user string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "user %s\n", user)
	fmt.Fprintf(&b, "topic read %s\n", t.UpFilter())
	fmt.Fprintf(&b, "topic read %s\n", t.StateFilter())
	fmt.Fprintf(&b, "topic write %s\n", t.Ack("+", "+"))
	fmt.Fprintf(&b, "topic write %s\n", t.StoreDown("+"))
	fmt.Fprintf(&b, "topic readwrite %s\n", t.RPC("+", "+", "#"))
	return b.String()
}
