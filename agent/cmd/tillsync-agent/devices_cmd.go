package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/tillsync/tillsync/agent"
	"github.com/tillsync/tillsync/drivers"
)

func newDevicesCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "devices",
		Short: "List the lanes' scanners and card readers and their state (asks the running agent)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := loadConfig(configPath(cmd), cmd.Flags())
			if err != nil {
				return err
			}
			return printDevices(cmd.OutOrStdout(), "http://"+c.API.Listen+"/v1/devices")
		},
	}
	addOverrideFlags(cmd)
	watch := &cobra.Command{
		Use:   "watch",
		Short: "Open the configured devices and print what they read (for installers; stop the agent first)",
		Long: `watch opens every device of the lanes section itself and prints each
decoded event (scans with their symbology and AIM identifier, card swipes
with the card number masked, state changes) until Ctrl+C. Stop the agent
first: a serial port or USB device serves one program at a time.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := loadConfig(configPath(cmd), cmd.Flags())
			if err != nil {
				return err
			}
			if problems := c.Validate(); len(problems) > 0 {
				return printProblems(cmd.ErrOrStderr(), problems)
			}
			logger, err := newLogger(c.Log)
			if err != nil {
				return err
			}
			reg, err := newRegistry(logger)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			events := make(chan string, 64)
			d := &agent.Devices{Registry: reg, Logger: logger, OnEvent: func(lane string, e drivers.Event) {
				events <- describeEvent(lane, e)
			}}
			wait, err := d.Start(cmd.Context(), laneDevices(c.Lanes))
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "watching %d device(s); Ctrl+C to stop\n", len(d.Status()))
			for {
				select {
				case line := <-events:
					fmt.Fprintln(out, line)
				case <-cmd.Context().Done():
					wait()
					return nil
				}
			}
		},
	}
	addOverrideFlags(watch)
	cmd.AddCommand(watch)
	return cmd
}

// describeEvent renders one device event for an installer; card numbers
// are masked.
func describeEvent(lane string, e drivers.Event) string {
	head := fmt.Sprintf("%s %s %s", e.Time.Format("15:04:05.000"), lane, e.Device)
	switch e.Kind {
	case drivers.KindScan:
		return fmt.Sprintf("%s scan %q symbology=%s aim=%s type=%d", head, e.Scan.Label, e.Scan.Symbology, e.Scan.AIM, e.Scan.ScanDataType)
	case drivers.KindCard:
		return fmt.Sprintf("%s %s", head, e.Card)
	default:
		return fmt.Sprintf("%s %s %s", head, e.State.State, e.State.Reason)
	}
}

func printDevices(w io.Writer, url string) error {
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		return fmt.Errorf("agent API %s: %w (is the agent running?)", url, err)
	}
	defer resp.Body.Close()
	var out struct {
		Devices []struct {
			ID, Kind, Lane, State, Reason string
			Scans, Cards                  int64
		} `json:"devices"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return fmt.Errorf("agent API %s: bad answer: %w", url, err)
	}
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "LANE\tDEVICE\tKIND\tSTATE\tSCANS\tCARDS\tREASON")
	for _, d := range out.Devices {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%s\n", d.Lane, d.ID, d.Kind, d.State, d.Scans, d.Cards, d.Reason)
	}
	return tw.Flush()
}
