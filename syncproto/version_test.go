package syncproto_test

import (
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/tillsync/tillsync/syncproto"
)

func TestVersionText(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		bi := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/tillsync/tillsync", Version: "v1.4.0"},
			Settings: []debug.BuildSetting{
				{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
				{Key: "vcs.time", Value: "2026-11-24T09:30:00Z"},
				{Key: "vcs.modified", Value: "true"},
			}}
		got := syncproto.VersionText("tillsync-x", bi, true)
		for _, want := range []string{
			"tillsync-x v1.4.0\n", "revision: 0123456789abcdef0123456789abcdef01234567\n",
			"time:     2026-11-24T09:30:00Z\n", "dirty:    true\n", "go:       go1.26.8\n",
			"platform: " + runtime.GOOS + "/" + runtime.GOARCH + "\n",
		} {
			if !strings.Contains(got, want) {
				t.Errorf("version text lacks %q:\n%s", want, got)
			}
		}
	})
	t.Run("NoBuildInfo", func(t *testing.T) {
		got := syncproto.VersionText("tillsync-x", nil, false)
		for _, want := range []string{"tillsync-x unknown\n", "revision: unknown\n", "dirty:    unknown\n", "go:       " + runtime.Version() + "\n"} {
			if !strings.Contains(got, want) {
				t.Errorf("version text lacks %q:\n%s", want, got)
			}
		}
	})
}
