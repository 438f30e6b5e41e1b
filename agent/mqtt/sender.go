package mqtt

import (
	"context"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/tillsync/tillsync/agent"
)

// sender is the send loop's state for one Run. Only Run's goroutine
// touches it. Everything here is rebuilt from the ledger at the next Run.
type sender struct {
	u      *Uplink
	client paho.Client
	// watermark is the highest seq with every seq ≤ it acked; persisted is
	// the value last stored in the ledger (behind watermark while a
	// SetWatermark fails).
	watermark, persisted uint64
	// acked holds the acked seqs above watermark, which wait for the gap
	// below them to be acked.
	acked rangeSet
	// inflight holds the batches sent and not fully acked, by seq.
	inflight []*batch
	// next is the first seq not in any in-flight batch.
	next uint64
	// gen is the connection the in-flight batches were sent on.
	gen uint64
	// retryAt is when a failed ledger call is tried again; zero if none
	// failed.
	retryAt time.Time
}

func newSender(u *Uplink, client paho.Client, watermark uint64) *sender {
	return &sender{u: u, client: client, watermark: watermark, persisted: watermark, next: watermark + 1}
}

// step does one round of the loop: take acks, move and persist the
// watermark, resend what timed out, send what is new. It returns when it
// wants to run again unless woken earlier.
func (s *sender) step(ctx context.Context) time.Time {
	now := s.u.cfg.Now()
	s.retryAt = time.Time{}
	st, err := s.u.ledger.Status(ctx)
	if err != nil {
		return s.failed(ctx, now, "read ledger status failed", err)
	}
	s.watermark = max(s.watermark, st.Watermark)
	s.persisted = max(s.persisted, st.Watermark)
	acks, gen, connected := s.u.take()
	s.applyAcks(acks, st.LastSeq)
	if connected {
		if gen != s.gen {
			s.restart(gen)
		}
		s.publish(ctx, s.due(now), true)
		s.publish(ctx, s.fill(ctx, now, st.LastSeq), false)
	}
	s.u.setInFlight(len(s.inflight))
	// Persist after sending, so the window refills while the watermark's
	// fsync runs; the order changes nothing for safety, since a watermark
	// persisted late only means more is resent after a crash.
	s.persist(ctx, now)
	return s.wakeAt(now)
}

// flush applies the acks received since the last step and persists the
// watermark, so that a stop followed by a start resends no more than it
// must. ctx must not be cancelled: the ledger refuses work on one.
func (s *sender) flush(ctx context.Context) {
	st, err := s.u.ledger.Status(ctx)
	if err != nil {
		s.u.log.Error("read ledger status failed", "err", err)
		return
	}
	acks, _, _ := s.u.take()
	s.applyAcks(acks, st.LastSeq)
	s.persist(ctx, s.u.cfg.Now())
}

// failed logs a failed ledger call and schedules a retry.
func (s *sender) failed(ctx context.Context, now time.Time, msg string, err error) time.Time {
	if ctx.Err() == nil {
		s.u.log.Error(msg, "err", err)
	}
	s.retryAt = now.Add(s.u.cfg.RetryInterval)
	return s.retryAt
}

// applyAcks merges acks into the acked set, moves the watermark over its
// contiguous prefix and drops the batches that are fully acked. Acked seqs
// above the journal's head are dropped: they cannot be ours, and kept they
// would ack sales committed later.
func (s *sender) applyAcks(acks rangeSet, lastSeq uint64) {
	if acks.empty() {
		return
	}
	if acks.dropAbove(lastSeq) {
		s.u.log.Warn("ignoring acked seqs beyond the journal head", "last_seq", lastSeq)
	}
	s.acked.addAll(acks)
	if w := s.acked.extend(s.watermark); w > s.watermark {
		s.u.log.Debug("watermark advanced", "from", s.watermark, "to", w)
		s.watermark = w
	}
	s.acked.dropThrough(s.watermark)
	s.next = max(s.next, s.watermark+1)
	kept := s.inflight[:0]
	for _, b := range s.inflight {
		if b.last > s.watermark && !s.acked.contains(b.seqRange) {
			kept = append(kept, b)
		}
	}
	clear(s.inflight[len(kept):])
	s.inflight = kept
}

// persist stores the watermark if it moved; a failure is retried later,
// and until then a restart merely resends more.
func (s *sender) persist(ctx context.Context, now time.Time) {
	if s.watermark <= s.persisted {
		return
	}
	if err := s.u.ledger.SetWatermark(ctx, s.watermark); err != nil {
		s.failed(ctx, now, "persist watermark failed", err)
		return
	}
	s.persisted = s.watermark
}

// restart forgets the in-flight batches after a (re)connect so that fill
// rebuilds them from the ledger: whatever was in flight on the old
// connection may be lost, and more may have been committed since.
func (s *sender) restart(gen uint64) {
	if len(s.inflight) > 0 {
		s.u.log.Info("resending after reconnect", "first", s.watermark+1, "batches", len(s.inflight))
	}
	s.inflight = nil
	s.next = s.watermark + 1
	s.gen = gen
}

// maxBackoffShift caps the resend backoff at AckTimeout × 2^maxBackoffShift.
const maxBackoffShift = 4

// ackDeadline is when b is sent again if no ack covers it. The wait
// doubles with every unanswered send, up to 16 × AckTimeout: while central
// is down, a broker holding its persistent session would otherwise queue
// Window batches every AckTimeout, and Mosquitto drops past 1000 queued.
func (s *sender) ackDeadline(b *batch) time.Time {
	shift := min(max(b.sends-1, 0), maxBackoffShift)
	return b.sentAt.Add(s.u.cfg.AckTimeout << shift)
}

// due returns the in-flight batches whose ack is overdue.
func (s *sender) due(now time.Time) []*batch {
	var due []*batch
	for _, b := range s.inflight {
		if !now.Before(s.ackDeadline(b)) {
			due = append(due, b)
		}
	}
	return due
}

// fill builds new batches from the journal until the window is full or
// the journal is exhausted, skipping seqs central has already acked.
func (s *sender) fill(ctx context.Context, now time.Time, lastSeq uint64) []*batch {
	var fresh []*batch
	for len(s.inflight) < s.u.cfg.Window && s.next <= lastSeq {
		if r, ok := s.acked.covering(s.next); ok {
			s.next = r.last + 1
			continue
		}
		entries, err := s.u.ledger.Journal(ctx, s.next, s.u.cfg.BatchSize)
		if err != nil {
			s.failed(ctx, now, "read journal failed", err)
			break
		}
		run := s.run(entries)
		if len(run) == 0 {
			s.u.log.Error("journal has no entries up to its head", "from", s.next, "last_seq", lastSeq)
			s.retryAt = now.Add(s.u.cfg.RetryInterval)
			break
		}
		if run[0].Seq != s.next {
			// The watermark cannot pass a hole in the journal; only a
			// ledger bug or a damaged file makes one.
			s.u.log.Error("journal has a gap", "want", s.next, "got", run[0].Seq)
		}
		b := newBatch(s.u.header, run)
		s.inflight = append(s.inflight, b)
		fresh = append(fresh, b)
		s.next = b.last + 1
	}
	return fresh
}

// run returns the longest prefix of entries (from s.next on) that holds
// consecutive seqs, none of them acked yet, and fits in one batch.
func (s *sender) run(entries []agent.JournalEntry) []agent.JournalEntry {
	for len(entries) > 0 && entries[0].Seq < s.next {
		entries = entries[1:]
	}
	if len(entries) == 0 {
		return nil
	}
	first := entries[0].Seq
	stop := s.acked.nextAfter(first - 1) // first acked seq ≥ first, 0 if none
	n := 1
	for n < len(entries) && entries[n].Seq == first+uint64(n) && (stop == 0 || entries[n].Seq < stop) {
		n++
	}
	return entries[:fitBatch(s.u.header, entries[:n])]
}

// publish sends batches at QoS 1 and waits a bounded time for the broker's
// PUBACKs. A failed or unconfirmed publish is only logged: the batch stays
// in flight and goes again after AckTimeout or on the next connection,
// since only central's Ack counts.
func (s *sender) publish(ctx context.Context, batches []*batch, resend bool) {
	if len(batches) == 0 {
		return
	}
	now := s.u.cfg.Now()
	toks := make([]paho.Token, len(batches))
	for i, b := range batches {
		b.sentAt = now
		b.sends++
		toks[i] = s.client.Publish(s.u.upTopic, 1, false, b.payload(now, s.u.cfg.Key))
		if resend {
			s.u.log.Info("resending batch", "first", b.first, "last", b.last, "sends", b.sends)
		} else {
			s.u.log.Debug("sending batch", "first", b.first, "last", b.last)
		}
	}
	// One deadline for all: the publishes are pipelined, so their PUBACKs
	// come back about together.
	timeout := time.NewTimer(s.u.cfg.AckTimeout)
	defer timeout.Stop()
	for i, tok := range toks {
		b := batches[i]
		if !waitToken(ctx, tok, timeout.C) {
			s.u.log.Warn("publish not confirmed by broker in time", "first", b.first, "last", b.last)
			continue
		}
		if err := tok.Error(); err != nil {
			s.u.log.Warn("publish failed", "first", b.first, "last", b.last, "err", err)
		}
	}
}

// waitToken is paho's Token.WaitTimeout, bounded by a shared deadline
// instead of a duration per token and cut short when Run is stopping, so
// that shutdown does not wait out a publish to a dead broker. It reports
// whether the token completed.
func waitToken(ctx context.Context, tok paho.Token, deadline <-chan time.Time) bool {
	select {
	case <-tok.Done():
		return true
	default:
	}
	select {
	case <-tok.Done():
		return true
	case <-deadline:
		return false
	case <-ctx.Done():
		return false
	}
}

// wakeAt returns when the loop must run again: the first ack deadline, a
// ledger retry, or at the latest after AckTimeout, which also catches
// commits whose Notify was missed.
func (s *sender) wakeAt(now time.Time) time.Time {
	at := now.Add(s.u.cfg.AckTimeout)
	for _, b := range s.inflight {
		if !b.sentAt.IsZero() {
			at = minTime(at, s.ackDeadline(b))
		}
	}
	if !s.retryAt.IsZero() {
		at = minTime(at, s.retryAt)
	}
	return at
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
