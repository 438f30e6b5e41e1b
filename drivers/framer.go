package drivers

import (
	"bytes"
	"fmt"
)

// Framer cuts a device's byte stream into frames (one barcode or swipe
// each). Reads arrive in arbitrary fragments, and one read may hold two
// frames (devices.md), so the Framer buffers until a terminator.
//
// Tolerance: with TermCR a leading LF is dropped from a frame, with TermLF
// a trailing CR is dropped, so a scanner left sending CRLF still works;
// empty frames are skipped. A configured Prefix is stripped when a frame
// starts with it. A frame longer than MaxFrame is reported once as an
// error wrapping ErrFrameTooLong and discarded up to the next terminator,
// where the Framer resynchronises.
//
// A Framer is not safe for concurrent use; each device owns one.
type Framer struct {
	term     []byte
	prefix   []byte
	mode     string
	max      int
	pending  int // most bytes a partial frame may hold: max plus what emit strips
	buf      []byte
	dropping bool // inside an overlong frame, discarding to the next terminator
}

// NewFramer returns a Framer for f with frames of at most maxFrame bytes
// (0 means DefaultMaxFrame). A bad Framing wraps ErrConfig.
func NewFramer(f Framing, maxFrame int) (*Framer, error) {
	term, err := f.terminator()
	if err != nil {
		return nil, err
	}
	if maxFrame < 0 {
		return nil, fmt.Errorf("%w: max_frame %d is negative", ErrConfig, maxFrame)
	}
	if maxFrame == 0 {
		maxFrame = DefaultMaxFrame
	}
	mode := f.Terminator
	if mode == "" {
		mode = TermCR
	}
	// A partial frame may still hold the prefix, a stray CR/LF (see the
	// tolerance above) and the first bytes of a split terminator.
	pending := maxFrame + len(f.Prefix) + len(term) - 1
	if mode == TermCR || mode == TermLF {
		pending++
	}
	return &Framer{term: term, prefix: []byte(f.Prefix), mode: mode, max: maxFrame, pending: pending,
		buf: make([]byte, 0, pending+1)}, nil
}

// Feed adds bytes read from the device and calls yield for each complete
// frame in order (err nil), or with a nil frame and an error for an
// overlong frame. The frame slice is only valid during the call: copy it
// to keep it.
func (f *Framer) Feed(p []byte, yield func(frame []byte, err error)) {
	f.buf = append(f.buf, p...)
	start := 0
	for {
		i := bytes.Index(f.buf[start:], f.term)
		if i < 0 {
			break
		}
		frame := f.buf[start : start+i]
		start += i + len(f.term)
		if f.dropping {
			f.dropping = false // resynchronised at this terminator
			continue
		}
		f.emit(frame, yield)
	}
	rest := f.buf[start:]
	// Keep what may still become a frame, and within an overlong frame only
	// what may be the start of a terminator split across reads.
	if !f.dropping && len(rest) > f.pending {
		f.dropping = true
		yield(nil, fmt.Errorf("%w: over %d bytes without a terminator", ErrFrameTooLong, f.max))
	}
	if f.dropping && len(rest) > len(f.term)-1 {
		rest = rest[len(rest)-(len(f.term)-1):]
	}
	f.buf = append(f.buf[:0], rest...)
}

// Reset forgets any partial frame, e.g. after the device reconnects.
func (f *Framer) Reset() {
	f.buf = f.buf[:0]
	f.dropping = false
}

func (f *Framer) emit(frame []byte, yield func([]byte, error)) {
	switch f.mode {
	case TermCR:
		frame = bytes.TrimLeft(frame, "\n")
	case TermLF:
		frame = bytes.TrimRight(frame, "\r")
	}
	frame = bytes.TrimPrefix(frame, f.prefix)
	if len(frame) == 0 {
		return
	}
	if len(frame) > f.max {
		yield(nil, fmt.Errorf("%w: %d bytes, at most %d", ErrFrameTooLong, len(frame), f.max))
		return
	}
	yield(frame, nil)
}
