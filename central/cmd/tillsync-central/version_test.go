package main

import (
	"bytes"
	"runtime"
	"strings"
	"testing"
)

// TestCommand_Version: the --version flag and the version subcommand print
// the same text, which names the binary, the Go version and the platform.
func TestCommand_Version(t *testing.T) {
	run := func(args ...string) string {
		t.Helper()
		var stdout, stderr bytes.Buffer
		root := newRootCmd(strings.NewReader(""), &stdout, &stderr)
		root.SetArgs(args)
		if err := root.Execute(); err != nil {
			t.Fatalf("%v: %v (%s)", args, err, stderr.String())
		}
		return stdout.String()
	}
	flag, sub := run("--version"), run("version")
	if flag != sub {
		t.Errorf("--version printed\n%s\nversion printed\n%s", flag, sub)
	}
	for _, want := range []string{"tillsync-central ", "revision: ", "go:       " + runtime.Version(), "platform: " + runtime.GOOS + "/" + runtime.GOARCH} {
		if !strings.Contains(sub, want) {
			t.Errorf("version output lacks %q:\n%s", want, sub)
		}
	}
}
