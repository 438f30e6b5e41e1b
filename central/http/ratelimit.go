package http

import (
	"sync"
	"time"
)

// Login rate limit: after loginMaxFailures failed attempts for one user
// name within loginWindow, further attempts for that name are refused
// without checking the password until the window that began with the
// first failure ends. A success clears the count.
//
// It is per process and in memory: N central instances allow N times the
// attempts, and a restart forgets them. That is enough to turn an online
// password guess from thousands a minute into a handful an hour; it is not
// a lockout policy. An attacker can keep a known user name locked out by
// failing on purpose; the user then waits out the window.
const (
	loginMaxFailures = 5
	loginWindow      = 15 * time.Minute
	// unknownUserKey pools every name that is not a user, so that guessed
	// names cannot grow the table without bound.
	unknownUserKey = "\x00unknown"
)

// loginLimiter counts failed logins per user name. It is safe for
// concurrent use.
type loginLimiter struct {
	mu       sync.Mutex
	failures map[string]failureWindow
}

type failureWindow struct {
	count int
	start time.Time
}

// allow reports whether an attempt for key may be checked at now, and if
// not, when it may.
func (l *loginLimiter) allow(key string, now time.Time) (bool, time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.failures[key]
	if now.Sub(f.start) >= loginWindow {
		return true, time.Time{}
	}
	if f.count >= loginMaxFailures {
		return false, f.start.Add(loginWindow)
	}
	return true, time.Time{}
}

// record notes the outcome of a checked attempt for key at now.
func (l *loginLimiter) record(key string, ok bool, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if ok {
		delete(l.failures, key)
		return
	}
	if l.failures == nil {
		l.failures = map[string]failureWindow{}
	}
	f := l.failures[key]
	if now.Sub(f.start) >= loginWindow {
		f = failureWindow{start: now}
	}
	f.count++
	l.failures[key] = f
}
