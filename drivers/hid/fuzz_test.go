package hid

import (
	"errors"
	"testing"
)

// FuzzKeyboardDecoder feeds a byte stream as consecutive 8-byte reports
// (a short tail too): never a panic, only ErrReport errors.
func FuzzKeyboardDecoder(f *testing.F) {
	f.Add(append(rep(0, 0x22), rep(0)...))
	f.Add(append(rep(modLeftCtrl, keyRightBracket), rep(0, 1, 1, 1, 1, 1, 1)...))
	f.Add([]byte{0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, stream []byte) {
		var d KeyboardDecoder
		var out []byte
		for len(stream) > 0 {
			n := min(8, len(stream))
			var err error
			out, err = d.AppendDecode(out, stream[:n])
			if err != nil && !errors.Is(err, ErrReport) {
				t.Fatalf("unexpected error %v", err)
			}
			stream = stream[n:]
		}
	})
}

// FuzzPOSAssembler feeds consecutive 64-byte reports: never a panic,
// only ErrReport errors, and a scan never exceeds MaxScan.
func FuzzPOSAssembler(f *testing.F) {
	f.Add(pos("]E0", "5901234123457", false))
	f.Add(append(pos("]C1", "0109506000134352", true), pos("", "21XYZ", false)...))
	f.Add([]byte{2, 200})
	f.Fuzz(func(t *testing.T, stream []byte) {
		a := POSAssembler{MaxScan: 100}
		for len(stream) > 0 {
			n := min(POSReportLen, len(stream))
			_, data, _, err := a.Feed(stream[:n])
			if err != nil && !errors.Is(err, ErrReport) {
				t.Fatalf("unexpected error %v", err)
			}
			if len(data) > 100 {
				t.Fatalf("scan of %d bytes over MaxScan", len(data))
			}
			stream = stream[n:]
		}
	})
}
