// Package serialtest opens pseudo-terminals for tests of serial devices:
// the test plays the device on the master, the driver opens the slave
// with the real tarm/serial code (shared/notes/devices.md).
package serialtest

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// OpenPTY opens a pseudo-terminal pair through /dev/ptmx and returns the
// master (the test plays the scanner on it) and the slave's path (what
// the driver opens), as devices.md describes. The master is closed on
// cleanup unless the test closed it first (a hang-up).
func OpenPTY(t testing.TB) (*os.File, string) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open /dev/ptmx: %v", err)
	}
	t.Cleanup(func() {
		if err := m.Close(); err != nil && !errors.Is(err, os.ErrClosed) {
			t.Errorf("close pty master: %v", err)
		}
	})
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("TIOCGPTN: %v", err)
	}
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatalf("unlock pty: %v", err)
	}
	return m, fmt.Sprintf("/dev/pts/%d", n)
}
