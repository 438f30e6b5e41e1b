package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"
)

// store is one store's agent process with its lanes' devices, and — for
// the store whose link the demo cuts — the proxy it reaches HQ through.
type store struct {
	id, agentID string
	proc        *proc
	till        *api
	lanes       []*lane
	link        *linkProxy // nil: the agent dials the broker directly
	cut         atomic.Bool
	wasCut      atomic.Bool // the link was cut at some point
	ptys        []*os.File
}

// startStore creates the lanes' pseudo-terminals, writes the agent's
// config and starts it; it returns once the devices are online and the
// store holds HQ's catalog and policy.
func startStore(bin, dir, logDir string, n, lanes int, broker string, viaProxy bool) (*store, error) {
	s := &store{id: storeID(n)}
	s.agentID = s.id + "-A1"
	if viaProxy {
		p, err := newLinkProxy(broker)
		if err != nil {
			return nil, err
		}
		s.link, broker = p, p.Addr()
	}
	var conf strings.Builder
	conf.WriteString("lanes:\n")
	for i := 1; i <= lanes; i++ {
		l := &lane{store: s.id, id: fmt.Sprintf("lane-%d", i), offline: s.cut.Load}
		var scanPath, msrPath string
		var err error
		if l.scanner, scanPath, err = openPTY(); err != nil {
			return s, err
		}
		s.ptys = append(s.ptys, l.scanner)
		if l.msr, msrPath, err = openPTY(); err != nil {
			return s, err
		}
		s.ptys = append(s.ptys, l.msr)
		fmt.Fprintf(&conf, `  - id: %[1]s
    devices:
      - {id: %[1]s-scanner, kind: serial-scanner, path: %[2]s, baud: 9600, framing: {terminator: cr, aim: true}}
      - {id: %[1]s-msr, kind: serial-msr, path: %[3]s, baud: 9600, framing: {terminator: cr}}
`, l.id, scanPath, msrPath)
		s.lanes = append(s.lanes, l)
	}
	confPath := filepath.Join(dir, strings.ToLower(s.id)+"-agent.yaml")
	if err := os.WriteFile(confPath, []byte(conf.String()), 0o600); err != nil {
		return s, fmt.Errorf("write agent config: %w", err)
	}
	api, err := freeAddr()
	if err != nil {
		return s, err
	}
	env := []string{"TILLSYNC_CHAIN_ID=demo", "TILLSYNC_STORE_ID=" + s.id, "TILLSYNC_AGENT_ID=" + s.agentID,
		"TILLSYNC_LEDGER_PATH=" + filepath.Join(dir, strings.ToLower(s.id)+"-ledger.db"),
		"TILLSYNC_API_LISTEN=" + api, "TILLSYNC_UPLINK_BROKER_URL=tcp://" + broker}
	if s.proc, err = startProc(logDir, "agent-"+strings.ToLower(s.id), bin, env, "run", "--config", confPath); err != nil {
		return s, err
	}
	s.till = newAPI("http://" + api)
	for _, l := range s.lanes {
		l.till = s.till
	}
	return s, s.waitReady(2 * lanes)
}

// waitReady waits for the agent to answer with every device online and
// HQ's catalog and policy held.
func (s *store) waitReady(devices int) error {
	return waitUntil(2*time.Minute, s.id+"'s devices, catalog and policy", func() (bool, error) {
		if !s.proc.running() {
			return false, fmt.Errorf("agent of %s exited (%v); see its log", s.id, s.proc.err)
		}
		st, err := s.status()
		if err != nil {
			return false, nil
		}
		online := 0
		for _, d := range st.Devices {
			if d.State == "online" {
				online++
			}
		}
		return online == devices && st.Versions["catalog"] > 0 && st.Versions["policy"] > 0, nil
	})
}

func (s *store) status() (*agentStatus, error) {
	var st agentStatus
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.till.do(ctx, "GET", "/v1/status", nil, &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// setCut cuts or restores the store's link to HQ (a store without a
// proxy has no link the demo can cut).
func (s *store) setCut(cut bool) {
	if s.link != nil {
		s.cut.Store(cut)
		if cut {
			s.wasCut.Store(true)
		}
		s.link.SetCut(cut)
	}
}

// TillURLs are the till-screen pages of the store's lanes.
func (s *store) TillURLs() []string {
	var out []string
	for _, l := range s.lanes {
		out = append(out, s.till.base+"/till/"+l.id)
	}
	return out
}

// close stops the agent, then the proxy and the devices.
func (s *store) close() error {
	var err error
	if s.proc != nil {
		err = s.proc.stop()
	}
	if s.link != nil {
		if cerr := s.link.Close(); err == nil {
			err = cerr
		}
	}
	for _, f := range s.ptys {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	return err
}
