package main

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	"github.com/tillsync/tillsync/syncproto"
)

func newDecodeCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "decode [file]",
		Short: "Print a sync message (batch, ack, event, downlink, rpc) as JSON",
		Long: `Read one binary sync message from file, or from stdin when no file is given
(e.g. piped from mosquitto_sub -C 1 -t 'tillsync/v1/demo/+/+/up'), and print
it as JSON with the .proto field names. --kind auto guesses the kind.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			kind, err := cmd.Flags().GetString("kind")
			if err != nil {
				return err
			}
			payload, err := readPayload(cmd.InOrStdin(), args)
			if err != nil {
				return err
			}
			out, err := syncproto.RenderJSON(kind, payload)
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(out)
			return err
		},
	}
	cmd.Flags().String("kind", syncproto.RenderAuto, "batch, ack, event, downlink, rpc_request, rpc_response or auto")
	return cmd
}

// readPayload reads the file named in args, or stdin, up to one byte past
// the largest valid message so that an oversized input is refused, not
// silently truncated.
func readPayload(stdin io.Reader, args []string) ([]byte, error) {
	if len(args) == 0 {
		return readLimited("stdin", stdin)
	}
	f, err := os.Open(args[0])
	if err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	b, err := readLimited(args[0], f)
	if cerr := f.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("decode: close %s: %w", args[0], cerr)
	}
	return b, err
}

func readLimited(name string, r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, syncproto.MaxPayloadSize+1))
	if err != nil {
		return nil, fmt.Errorf("decode: read %s: %w", name, err)
	}
	return b, nil
}
