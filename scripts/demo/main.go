// Command demo runs the tillsync chain on one machine: central with its
// embedded broker and SQLite, several store agents as separate processes
// whose lanes read real serial drivers on pseudo-terminals, and simulated
// cashiers; midway one store loses its link to HQ. At the end it checks
// HQ against what the tills reported and exits non-zero when a check
// fails. scripts/demo.sh builds and runs it; run it from the repository root.
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// options are the demo's flags.
type options struct {
	stores, lanes, skus, members int
	speed                        float64
	duration, outage, tick, idle time.Duration
	seed                         uint64
	bins, dir                    string
}

func parseFlags() options {
	var o options
	flag.IntVar(&o.stores, "stores", 3, "stores, one agent each")
	flag.IntVar(&o.lanes, "lanes", 2, "lanes per store, each with a serial scanner and card reader")
	flag.IntVar(&o.skus, "skus", 3000, "products in the generated catalog")
	flag.IntVar(&o.members, "members", 30000, "members in the generated membership")
	flag.Float64Var(&o.speed, "speed", 1, "cashier speed (2 = twice as fast)")
	flag.DurationVar(&o.duration, "duration", 0, "sell this long, then check and stop (0: until Ctrl-C)")
	flag.DurationVar(&o.outage, "outage", 0, "how long one store is cut off from HQ (default: a quarter of --duration, or 30s)")
	flag.DurationVar(&o.tick, "progress", 5*time.Second, "how often to print progress")
	flag.DurationVar(&o.idle, "idle", 5*time.Second, "after selling and syncing, measure the idle agents this long (0: not at all)")
	flag.Uint64Var(&o.seed, "seed", 1, "seed of the generated catalog, members and cashiers")
	flag.StringVar(&o.bins, "bins", "", "folder with prebuilt tillsync-agent and tillsync-central (default: build them)")
	flag.StringVar(&o.dir, "dir", "", "folder for databases and logs (default: a new temporary folder)")
	flag.Parse()
	return o
}

func main() {
	o := parseFlags()
	code, err := run(o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		code = 1
	}
	os.Exit(code)
}

// run sets the chain up, sells, checks, and stops everything it started.
func run(o options) (int, error) {
	if o.stores < 1 || o.lanes < 1 || o.speed <= 0 || o.members < 1 {
		return 2, fmt.Errorf("--stores, --lanes, --members and --speed must be positive")
	}
	if o.dir == "" {
		d, err := os.MkdirTemp("", "tillsync-demo.")
		if err != nil {
			return 1, err
		}
		o.dir = d
	}
	logDir := filepath.Join(o.dir, "logs")
	if err := os.MkdirAll(logDir, 0o700); err != nil {
		return 1, err
	}
	if o.bins == "" {
		if err := build(filepath.Join(o.dir, "bin")); err != nil {
			return 1, err
		}
		o.bins = filepath.Join(o.dir, "bin")
	}
	d := &demo{o: o, logDir: logDir, book: newBook()}
	defer d.close()
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	sellCtx, stopSelling := context.WithCancel(context.Background())
	go func() {
		<-sigs
		fmt.Println("\n== Ctrl-C: the cashiers finish their customers, then the checks run (Ctrl-C again to quit at once)")
		stopSelling()
		<-sigs
		d.close()
		os.Exit(130)
	}()
	if err := d.setUp(); err != nil {
		return 1, err
	}
	if o.duration > 0 {
		var cancel context.CancelFunc
		sellCtx, cancel = context.WithTimeout(sellCtx, o.duration)
		defer cancel()
	}
	us := d.readUsage(func(u *storeUsage, r usage) { u.sellStart = r }, nil)
	if err := d.sell(sellCtx); err != nil {
		return 1, err
	}
	us = d.readUsage(func(u *storeUsage, r usage) { u.sellEnd = r }, us)
	if o.idle > 0 {
		if err := drain(d.stores); err == nil {
			time.Sleep(o.idle)
			us = d.readUsage(func(u *storeUsage, r usage) { u.idleEnd = r }, us)
			printUsage(os.Stdout, us)
		}
	}
	return summarize(os.Stdout, d.hq, d.stores, d.book, d.ms, d.prog.sawOffline)
}

// readUsage reads every agent's usage into us (made when nil) with set;
// an agent that cannot be read is marked not measured.
func (d *demo) readUsage(set func(*storeUsage, usage), us []storeUsage) []storeUsage {
	if us == nil {
		us = make([]storeUsage, len(d.stores))
		for i, s := range d.stores {
			us[i] = storeUsage{id: s.id, lanes: len(s.lanes), ok: true}
		}
	}
	for i, s := range d.stores {
		r, err := readUsage(s.proc.cmd.Process.Pid)
		if err != nil {
			us[i].ok = false
			continue
		}
		set(&us[i], r)
	}
	return us
}

// build compiles both binaries into dir (pure Go: no USB HID drivers).
func build(dir string) error {
	fmt.Println("== building tillsync-agent and tillsync-central")
	cmd := exec.Command("go", "build", "-tags", "nousb", "-o", dir+"/", "./agent/cmd/tillsync-agent", "./central/cmd/tillsync-central")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("build (run the demo from the repository root): %w", err)
	}
	return nil
}

// demo is one run's chain: HQ, the stores and the cashiers' book.
type demo struct {
	o         options
	logDir    string
	cat       *Catalog
	ms        *Membership
	hq        *hq
	stores    []*store
	book      *book
	prog      *progress
	closeOnce sync.Once
}

// close stops the agents, then central. Safe to call more than once.
func (d *demo) close() {
	d.closeOnce.Do(func() {
		for _, s := range d.stores {
			if err := s.close(); err != nil {
				fmt.Fprintln(os.Stderr, "demo:", err)
			}
		}
		if d.hq != nil && d.hq.proc != nil {
			if err := d.hq.proc.stop(); err != nil {
				fmt.Fprintln(os.Stderr, "demo:", err)
			}
		}
	})
}

// cashierRand gives every lane its own deterministic stream.
func (d *demo) cashierRand(store, lane int) *rand.Rand {
	return rand.New(rand.NewPCG(d.o.seed, uint64(store*1000+lane)))
}
