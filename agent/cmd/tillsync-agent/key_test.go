package main

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestUplinkConfig_SigningKey(t *testing.T) {
	raw := bytes.Repeat([]byte{0xa5}, 32)
	b64 := base64.StdEncoding.EncodeToString(raw)
	dir := t.TempDir()
	write := func(name, text string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatalf("write %s: %v", path, err)
		}
		return path
	}
	good := write("good.key", b64+"\n")
	short := write("short.key", base64.StdEncoding.EncodeToString(raw[:16]))
	tests := []struct {
		name     string
		key, kf  string
		want     []byte
		wantProb string // "" = no problem
	}{
		{"OKNone", "", "", nil, ""},
		{"OKInline", b64, "", raw, ""},
		{"OKFile", "", good, raw, ""},
		{"ErrBoth", b64, good, nil, "uplink.key_file"},
		{"ErrNotBase64", "not base64!", "", nil, "uplink.key"},
		{"ErrShort", base64.StdEncoding.EncodeToString(raw[:31]), "", nil, "uplink.key"},
		{"ErrFileShort", "", short, nil, "uplink.key_file"},
		{"ErrFileMissing", "", filepath.Join(dir, "none"), nil, "uplink.key_file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			c.Uplink.Key, c.Uplink.KeyFile = tt.key, tt.kf
			got, err := c.Uplink.signingKey()
			if !bytes.Equal(got, tt.want) {
				t.Errorf("key = %x, want %x", got, tt.want)
			}
			p := c.Validate()
			if tt.wantProb == "" {
				if err != nil || len(p) != 0 {
					t.Fatalf("err %v, problems %q", err, p)
				}
				return
			}
			if len(p) != 1 || !strings.HasPrefix(p[0], tt.wantProb+": ") {
				t.Fatalf("problems %q, want one for %s", p, tt.wantProb)
			}
			if tt.key != "" && strings.Contains(p[0], tt.key) {
				t.Errorf("problem %q quotes the key", p[0])
			}
		})
	}
}
