package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tillsync/tillsync/central/mqtt"
	"go.yaml.in/yaml/v3"
)

// agentSnippet is the part of the agent's config agents add prints.
type agentSnippet struct {
	ChainID string `yaml:"chain_id"`
	StoreID string `yaml:"store_id"`
	AgentID string `yaml:"agent_id"`
	Uplink  struct {
		TopicPrefix string `yaml:"topic_prefix"`
		Username    string `yaml:"username"`
		Password    string `yaml:"password"`
		Key         string `yaml:"key"`
	} `yaml:"uplink"`
}

func TestCommand_AgentsAdd(t *testing.T) {
	t.Chdir(t.TempDir()) // no ./central.yaml
	t.Run("Help", func(t *testing.T) {
		out, _, err := execute(t, context.Background(), "", "agents", "add", "--help")
		if err != nil || !strings.Contains(out, "mosquitto_passwd 2.x") {
			t.Fatalf("err %v, output %q", err, out)
		}
	})
	dir := t.TempDir()
	keysFile, passwords := filepath.Join(dir, "keys"), filepath.Join(dir, "passwd")
	t.Run("OK", func(t *testing.T) {
		out, errOut, err := execute(t, context.Background(), "", "agents", "add", "--store", "S001", "--agent", "A1",
			"--keys-file", keysFile, "--password-file", passwords)
		if err != nil {
			t.Fatalf("agents add: %v; stderr %q", err, errOut)
		}
		snippetText, rest, ok := strings.Cut(out, "\n"+aclHeader)
		if !ok {
			t.Fatalf("no ACL part in output:\n%s", out)
		}
		var s agentSnippet
		dec := yaml.NewDecoder(strings.NewReader(snippetText))
		dec.KnownFields(true)
		if err := dec.Decode(&s); err != nil {
			t.Fatalf("snippet is not YAML: %v\n%s", err, snippetText)
		}
		key, err := base64.StdEncoding.DecodeString(s.Uplink.Key)
		if err != nil || len(key) != mqtt.KeySize {
			t.Fatalf("uplink.key %q: %v, %d bytes", s.Uplink.Key, err, len(key))
		}
		if s.ChainID != "demo" || s.StoreID != "S001" || s.AgentID != "A1" || s.Uplink.TopicPrefix != "tillsync/v1" ||
			s.Uplink.Username != "A1" || len(s.Uplink.Password) < 32 {
			t.Errorf("snippet = %+v", s)
		}
		wantACL := `user A1
topic write tillsync/v1/demo/S001/A1/up
topic write tillsync/v1/demo/S001/A1/state
topic read tillsync/v1/demo/S001/A1/ack
topic read tillsync/v1/demo/S001/down
topic read tillsync/v1/demo/all/down
topic readwrite tillsync/v1/demo/S001/A1/rpc/#
`
		if !strings.HasPrefix(rest, wantACL) {
			t.Errorf("ACL part:\n%s\nwant it to start with:\n%s", rest, wantACL)
		}
		keys, err := mqtt.LoadKeys(keysFile)
		if err != nil {
			t.Fatalf("LoadKeys: %v", err)
		}
		if got, ok := keys.Lookup("S001", "A1"); !ok || !bytes.Equal(got, key) {
			t.Errorf("keys file holds %x, snippet %x", got, key)
		}
		pw, err := os.ReadFile(passwords)
		if err != nil {
			t.Fatalf("read password file: %v", err)
		}
		if !strings.HasPrefix(string(pw), "A1:$7$101$") || strings.Contains(string(pw), s.Uplink.Password) {
			t.Errorf("password file = %q", pw)
		}
		for _, f := range []string{keysFile, passwords} {
			if st, err := os.Stat(f); err != nil || st.Mode().Perm() != 0o600 {
				t.Errorf("%s: %v, mode %v; want 0600", f, err, st.Mode())
			}
		}
	})
	t.Run("OKSecondAgentNoPasswordFile", func(t *testing.T) {
		out, _, err := execute(t, context.Background(), "", "agents", "add", "--store", "S001", "--agent", "A2", "--keys-file", keysFile)
		if err != nil || !strings.Contains(out, "mosquitto_passwd -b PASSWORD_FILE A2 ") {
			t.Fatalf("agents add: %v; output %q", err, out)
		}
		if keys, err := mqtt.LoadKeys(keysFile); err != nil || keys.Len() != 2 {
			t.Fatalf("LoadKeys = %v, %v; want 2 agents", keys, err)
		}
	})
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"ErrDuplicateAgent", []string{"--store", "S002", "--agent", "A1", "--keys-file", keysFile}, `agent "A1" already has a key`},
		{"ErrDuplicateBrokerUser", []string{"--store", "S002", "--agent", "A1", "--keys-file", keysFile + ".other", "--password-file", passwords}, `agent "A1" already has a broker user`},
		{"ErrNoKeysFile", []string{"--store", "S001", "--agent", "A3"}, "no keys file"},
		{"ErrStore", []string{"--store", "S/1", "--agent", "A3", "--keys-file", keysFile}, "--store"},
		{"ErrAgentColon", []string{"--store", "S001", "--agent", "A:3", "--keys-file", keysFile}, "--agent"},
		{"ErrBadKeysFile", []string{"--store", "S001", "--agent", "A3", "--keys-file", writeFile(t, "bad-keys", "junk\n")}, "line 1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before, readErr := os.ReadFile(keysFile)
			if readErr != nil {
				t.Fatalf("read keys: %v", readErr)
			}
			_, _, err := execute(t, context.Background(), "", append([]string{"agents", "add"}, tt.args...)...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("agents add = %v, want an error with %q", err, tt.want)
			}
			if after, err := os.ReadFile(keysFile); err != nil || !bytes.Equal(before, after) {
				t.Errorf("keys file changed on error: %v", err)
			}
			if _, err := os.Stat(keysFile + ".other"); !os.IsNotExist(err) {
				t.Errorf("keys file created on error: %v", err)
			}
		})
	}
}

func TestMosquittoPasswordLine(t *testing.T) {
	// Written by mosquitto_passwd 2.0 (-b pwfile A1 s3cret-pass).
	const want = "A1:$7$101$oE78DCG9sb5tVU/o$say7kUcaZTkVfTBqFfZIcvMgvvNmPwfWWBQvswqr3CG4NZ06cB3ALTM4kuI9ytPZpIXNVzr+LSldTz39jk0ciA==\n"
	salt, err := base64.StdEncoding.DecodeString("oE78DCG9sb5tVU/o")
	if err != nil {
		t.Fatalf("salt: %v", err)
	}
	got, err := mosquittoPasswordLine(bytes.NewReader(salt), "A1", "s3cret-pass")
	if err != nil || got != want {
		t.Fatalf("mosquittoPasswordLine = %q, %v\nwant %q", got, err, want)
	}
}

func TestAuthConfig_Validate(t *testing.T) {
	good := writeFile(t, "keys", mqtt.KeyLine("s1", "a1", bytes.Repeat([]byte{1}, mqtt.KeySize)))
	bad := writeFile(t, "bad-keys", "s1 a1\n")
	for _, tt := range []struct {
		name string
		auth AuthConfig
		want string // "" = no problem, else the problem's start
	}{
		{"OKOpen", AuthConfig{Mode: AuthOpen}, ""},
		{"OKOpenWithKeys", AuthConfig{Mode: AuthOpen, KeysFile: good}, ""},
		{"OKSigned", AuthConfig{Mode: AuthSigned, KeysFile: good}, ""},
		{"ErrMode", AuthConfig{Mode: "closed"}, `auth.mode: "closed"`},
		{"ErrSignedNoFile", AuthConfig{Mode: AuthSigned}, "auth.keys_file"},
		{"ErrSignedMissingFile", AuthConfig{Mode: AuthSigned, KeysFile: good + ".none"}, "auth.keys_file"},
		{"ErrSignedBadFile", AuthConfig{Mode: AuthSigned, KeysFile: bad}, "auth.keys_file"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			c.Auth = tt.auth
			p := c.Validate()
			if tt.want == "" {
				if len(p) != 0 {
					t.Fatalf("problems %q", p)
				}
				return
			}
			if len(p) != 1 || !strings.HasPrefix(p[0], tt.want) {
				t.Fatalf("problems %q, want one starting %q", p, tt.want)
			}
		})
	}
}

func TestCommand_AgentsAddCentral(t *testing.T) {
	t.Chdir(t.TempDir()) // no ./central.yaml
	passwords := filepath.Join(t.TempDir(), "passwd")
	t.Run("OK", func(t *testing.T) {
		out, errOut, err := execute(t, context.Background(), "", "agents", "add-central", "--user", "central1", "--password-file", passwords)
		if err != nil {
			t.Fatalf("agents add-central: %v; stderr %q", err, errOut)
		}
		snippetText, rest, ok := strings.Cut(out, "\n"+aclHeader)
		if !ok {
			t.Fatalf("no ACL part in output:\n%s", out)
		}
		var s struct {
			Broker struct {
				Mode     string `yaml:"mode"`
				Username string `yaml:"username"`
				Password string `yaml:"password"`
			} `yaml:"broker"`
		}
		dec := yaml.NewDecoder(strings.NewReader(snippetText))
		dec.KnownFields(true)
		if err := dec.Decode(&s); err != nil {
			t.Fatalf("snippet is not YAML: %v\n%s", err, snippetText)
		}
		if s.Broker.Mode != BrokerExternal || s.Broker.Username != "central1" || len(s.Broker.Password) < 32 {
			t.Errorf("snippet = %+v", s)
		}
		// Up and state of every agent to read; acks and both kinds of
		// down topic to write; rpc both ways. Nothing else.
		wantACL := `user central1
topic read tillsync/v1/demo/+/+/up
topic read tillsync/v1/demo/+/+/state
topic write tillsync/v1/demo/+/+/ack
topic write tillsync/v1/demo/+/down
topic readwrite tillsync/v1/demo/+/+/rpc/#

`
		if !strings.HasPrefix(rest, wantACL) {
			t.Errorf("ACL part:\n%s\nwant it to start with:\n%s", rest, wantACL)
		}
		pw, err := os.ReadFile(passwords)
		if err != nil {
			t.Fatalf("read password file: %v", err)
		}
		if !strings.HasPrefix(string(pw), "central1:$7$101$") || strings.Contains(string(pw), s.Broker.Password) {
			t.Errorf("password file = %q", pw)
		}
	})
	t.Run("OKNoPasswordFile", func(t *testing.T) {
		out, _, err := execute(t, context.Background(), "", "agents", "add-central", "--user", "central2")
		if err != nil || !strings.Contains(out, "mosquitto_passwd -b PASSWORD_FILE central2 ") {
			t.Fatalf("agents add-central: %v; output %q", err, out)
		}
	})
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"ErrDuplicateUser", []string{"--user", "central1", "--password-file", passwords}, `"central1" already has a broker user`},
		{"ErrNoUser", nil, "--user"},
		{"ErrColon", []string{"--user", "c:1"}, "contains ':'"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before, err := os.ReadFile(passwords)
			if err != nil {
				t.Fatal(err)
			}
			_, _, err = execute(t, context.Background(), "", append([]string{"agents", "add-central"}, tt.args...)...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("agents add-central = %v, want an error with %q", err, tt.want)
			}
			if after, err := os.ReadFile(passwords); err != nil || !bytes.Equal(before, after) {
				t.Errorf("password file changed on error: %v", err)
			}
		})
	}
}
