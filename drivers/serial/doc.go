// Package serial runs scanners and magnetic-stripe readers attached as
// serial ports (RS-232, USB CDC-ACM /dev/ttyACM*, USB-serial /dev/ttyUSB*)
// through github.com/tarm/serial, the only package in tillsync that
// imports it (DESIGN §2).
//
// A Driver opens the port with a 100–200 ms read timeout (never 0: a
// blocked Read would never return and Close would block behind it,
// devices.md), reads until its context ends, cuts the byte stream into
// frames with drivers.Framer and emits drivers.Events. A hang-up (several
// immediate EOFs in a row and the device path gone, devices.md) makes the
// device Offline; the Driver reopens it with a backoff, resolving a glob
// Path ("/dev/ttyACM*") or symlink anew at each attempt, so a re-plugged
// device that comes back under a new name is found again.
package serial
