package main

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// summary checks HQ against what the tills reported and prints one line
// per check; failed counts the checks that did not hold.
type summary struct {
	out    io.Writer
	failed int
}

func (s *summary) check(ok bool, format string, args ...any) {
	mark := "ok  "
	if !ok {
		mark = "FAIL"
		s.failed++
	}
	fmt.Fprintf(s.out, "  %s %s\n", mark, fmt.Sprintf(format, args...))
}

// drain waits until every agent has nothing left to sync.
func drain(stores []*store) error {
	return waitUntil(3*time.Minute, "every store to sync", func() (bool, error) {
		for _, s := range stores {
			st, err := s.status()
			if err != nil || !st.Connected || st.OutboxDepth > 0 {
				return false, nil
			}
		}
		return true, nil
	})
}

// summarize runs every check; the demo exits non-zero when one fails.
func summarize(out io.Writer, h *hq, stores []*store, b *book, ms *Membership, sawOffline map[string]bool) (int, error) {
	s := &summary{out: out}
	rule(out, "summary")
	s.check(drain(stores) == nil, "every store synced: nothing left in any outbox")
	if err := s.sales(h, stores, b); err != nil {
		return 0, err
	}
	if err := s.journals(h, stores); err != nil {
		return 0, err
	}
	for _, st := range stores {
		if st.link != nil && !st.wasCut.Load() {
			fmt.Fprintf(out, "  --   %s's outage had not begun when the selling stopped\n", st.id)
		} else if st.link != nil {
			sb := b.stores[st.id]
			s.check(sawOffline[st.id] && sb != nil && sb.DuringOutage > 0,
				"%s lost its link to HQ, said so, and kept selling: %d sales while cut off, all synced after", st.id, outage(sb))
		}
	}
	s.check(b.rejected == 0, "every scan and swipe was taken by the till (%d not taken)", b.rejected)
	if err := s.points(h, b, ms); err != nil {
		return 0, err
	}
	if err := s.pyramid(h); err != nil {
		return 0, err
	}
	return s.failed, nil
}

func outage(sb *storeBook) int {
	if sb == nil {
		return 0
	}
	return sb.DuringOutage
}

// sales: each store's sales and takings at HQ equal the tills' receipts,
// and no sale id was handed out twice.
func (s *summary) sales(h *hq, stores []*store, b *book) error {
	atHQ, err := h.sales()
	if err != nil {
		return err
	}
	var tills, hqSales, returns int64
	for _, st := range stores {
		sb := b.store(st.id)
		dups := 0
		for _, n := range sb.saleIDs {
			dups += n - 1
		}
		got := atHQ[st.id]
		s.check(got.Sales == int64(sb.Sales) && got.TotalFen == sb.TotalFen && dups == 0 && len(sb.saleIDs) == sb.Sales,
			"%s: %d sales, %s yuan at the tills = %d sales, %s yuan at HQ; returns: %d", st.id, sb.Sales, yuan(sb.TotalFen), got.Sales, yuan(got.TotalFen), sb.Returns)
		tills += int64(sb.Sales)
		hqSales += got.Sales
		returns += int64(sb.Returns)
	}
	s.check(tills == hqSales, "chain: %d sales committed at the tills, %d at HQ, %d returns", tills, hqSales, returns)
	n, err := h.quarantined()
	if err != nil {
		return err
	}
	s.check(n == 0, "HQ quarantined %d events (every event applied)", n)
	return nil
}

// journals: HQ holds each agent's journal exactly: every event once, no gaps.
func (s *summary) journals(h *hq, stores []*store) error {
	ags, err := h.agents()
	if err != nil {
		return err
	}
	for _, st := range stores {
		a := ags[st.agentID]
		status, err := st.status()
		if err != nil {
			return err
		}
		s.check(a.Events == int64(status.LastSeq) && a.ContiguousThrough == status.LastSeq && a.Missing == 0,
			"%s: HQ holds events 1..%d of the agent's %d, each once, none missing", st.agentID, a.ContiguousThrough, status.LastSeq)
	}
	return nil
}

// points: each member card's balance at HQ is its opening balance plus
// what the tills said it earned, less what it redeemed, less the points
// returns reversed, plus points returns gave back.
func (s *summary) points(h *hq, b *book, ms *Membership) error {
	if err := h.login(); err != nil {
		return err
	}
	opening := map[string]int64{}
	for _, m := range ms.Members {
		opening[m.Card] = m.Points
	}
	cards := make([]string, 0, len(b.cards))
	for c := range b.cards {
		cards = append(cards, c)
	}
	sort.Strings(cards)
	bad, entries := []string{}, int64(0)
	var earned, redeemed int64
	for _, c := range cards {
		cb := b.cards[c]
		want := opening[c] + cb.Earned - cb.Redeemed - cb.Reversed + cb.Refunded
		got, err := h.balance(c)
		if err != nil {
			return fmt.Errorf("balance of a member card: %w", err)
		}
		entries += got.Entries
		earned += cb.Earned
		redeemed += cb.Redeemed
		if got.Total != want {
			bad = append(bad, fmt.Sprintf("%s…: HQ %d, tills %d", c[:6], got.Total, want))
		}
	}
	s.check(len(bad) == 0, "%d member cards: balance at HQ = opening + earned − redeemed ± returns, from %d ledger entries (%d points earned, %d redeemed)%s",
		len(cards), entries, earned, redeemed, strings.Join(append([]string{""}, bad[:min(len(bad), 5)]...), "\n       "))
	return nil
}

// pyramid classifies every member and prints the classes.
func (s *summary) pyramid(h *hq) error {
	out, err := h.run("", "classify")
	s.check(err == nil, "HQ classified the members: %s", firstLine(out, err))
	if err != nil {
		return nil
	}
	classes, err := h.run("", "report", "classes")
	s.check(err == nil && strings.Contains(classes, "pyramid"), "customer pyramid and classes (tillsync-central report classes):")
	fmt.Fprintln(s.out, indent(classes))
	return nil
}

func firstLine(out string, err error) string {
	if err != nil {
		return err.Error()
	}
	line, _, _ := strings.Cut(strings.TrimSpace(out), "\n")
	return line
}

func indent(text string) string {
	return "       " + strings.ReplaceAll(strings.TrimRight(text, "\n"), "\n", "\n       ")
}

func yuan(fen int64) string { return fmt.Sprintf("%d.%02d", fen/100, fen%100) }
