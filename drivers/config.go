package drivers

import "fmt"

// Terminators a Framing may name.
const (
	TermCR     = "cr"
	TermLF     = "lf"
	TermCRLF   = "crlf"
	TermCustom = "custom" // Framing.Suffix ends each frame
)

// DefaultMaxFrame is the MaxFrame used when a Config leaves it 0: longer
// than any GS1-128 (48 data characters) or 2D loyalty code a till reads.
const DefaultMaxFrame = 512

// Framing says how a device separates its reads on a byte stream.
type Framing struct {
	Terminator string // TermCR, TermLF, TermCRLF or TermCustom; "" means TermCR
	Suffix     string // the terminator bytes when Terminator is TermCustom
	Prefix     string // stripped from the front of a frame when present
	AIM        bool   // frames start with an AIM identifier ("]E0")
}

// Config describes one device of a lane. It is plain data: cmd builds it
// from the agent's config file and a Factory validates it.
type Config struct {
	ID       string // unique per agent, e.g. "lane1-scanner"
	Kind     string // Registry key, e.g. "serial-scanner"
	Path     string // device path; drivers may accept a glob ("/dev/ttyACM*")
	Baud     int
	Framing  Framing
	MaxFrame int // bytes per frame; 0 means DefaultMaxFrame
}

// Validate checks the fields every driver uses and names the bad one. It
// does not touch the device (telegraf: Init validates, never connects).
func (c Config) Validate() error {
	switch {
	case c.ID == "":
		return fmt.Errorf("device config: %w: id is empty", ErrConfig)
	case c.Kind == "":
		return fmt.Errorf("device %s: %w: kind is empty", c.ID, ErrConfig)
	case c.Path == "":
		return fmt.Errorf("device %s: %w: path is empty", c.ID, ErrConfig)
	case c.Baud < 0:
		return fmt.Errorf("device %s: %w: baud %d is negative", c.ID, ErrConfig, c.Baud)
	case c.MaxFrame < 0:
		return fmt.Errorf("device %s: %w: max_frame %d is negative", c.ID, ErrConfig, c.MaxFrame)
	}
	if _, err := c.Framing.terminator(); err != nil {
		return fmt.Errorf("device %s: %w", c.ID, err)
	}
	return nil
}

// terminator returns the bytes that end a frame.
func (f Framing) terminator() ([]byte, error) {
	switch f.Terminator {
	case "", TermCR:
		return []byte("\r"), nil
	case TermLF:
		return []byte("\n"), nil
	case TermCRLF:
		return []byte("\r\n"), nil
	case TermCustom:
		if f.Suffix == "" {
			return nil, fmt.Errorf("%w: framing.suffix is empty but framing.terminator is custom", ErrConfig)
		}
		return []byte(f.Suffix), nil
	default:
		return nil, fmt.Errorf("%w: framing.terminator %q: want cr, lf, crlf or custom", ErrConfig, f.Terminator)
	}
}

func (c Config) maxFrame() int {
	if c.MaxFrame == 0 {
		return DefaultMaxFrame
	}
	return c.MaxFrame
}
