package mqtt

import (
	"bufio"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/tillsync/tillsync/syncproto"
)

// KeySize is the length of an agent's batch-signing key: SHA-256's output
// size, the least RFC 2104 §3 recommends.
const KeySize = 32

// ErrKeysFile wraps every problem of a keys file; the message names the
// line.
var ErrKeysFile = errors.New("bad keys file")

// Keys holds every provisioned agent's batch-signing key (DESIGN §5 rule
// 6), by store and agent. A Keys is never modified after ParseKeys, so it
// is safe for concurrent use.
type Keys struct {
	byAgent map[agentRef][]byte
}

type agentRef struct{ store, agent string }

// ParseKeys reads a keys file: one agent per line, "store agent base64key"
// separated by spaces or tabs, where base64key is standard base64 of
// KeySize bytes. Blank lines and lines starting with # are skipped. It
// fails with an error wrapping ErrKeysFile that names the first bad line
// (never quoting a key), including an agent listed twice.
func ParseKeys(r io.Reader) (*Keys, error) {
	k := &Keys{byAgent: map[agentRef][]byte{}}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		ref, key, err := parseKeyLine(line)
		if err != nil {
			return nil, fmt.Errorf("%w: line %d: %w", ErrKeysFile, n, err)
		}
		if _, dup := k.byAgent[ref]; dup {
			return nil, fmt.Errorf("%w: line %d: store %q agent %q is listed twice", ErrKeysFile, n, ref.store, ref.agent)
		}
		k.byAgent[ref] = key
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read keys: %w", err)
	}
	return k, nil
}

func parseKeyLine(line string) (agentRef, []byte, error) {
	f := strings.Fields(line)
	if len(f) != 3 {
		return agentRef{}, nil, fmt.Errorf("%d fields, want 3: store agent base64key", len(f))
	}
	for _, id := range f[:2] {
		if err := syncproto.ValidID(id); err != nil {
			return agentRef{}, nil, fmt.Errorf("id %q: %w", id, err)
		}
	}
	key, err := base64.StdEncoding.DecodeString(f[2])
	if err != nil || len(key) != KeySize {
		return agentRef{}, nil, fmt.Errorf("key of store %q agent %q is not standard base64 of %d bytes", f[0], f[1], KeySize)
	}
	return agentRef{store: f[0], agent: f[1]}, key, nil
}

// LoadKeys reads the keys file at path with ParseKeys.
func LoadKeys(path string) (*Keys, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open keys file: %w", err)
	}
	k, err := ParseKeys(f)
	if cerr := f.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("close keys file %s: %w", path, cerr)
	}
	if err != nil {
		return nil, fmt.Errorf("keys file %s: %w", path, err)
	}
	return k, nil
}

// Lookup returns the key of agent in store, and false when it has none.
// A nil Keys has none. The returned slice must not be modified.
func (k *Keys) Lookup(store, agent string) ([]byte, bool) {
	if k == nil {
		return nil, false
	}
	key, ok := k.byAgent[agentRef{store: store, agent: agent}]
	return key, ok
}

// HasAgent reports whether agent has a key under any store: agent ids are
// unique in the chain, so provisioning refuses a second key for one.
func (k *Keys) HasAgent(agent string) bool {
	if k == nil {
		return false
	}
	for ref := range k.byAgent {
		if ref.agent == agent {
			return true
		}
	}
	return false
}

// Len returns how many agents have a key.
func (k *Keys) Len() int {
	if k == nil {
		return 0
	}
	return len(k.byAgent)
}

// KeyLine formats one keys-file line for ParseKeys, ending in a newline.
func KeyLine(store, agent string, key []byte) string {
	return store + " " + agent + " " + base64.StdEncoding.EncodeToString(key) + "\n"
}
