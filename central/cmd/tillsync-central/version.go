package main

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"
	"github.com/tillsync/tillsync/syncproto"
)

// addVersion gives root a --version flag and a version subcommand, both
// printing what syncproto.VersionText returns for this binary.
func addVersion(root *cobra.Command) {
	bi, ok := debug.ReadBuildInfo()
	text := syncproto.VersionText(root.Name(), bi, ok)
	root.Version = text
	root.SetVersionTemplate("{{.Version}}")
	root.AddCommand(&cobra.Command{
		Use:   "version",
		Short: "Print the version, VCS revision and Go toolchain this binary was built from",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := fmt.Fprint(cmd.OutOrStdout(), text)
			return err
		},
	})
}
