package mqtt_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tillsync/tillsync/central/mqtt"
)

func testKey(b byte) []byte { return bytes.Repeat([]byte{b}, mqtt.KeySize) }

func TestParseKeys(t *testing.T) {
	k1, k2 := testKey(1), testKey(2)
	b64 := base64.StdEncoding.EncodeToString
	t.Run("OK", func(t *testing.T) {
		text := "# provisioned agents\n\n" + mqtt.KeyLine("s1", "a1", k1) + "  s1\ta2   " + b64(k2) + "  \n"
		keys, err := mqtt.ParseKeys(strings.NewReader(text))
		if err != nil {
			t.Fatalf("ParseKeys: %v", err)
		}
		if keys.Len() != 2 {
			t.Errorf("Len = %d, want 2", keys.Len())
		}
		for _, tt := range []struct {
			store, agent string
			want         []byte
		}{{"s1", "a1", k1}, {"s1", "a2", k2}, {"s2", "a1", nil}, {"s1", "a3", nil}} {
			got, ok := keys.Lookup(tt.store, tt.agent)
			if ok != (tt.want != nil) || !bytes.Equal(got, tt.want) {
				t.Errorf("Lookup(%s, %s) = %x, %v; want %x", tt.store, tt.agent, got, ok, tt.want)
			}
		}
		if !keys.HasAgent("a2") || keys.HasAgent("a3") {
			t.Errorf("HasAgent(a2) = %v, HasAgent(a3) = %v; want true, false", keys.HasAgent("a2"), keys.HasAgent("a3"))
		}
	})
	t.Run("OKEmpty", func(t *testing.T) {
		keys, err := mqtt.ParseKeys(strings.NewReader(""))
		if err != nil || keys.Len() != 0 {
			t.Fatalf("ParseKeys = %v, %v", keys, err)
		}
	})
	t.Run("OKNil", func(t *testing.T) {
		var keys *mqtt.Keys
		if _, ok := keys.Lookup("s1", "a1"); ok || keys.HasAgent("a1") || keys.Len() != 0 {
			t.Fatal("a nil Keys has a key")
		}
	})
	good := mqtt.KeyLine("s1", "a1", k1)
	for _, tt := range []struct {
		name, text string
		want       string // in the error
	}{
		{"ErrFields", good + "s1 a2\n", "line 2: 2 fields"},
		{"ErrExtraField", "s1 a2 " + b64(k2) + " x\n", "line 1: 4 fields"},
		{"ErrID", "# c\ns/1 a2 " + b64(k2) + "\n", "line 2: id \"s/1\""},
		{"ErrBase64", good + "\ns1 a2 !!!!\n", "line 3: key of store \"s1\" agent \"a2\""},
		{"ErrShortKey", "s1 a2 " + b64(k2[:16]) + "\n", "line 1: key of store"},
		{"ErrDuplicate", good + good, "line 2: store \"s1\" agent \"a1\" is listed twice"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := mqtt.ParseKeys(strings.NewReader(tt.text))
			if !errors.Is(err, mqtt.ErrKeysFile) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ParseKeys = %v, want ErrKeysFile with %q", err, tt.want)
			}
			if strings.Contains(err.Error(), b64(k1)) || strings.Contains(err.Error(), b64(k2)) {
				t.Errorf("error %q quotes a key", err)
			}
		})
	}
}

func TestLoadKeys(t *testing.T) {
	dir := t.TempDir()
	t.Run("OK", func(t *testing.T) {
		path := filepath.Join(dir, "keys")
		if err := os.WriteFile(path, []byte(mqtt.KeyLine("s1", "a1", testKey(1))), 0o600); err != nil {
			t.Fatalf("write: %v", err)
		}
		keys, err := mqtt.LoadKeys(path)
		if err != nil || keys.Len() != 1 {
			t.Fatalf("LoadKeys = %v, %v", keys, err)
		}
	})
	t.Run("ErrMissing", func(t *testing.T) {
		if _, err := mqtt.LoadKeys(filepath.Join(dir, "none")); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("LoadKeys = %v, want ErrNotExist", err)
		}
	})
	t.Run("ErrBadLineNamesFile", func(t *testing.T) {
		path := filepath.Join(dir, "bad")
		if err := os.WriteFile(path, []byte("x\n"), 0o600); err != nil {
			t.Fatalf("write: %v", err)
		}
		if _, err := mqtt.LoadKeys(path); !errors.Is(err, mqtt.ErrKeysFile) || !strings.Contains(err.Error(), path+": ") {
			t.Fatalf("LoadKeys = %v, want ErrKeysFile naming %s", err, path)
		}
	})
}
