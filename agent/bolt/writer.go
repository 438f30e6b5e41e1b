package bolt

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	bbolt "go.etcd.io/bbolt"
)

// maxGroup bounds how many commits share one transaction, so that one
// transaction's dirty pages stay a few hundred KiB however many lanes wait.
const maxGroup = 128

// errNothingApplied rolls back a group in which every commit failed its
// check: committing it would cost an fsync and write nothing.
var errNothingApplied = errors.New("no commit in the group passed its check")

// A request is one commit waiting for its group. check runs first and
// must not write: its error fails this request alone and the group goes
// on. apply writes; its error rolls the whole group back (see run).
type request struct {
	check, apply func(*bbolt.Tx) error
	done         chan error    // buffered: the leader never waits for a caller
	lead         chan struct{} // buffered: this caller is to lead the next group
	// round is the writer's answer round when the request was made: one
	// older than the round at gather time waited while the last group ran.
	round uint64
}

// writer is the ledger's group commit (DESIGN §4). The caller that finds
// no group running leads one: it takes every commit waiting, runs them
// all in one DB.Update, answers each only after that Update's fsync, and
// hands the lead to the first commit that queued meanwhile. A lone lane's
// commit thus runs in its own goroutine, with no hand-off, as a plain
// DB.Update would. It replaces bbolt's DB.Batch, whose fixed
// MaxBatchDelay timer ran after every group and whose lone-commit fast
// path (DB.Update) split busy lanes into two groups taking turns, so 8
// lanes only doubled one lane's throughput.
//
// Grouping needs no timer while the disk is busy: commits arriving during
// one group's fsync form the next group. But lanes answered by that fsync
// come back a moment later, and a group formed without them leaves them
// for the one after. So a leader waits, up to delay, for as many commits
// as the previous group held plus those that queued while it ran; after a
// group of one with nothing queued (a lone lane) it never waits.
type writer struct {
	db      *bbolt.DB
	delay   time.Duration
	arrived chan struct{} // buffered: a commit queued while a leader waits

	mu      sync.Mutex
	idle    sync.Cond // on mu: leading turned false
	queue   []*request
	leading bool
	closed  bool
	last    int // the previous group's size; only the leader touches it

	// rounds counts the times a group was answered; requests are stamped
	// with it.
	rounds atomic.Uint64
	// groups and commits count Updates run and commits answered, so tests
	// and benchmarks can see how many commits shared each fsync.
	groups, commits atomic.Uint64
}

// newWriter returns a writer whose first group waits up to delay for
// expect commits (the ledger passes 1: a first commit never waits); every
// later group waits for as many as the one before it, as above.
func newWriter(db *bbolt.DB, delay time.Duration, expect int) *writer {
	w := &writer{db: db, delay: delay, arrived: make(chan struct{}, 1), last: expect}
	w.idle.L = &w.mu
	return w
}

// commit runs check then apply in a group's transaction and returns after
// that transaction is durable, or with the first error of check, apply or
// the commit itself. Both functions may run more than once (see run) and
// must derive everything they write from the transaction. It fails with
// ErrClosed once stop has been called.
func (w *writer) commit(check, apply func(*bbolt.Tx) error) error {
	r := &request{
		check: check, apply: apply, round: w.rounds.Load(),
		done: make(chan error, 1), lead: make(chan struct{}, 1),
	}
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return ErrClosed
	}
	w.queue = append(w.queue, r)
	follower := w.leading
	w.leading = true
	w.mu.Unlock()
	if follower {
		select {
		case w.arrived <- struct{}{}:
		default: // a wake-up is already pending
		}
		select {
		case err := <-r.done:
			return err
		case <-r.lead:
		}
	}
	w.lead()
	return <-r.done
}

// stop refuses later commits and waits until every queued one is answered.
func (w *writer) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	for w.leading {
		w.idle.Wait()
	}
}

// lead runs one group, then passes the lead to the first commit queued
// meanwhile, or gives it up.
func (w *writer) lead() {
	group := w.gather()
	w.last = len(group)
	w.run(group)
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.queue) > 0 {
		w.queue[0].lead <- struct{}{}
		return
	}
	w.leading = false
	w.idle.Broadcast()
}

// gather takes the queue (at most maxGroup of it) once it holds the
// previous group's size plus the commits that queued while that group
// ran, or after w.delay.
func (w *writer) gather() []*request {
	round := w.rounds.Load()
	w.mu.Lock()
	want := w.last
	for _, r := range w.queue {
		if r.round < round {
			want++
		}
	}
	want = min(want, maxGroup)
	if n := len(w.queue); n < want && w.delay > 0 {
		w.mu.Unlock()
		w.await(want)
		w.mu.Lock()
	}
	n := min(len(w.queue), maxGroup)
	group := slices.Clone(w.queue[:n])
	w.queue = slices.Delete(w.queue, 0, n)
	w.mu.Unlock()
	return group
}

// await returns once want commits are queued or w.delay has passed.
func (w *writer) await(want int) {
	timer := time.NewTimer(w.delay)
	defer timer.Stop()
	for {
		select {
		case <-w.arrived:
			w.mu.Lock()
			n := len(w.queue)
			w.mu.Unlock()
			if n >= want {
				return
			}
		case <-timer.C:
			return
		}
	}
}

// run commits group in one transaction and answers every request. When an
// apply fails, the transaction has written part of that commit and is
// rolled back whole; like DB.Batch, run then retries the others without
// it and finally runs it alone, so it fails only if it fails by itself.
func (w *writer) run(group []*request) {
	for len(group) > 0 {
		bad := w.update(group)
		if bad < 0 {
			return
		}
		failed := group[bad]
		group = slices.Delete(slices.Clone(group), bad, bad+1)
		w.run(group)
		group = []*request{failed}
	}
}

// update runs group in one DB.Update. It returns the index of a request
// whose apply failed in a group of more than one, which it leaves
// unanswered; otherwise it answers every request and returns -1.
func (w *writer) update(group []*request) int {
	errs := make([]error, len(group))
	bad := -1
	err := recovered(func() error {
		return w.db.Update(func(tx *bbolt.Tx) error {
			var err error
			bad, err = applyAll(tx, group, errs)
			return err
		})
	})
	if bad >= 0 && len(group) > 1 {
		return bad
	}
	if errors.Is(err, errNothingApplied) {
		err = nil // every request has its own check error
	}
	w.groups.Add(1)
	w.commits.Add(uint64(len(group)))
	w.rounds.Add(1) // before the answers: a caller answered now stamps its next request with the new round
	for i, r := range group {
		if errs[i] != nil {
			r.done <- errs[i]
			continue
		}
		r.done <- err // the commit's own error: then none of the group is durable
	}
	return -1
}

// applyAll runs each request's check and, when it passes, its apply,
// recording check errors in errs. It stops at the first apply error and
// returns that request's index with the error, which rolls tx back.
func applyAll(tx *bbolt.Tx, group []*request, errs []error) (int, error) {
	applied := 0
	for i, r := range group {
		if errs[i] = recovered(func() error { return r.check(tx) }); errs[i] != nil {
			continue
		}
		if err := recovered(func() error { return r.apply(tx) }); err != nil {
			errs[i] = err
			return i, err
		}
		applied++
	}
	if applied == 0 {
		return -1, errNothingApplied
	}
	return -1, nil
}

// recovered runs fn and turns a panic into an error, so that a bug in one
// commit fails that commit (a panic in bbolt's own commit, the group)
// instead of leaving the lead taken and every later commit waiting.
func recovered(fn func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("commit panicked: %v", p)
		}
	}()
	return fn()
}

// update runs fn through the group commit, sharing an fsync with other
// lanes' commits, and returns after its transaction is durable. fn's
// error rolls its group back and the others are retried without it, so
// fn must derive everything it writes from tx (it may run more than once).
// A commit whose refusals come before any write should use writer.commit
// with a separate check instead: a refusal then costs its group nothing.
func (l *Ledger) update(fn func(*bbolt.Tx) error) error {
	return l.writer.commit(noCheck, fn)
}

// noCheck is the check of a commit that checks inside its apply.
func noCheck(*bbolt.Tx) error { return nil }
