package main

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// progress prints, every tick, each store's sales, what waits to sync and
// whether it is online — as the store sees it (GET /v1/status) and as HQ
// sees it (GET /v1/stores, /v1/reports/sales-by-store).
type progress struct {
	out        io.Writer
	hq         *hq
	stores     []*store
	book       *book
	start      time.Time
	sawOffline map[string]bool // a store that told us it was offline
}

func (p *progress) header() {
	fmt.Fprintln(p.out, "   time  store  link to HQ (store's view)       sold  unsynced  at HQ  HQ sees")
}

func (p *progress) tick() {
	el := time.Since(p.start).Round(time.Second)
	online, err := p.hq.presence()
	if err != nil {
		fmt.Fprintf(p.out, "  %5s  HQ does not answer: %v\n", el, err)
		return
	}
	atHQ, err := p.hq.sales()
	if err != nil {
		fmt.Fprintf(p.out, "  %5s  HQ does not answer: %v\n", el, err)
		return
	}
	for i, s := range p.stores {
		t := ""
		if i == 0 {
			t = fmtDuration(el)
		}
		sold, _ := p.book.counts(s.id)
		st, err := s.status()
		if err != nil {
			fmt.Fprintf(p.out, "  %5s  %s   the agent does not answer: %v\n", t, s.id, err)
			continue
		}
		link := "online"
		if !st.Connected {
			link = "OFFLINE, selling on"
			p.sawOffline[s.id] = true
		}
		if s.cut.Load() {
			link += " (cut)"
		}
		seen := "online"
		if !online[s.id] {
			seen = "offline"
		}
		fmt.Fprintf(p.out, "  %5s  %s   %-26s %6d  %8d  %5d  %s\n", t, s.id, link, sold, st.OutboxDepth, atHQ[s.id].Sales, seen)
	}
}

// fmtDuration is m:ss.
func fmtDuration(d time.Duration) string {
	s := int(d / time.Second)
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// rule is a section heading line.
func rule(out io.Writer, title string) {
	fmt.Fprintf(out, "\n== %s %s\n", title, strings.Repeat("=", max(0, 60-len(title))))
}
