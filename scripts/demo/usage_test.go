package main

import (
	"os"
	"testing"
	"time"
)

func TestReadUsage(t *testing.T) {
	u, err := readUsage(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if u.rssKiB <= 0 || u.hwmKiB < u.rssKiB || u.cpu < 0 {
		t.Errorf("usage of this process = %+v", u)
	}
	if _, err := readUsage(1 << 30); err == nil {
		t.Errorf("usage of a process that does not exist: no error")
	}
}

func TestCPUShare(t *testing.T) {
	a := usage{at: time.Unix(100, 0), cpu: time.Second}
	b := usage{at: time.Unix(110, 0), cpu: 1500 * time.Millisecond}
	if got := cpuShare(a, b); got != 50 { // 0.5 s in 10 s = 5.0 %
		t.Errorf("cpuShare = %d tenths of a percent, want 50", got)
	}
	if got := cpuShare(b, b); got != 0 {
		t.Errorf("cpuShare over no time = %d", got)
	}
}
