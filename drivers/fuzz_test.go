package drivers

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// FuzzFramer feeds a stream in two writes split at any point: no panic,
// only ErrFrameTooLong errors, no frame over MaxFrame or holding the
// terminator, and the same frames as one write.
func FuzzFramer(f *testing.F) {
	f.Add([]byte("5901234123457\r4006381333931\r"), 5, uint8(0))
	f.Add([]byte("12\r\n3456789\r\nok\r\n"), 3, uint8(2))
	f.Add([]byte("\x02abc\x03\x03"), 1, uint8(3))
	f.Fuzz(func(t *testing.T, stream []byte, split int, mode uint8) {
		framing := []Framing{{}, {Terminator: TermLF}, {Terminator: TermCRLF, Prefix: "\x02"},
			{Terminator: TermCustom, Suffix: "\x03"}}[mode%4]
		collect := func(writes ...[]byte) []string {
			fr, err := NewFramer(framing, 8)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, w := range writes {
				fr.Feed(w, func(frame []byte, err error) {
					if err != nil {
						if !errors.Is(err, ErrFrameTooLong) {
							t.Fatalf("unexpected error %v", err)
						}
						out = append(out, "!")
						return
					}
					if len(frame) == 0 || len(frame) > 8 || framing.Suffix != "" && bytes.Contains(frame, []byte(framing.Suffix)) {
						t.Fatalf("bad frame %q", frame)
					}
					out = append(out, string(frame))
				})
			}
			return out
		}
		if split < 0 {
			split = -split
		}
		split %= len(stream) + 1
		whole := collect(stream)
		parts := collect(stream[:split], stream[split:])
		// Overlong detection may fire at a different point when split, so
		// compare the good frames only.
		if strings.ReplaceAll(strings.Join(whole, "\n"), "!", "") != strings.ReplaceAll(strings.Join(parts, "\n"), "!", "") {
			t.Fatalf("one write %q, two writes %q", whole, parts)
		}
	})
}

// FuzzParseTracks: no panic; either a card with a plausible PAN and no
// name, or a *CardReadError.
func FuzzParseTracks(f *testing.F) {
	for _, s := range []string{"%B1234^Y^2512?!;1234=2512?9", ";1234=2512?", "%E?;E?", ";1234=2512?8", "%B1^^?", "%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, frame string) {
		c, err := ParseTracks(frame)
		if err != nil {
			var cre *CardReadError
			if !errors.As(err, &cre) || c != (Card{}) {
				t.Fatalf("ParseTracks(%q) = %#v, %v", frame, c, err)
			}
			return
		}
		if !isPAN(c.Card) || strings.Count(c.Track1, "^") != 0 && !strings.Contains(c.Track1, "^^") {
			t.Fatalf("ParseTracks(%q) = %#v", frame, c)
		}
	})
}
