package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// setUp generates HQ's data, starts central and the stores, and prints
// where to look.
func (d *demo) setUp() error {
	o := d.o
	fmt.Printf("== tillsync demo: %d stores × %d lanes, seed %d, files in %s\n", o.stores, o.lanes, o.seed, o.dir)
	d.cat = GenerateCatalog(o.seed, o.skus)
	d.ms = GenerateMembership(o.seed, o.members, o.stores)
	catalog, members, policy := filepath.Join(o.dir, "catalog.csv"), filepath.Join(o.dir, "members-legacy.csv"), filepath.Join(o.dir, "policy.yaml")
	if err := d.cat.WriteCSV(catalog); err != nil {
		return err
	}
	if err := d.ms.WriteCSV(members); err != nil {
		return err
	}
	if err := os.WriteFile(policy, []byte(demoPolicy), 0o600); err != nil {
		return err
	}
	fmt.Printf("== HQ: starting central; publishing the policy and a catalog of %d products (%d weighed), importing %d members\n",
		len(d.cat.Products), len(d.cat.Weighed), len(d.ms.Members))
	var err error
	if d.hq, err = startHQ(filepath.Join(o.bins, "tillsync-central"), o.dir, d.logDir, policy, catalog, members); err != nil {
		return err
	}
	for i := 1; i <= o.stores; i++ {
		cut := i == d.outageStore()
		fmt.Printf("== %s: starting its agent with %d lanes (serial scanner and card reader on pseudo-terminals)%s\n",
			storeID(i), o.lanes, map[bool]string{true: ", linked to HQ through a proxy the demo will cut"}[cut])
		s, err := startStore(filepath.Join(o.bins, "tillsync-agent"), o.dir, d.logDir, i, o.lanes, d.hq.broker, cut)
		if s != nil {
			d.stores = append(d.stores, s)
		}
		if err != nil {
			return err
		}
	}
	fmt.Printf("\nHQ dashboard:  %s  (user %s, password %s)\n", d.hq.DashboardURL(), d.hq.user, d.hq.password)
	fmt.Println("till screens:")
	for _, s := range d.stores {
		for _, u := range s.TillURLs() {
			fmt.Printf("  %s  %s\n", s.id, u)
		}
	}
	fmt.Printf("logs: %s\n", d.logDir)
	return nil
}

// outageStore is the number of the store whose link is cut: the second.
func (d *demo) outageStore() int { return min(2, d.o.stores) }

// outageWindow is when the cut starts and how long it lasts.
func (d *demo) outageWindow() (time.Duration, time.Duration) {
	at, length := 20*time.Second, 30*time.Second
	if d.o.duration > 0 {
		at, length = d.o.duration/4, d.o.duration/4
	}
	if d.o.outage > 0 {
		length = d.o.outage
	}
	return at, length
}

// sell runs the cashiers, the progress lines and the outage until ctx
// ends, then lets the cashiers finish their customers.
func (d *demo) sell(ctx context.Context) error {
	fmt.Println()
	d.prog = &progress{out: os.Stdout, hq: d.hq, stores: d.stores, book: d.book, start: time.Now(), sawOffline: map[string]bool{}}
	d.prog.header()
	var wg sync.WaitGroup
	errs := make(chan error, len(d.stores)*d.o.lanes)
	for si, s := range d.stores {
		for li, l := range s.lanes {
			c := &cashier{lane: l, cat: d.cat, ms: d.ms, book: d.book, r: d.cashierRand(si+1, li+1), speed: d.o.speed,
				regulars: 25 * d.o.stores * d.o.lanes}
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := c.run(ctx); err != nil {
					errs <- err
				}
			}()
		}
	}
	d.runOutage(ctx)
	tick := time.NewTicker(d.o.tick)
	defer tick.Stop()
	for done := false; !done; {
		select {
		case <-ctx.Done():
			done = true
		case err := <-errs:
			return err
		case <-tick.C:
			d.prog.tick()
		}
	}
	wg.Wait()
	d.stores[d.outageStore()-1].setCut(false)
	d.prog.tick()
	select {
	case err := <-errs:
		return err
	default:
		return nil
	}
}

// runOutage cuts the outage store's link at its time and restores it.
func (d *demo) runOutage(ctx context.Context) {
	at, length := d.outageWindow()
	s := d.stores[d.outageStore()-1]
	go func() {
		select {
		case <-ctx.Done():
			return
		case <-time.After(at):
		}
		fmt.Printf("  ---- %s loses its link to HQ for %s (the demo cuts its proxy)\n", s.id, length)
		s.setCut(true)
		select {
		case <-ctx.Done():
		case <-time.After(length):
		}
		s.setCut(false)
		fmt.Printf("  ---- %s's link to HQ is back: it reconnects and sends what it sold meanwhile\n", s.id)
	}()
}
