package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/spf13/cobra"
)

func newStatusCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the running agent's sync state (asks its local API)",
		Long: `status asks the agent running with this configuration for its sync state:
whether it is connected to the broker, how many sales wait to be synced and
how old the oldest of them is.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := loadConfig(configPath(cmd), cmd.Flags())
			if err != nil {
				return err
			}
			return printStatus(cmd.OutOrStdout(), "http://"+c.API.Listen+"/v1/status")
		},
	}
	addOverrideFlags(cmd)
	return cmd
}

func printStatus(w io.Writer, url string) error {
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		return fmt.Errorf("agent API %s: %w (is the agent running?)", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("agent API %s: %s", url, resp.Status)
	}
	var st struct {
		StoreID      string `json:"store_id"`
		AgentID      string `json:"agent_id"`
		Connected    bool   `json:"connected"`
		LastSeq      uint64 `json:"last_seq"`
		LastAckedSeq uint64 `json:"last_acked_seq"`
		OutboxDepth  uint64 `json:"outbox_depth"`
		OldestAge    int64  `json:"oldest_unsynced_age_seconds"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return fmt.Errorf("agent API %s: bad answer: %w", url, err)
	}
	fmt.Fprintf(w, "store %s, agent %s\n", st.StoreID, st.AgentID)
	fmt.Fprintf(w, "connected to broker: %v\n", st.Connected)
	fmt.Fprintf(w, "sales recorded: %d, synced to central: %d, waiting: %d\n", st.LastSeq, st.LastAckedSeq, st.OutboxDepth)
	if st.OutboxDepth > 0 {
		fmt.Fprintf(w, "oldest unsynced sale: %s ago\n", time.Duration(st.OldestAge)*time.Second)
	}
	return nil
}
