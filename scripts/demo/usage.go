package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// usage is a process's CPU time and memory as /proc shows them (Linux).
type usage struct {
	at     time.Time
	cpu    time.Duration // user + system
	rssKiB int64         // resident now
	hwmKiB int64         // resident at its peak
}

// userHZ is the unit of /proc/<pid>/stat's times: USER_HZ, fixed at 100
// in Linux's /proc ABI whatever the kernel's own tick rate (proc(5)).
const userHZ = 100

// readUsage reads pid's usage now.
func readUsage(pid int) (usage, error) {
	u := usage{at: time.Now()}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return u, err
	}
	// The command name (field 2) may hold spaces: fields count from the
	// last ')'. utime and stime are fields 14 and 15.
	s := string(stat)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return u, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return u, fmt.Errorf("/proc/%d/stat: bad times", pid)
	}
	u.cpu = time.Duration(utime+stime) * time.Second / userHZ
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return u, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "VmRSS":
			u.rssKiB = n
		case "VmHWM":
			u.hwmKiB = n
		}
	}
	return u, nil
}

// cpuShare is the share of one core, in tenths of a percent, a process
// used between two readings.
func cpuShare(a, b usage) int64 {
	wall := b.at.Sub(a.at)
	if wall <= 0 {
		return 0
	}
	return int64((b.cpu - a.cpu) * 1000 / wall)
}

// storeUsage is one agent's readings: when selling started and ended, and
// after an idle spell.
type storeUsage struct {
	id                          string
	lanes                       int
	sellStart, sellEnd, idleEnd usage
	ok                          bool
}

// printUsage writes the agents' CPU and memory while selling and idle.
func printUsage(out io.Writer, us []storeUsage) {
	rule(out, "agent resources (from /proc)")
	for _, u := range us {
		if !u.ok {
			fmt.Fprintf(out, "  %s: not measured\n", u.id)
			continue
		}
		sell, idle := cpuShare(u.sellStart, u.sellEnd), cpuShare(u.sellEnd, u.idleEnd)
		fmt.Fprintf(out, "  %s: %d lanes selling %s: CPU %d.%d %% of a core, RSS %.1f MiB (peak %.1f MiB); idle %s: CPU %d.%d %%, RSS %.1f MiB\n",
			u.id, u.lanes, u.sellEnd.at.Sub(u.sellStart.at).Round(time.Second), sell/10, sell%10,
			float64(u.sellEnd.rssKiB)/1024, float64(u.sellEnd.hwmKiB)/1024,
			u.idleEnd.at.Sub(u.sellEnd.at).Round(time.Second), idle/10, idle%10, float64(u.idleEnd.rssKiB)/1024)
	}
}
