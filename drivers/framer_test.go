package drivers

import (
	"errors"
	"strings"
	"testing"
)

// feed runs writes through a new Framer and returns frames, with "!" for
// each ErrFrameTooLong.
func feed(t *testing.T, f Framing, max int, writes ...string) []string {
	t.Helper()
	fr, err := NewFramer(f, max)
	if err != nil {
		t.Fatalf("NewFramer: %v", err)
	}
	var got []string
	for _, w := range writes {
		fr.Feed([]byte(w), func(frame []byte, err error) {
			switch {
			case errors.Is(err, ErrFrameTooLong):
				got = append(got, "!")
			case err != nil:
				t.Fatalf("unexpected error %v", err)
			default:
				got = append(got, string(frame))
			}
		})
	}
	return got
}

func TestFramer_Feed(t *testing.T) {
	tests := []struct {
		name    string
		framing Framing
		max     int
		writes  []string
		want    []string
	}{
		{"CR", Framing{}, 0, []string{"123\r"}, []string{"123"}},
		{"LF", Framing{Terminator: TermLF}, 0, []string{"123\n"}, []string{"123"}},
		{"CRLF", Framing{Terminator: TermCRLF}, 0, []string{"123\r\n"}, []string{"123"}},
		{"CRLFSplitTerminator", Framing{Terminator: TermCRLF}, 0, []string{"123\r", "\n456\r", "\n"}, []string{"123", "456"}},
		{"CRLFBareCRInData", Framing{Terminator: TermCRLF}, 0, []string{"1\r2\r\n"}, []string{"1\r2"}},
		{"CustomSuffix", Framing{Terminator: TermCustom, Suffix: "\x03"}, 0, []string{"\x02abc\x03"}, []string{"\x02abc"}},
		{"PrefixStripped", Framing{Prefix: "\x02"}, 0, []string{"\x02abc\rdef\r"}, []string{"abc", "def"}},
		{"CRModeToleratesCRLF", Framing{}, 0, []string{"123\r\n456\r\n"}, []string{"123", "456"}},
		{"LFModeToleratesCRLF", Framing{Terminator: TermLF}, 0, []string{"123\r\n"}, []string{"123"}},
		{"EmptyFramesSkipped", Framing{}, 0, []string{"\r\r1\r"}, []string{"1"}},
		{"TwoInOneWrite", Framing{}, 0, []string{"1\r2\r"}, []string{"1", "2"}},
		{"Fragments", Framing{}, 0, []string{"12", "3", "\r4", "5\r"}, []string{"123", "45"}},
		{"NoTerminatorYet", Framing{}, 0, []string{"123"}, nil},
		{"ExactlyMax", Framing{}, 4, []string{"1234\r"}, []string{"1234"}},
		{"OverlongInOneWrite", Framing{}, 4, []string{"12345\r6\r"}, []string{"!", "6"}},
		{"OverlongAcrossWritesResyncs", Framing{}, 4, []string{"123", "456", "789", "0\rok\r"}, []string{"!", "ok"}},
		{"OverlongCRLFSplitTerminator", Framing{Terminator: TermCRLF}, 2, []string{"12345\r", "\nok\r\n"}, []string{"!", "ok"}},
		{"GarbageBytes", Framing{}, 8, []string{"\x00\xff\x1b\r"}, []string{"\x00\xff\x1b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := feed(t, tt.framing, tt.max, tt.writes...)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") || len(got) != len(tt.want) {
				t.Fatalf("frames %q, want %q", got, tt.want)
			}
		})
	}
}

func TestNewFramer_ErrConfig(t *testing.T) {
	for _, f := range []Framing{{Terminator: "etx"}, {Terminator: TermCustom}} {
		if _, err := NewFramer(f, 0); !errors.Is(err, ErrConfig) {
			t.Fatalf("NewFramer(%+v) err = %v, want ErrConfig", f, err)
		}
	}
	if _, err := NewFramer(Framing{}, -1); !errors.Is(err, ErrConfig) {
		t.Fatalf("negative max: err = %v", err)
	}
}
