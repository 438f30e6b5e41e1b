package syncproto

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// Both binaries report the build they were made from the same way
// (`--version`), so that an operator comparing an agent with central reads
// one format; the text lives here, in the one package both import.

// VersionText renders, for the binary name, the build information the Go toolchain embeds
// (module version, vcs.revision, vcs.time, vcs.modified; go help
// buildinfo): "unknown" stands for what the build did not record, as in a
// build outside a VCS checkout or with -buildvcs=false.
func VersionText(name string, bi *debug.BuildInfo, ok bool) string {
	version, revision, vcsTime, dirty, goVersion := "unknown", "unknown", "unknown", "unknown", runtime.Version()
	if ok && bi != nil {
		if bi.Main.Version != "" {
			version = bi.Main.Version
		}
		if bi.GoVersion != "" {
			goVersion = bi.GoVersion
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				revision = s.Value
			case "vcs.time":
				vcsTime = s.Value
			case "vcs.modified":
				dirty = s.Value
			}
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s\n", name, version)
	fmt.Fprintf(&b, "revision: %s\n", revision)
	fmt.Fprintf(&b, "time:     %s\n", vcsTime)
	fmt.Fprintf(&b, "dirty:    %s\n", dirty)
	fmt.Fprintf(&b, "go:       %s\n", goVersion)
	fmt.Fprintf(&b, "platform: %s/%s\n", runtime.GOOS, runtime.GOARCH)
	return b.String()
}
