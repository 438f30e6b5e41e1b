package drivers

import "strings"

// ISO/IEC 7813 track character sets as keyboard-wedge and serial readers
// print them: track 1 is 6-bit (ASCII 0x20–0x5F, value = char − 0x20),
// track 2 is 5-bit with odd parity, of which 4 data bits reach us (ASCII
// 0x30–0x3F, value = char − 0x30).
const (
	track1Base, track1Mask = 0x20, 0x3f
	track2Base, track2Mask = 0x30, 0x0f
	maxPAN                 = 19 // ISO/IEC 7812-1
)

// track is one track's data between its sentinels.
type track struct {
	num        int
	data       string // between start and end sentinel
	unreadable bool   // the reader printed "E": it found nothing readable
}

// ParseTracks reads one swipe as a keyboard-wedge or serial reader prints
// it (terminator already removed): track 1 "%B<PAN>^<NAME>^<YYMM>...?"
// and/or track 2 ";<PAN>=<YYMM>...?", each optionally followed by its LRC
// character. Track 3 (a second ';' track) is checked and ignored.
//
// The LRC (ISO/IEC 7811-2/-6) is the XOR of the character values from
// start sentinel through end sentinel, masked to the track's data bits
// (4 for track 2, 6 for track 1), printed as base + value; the LRC's own
// parity bit never reaches us, so it is not checked. The character after
// '?' is taken as the LRC when it matches; a non-matching character that
// starts another track ('%' or ';') means no LRC was sent; anything else
// is an LRC error.
//
// A track the reader marks unreadable ("%E?", ";E?") is skipped, since
// loyalty cards usually carry track 2 only and a three-track reader then
// prints "%E?" for track 1; if no track yields a card number the result
// is a *CardReadError and never a Card. Sentinel, character-set and LRC
// faults are *CardReadErrors with the UnifiedPOS codes 201–204. The card
// holder's name on track 1 is dropped and never returned (privacy).
func ParseTracks(frame string) (Card, error) {
	tracks, err := splitTracks(strings.TrimSpace(frame))
	if err != nil {
		return Card{}, err
	}
	var c Card
	unreadable := 0
	for _, t := range tracks {
		if t.unreadable {
			unreadable = t.num
			continue
		}
		if err := c.addTrack(t); err != nil {
			return Card{}, err
		}
	}
	if c.Card == "" {
		if unreadable != 0 {
			return Card{}, &CardReadError{Track: unreadable, Detail: "the reader reported the track unreadable"}
		}
		return Card{}, &CardReadError{Detail: "no card number on the card"}
	}
	return c, nil
}

// splitTracks finds each track's sentinels and checks characters and LRC.
func splitTracks(frame string) ([]track, error) {
	if frame == "" {
		return nil, &CardReadError{Code: MSRErrStart, Detail: "no track data"}
	}
	var tracks []track
	seen2 := false
	for pos := 0; pos < len(frame); {
		num, base, mask := 0, 0, 0
		switch frame[pos] {
		case '%':
			num, base, mask = 1, track1Base, track1Mask
		case ';':
			num, base, mask = 2, track2Base, track2Mask
			if seen2 {
				num = 3 // ISO/IEC 4909 track 3 shares track 2's start sentinel
			}
			seen2 = true
		default:
			return nil, &CardReadError{Code: MSRErrStart, Detail: "no start sentinel"}
		}
		t, next, err := scanTrack(frame, pos, num, byte(base), byte(mask))
		if err != nil {
			return nil, err
		}
		if num != 3 {
			tracks = append(tracks, t)
		}
		pos = next
	}
	return tracks, nil
}

// scanTrack reads the track starting at frame[pos] (its start sentinel)
// and returns it and the position after it (and its LRC, if any).
func scanTrack(frame string, pos, num int, base, mask byte) (track, int, error) {
	end := strings.IndexByte(frame[pos+1:], '?')
	if end < 0 {
		return track{}, 0, &CardReadError{Track: num, Code: MSRErrEnd, Detail: "no end sentinel"}
	}
	end += pos + 1
	if frame[pos+1:end] == "E" {
		// The reader's own "unreadable" mark, outside track 2's character
		// set and sent without an LRC.
		return track{num: num, data: "E", unreadable: true}, end + 1, nil
	}
	lrc := byte(0)
	for i := pos; i <= end; i++ {
		ch := frame[i]
		if ch < base || ch > base+mask {
			return track{}, 0, &CardReadError{Track: num, Code: MSRErrParity, Detail: "character outside the track's character set"}
		}
		lrc ^= ch - base
	}
	t := track{num: num, data: frame[pos+1 : end]}
	next := end + 1
	if next < len(frame) {
		switch ch := frame[next]; {
		case ch == base+lrc&mask:
			next++
		case ch == '%' || ch == ';':
		default:
			return track{}, 0, &CardReadError{Track: num, Code: MSRErrLRC, Detail: "LRC does not match"}
		}
	}
	return t, next, nil
}

// addTrack takes the card number (and expiry) from one readable track.
func (c *Card) addTrack(t track) error {
	var pan, rest string
	switch t.num {
	case 1:
		// Format code B (ISO/IEC 7813): B PAN ^ NAME ^ YYMM service ...
		parts := strings.SplitN(t.data, "^", 3)
		if len(parts) != 3 || !strings.HasPrefix(parts[0], "B") {
			return nil // not a financial-format track 1: nothing we may keep
		}
		pan, rest = parts[0][1:], parts[2]
		c.Track1 = "%B" + pan + "^^" + rest + "?" // name dropped (privacy)
	case 2:
		pan, rest, _ = strings.Cut(t.data, "=")
		c.Track2 = ";" + t.data + "?"
	}
	if !isPAN(pan) {
		return &CardReadError{Track: t.num, Detail: "no card number on the track"}
	}
	if c.Card != "" && c.Card != pan {
		return &CardReadError{Track: t.num, Detail: "tracks 1 and 2 disagree"}
	}
	c.Card = pan
	if len(rest) >= 4 && isDigits(rest[:4]) && c.Expiry == "" {
		c.Expiry = rest[:4]
	}
	return nil
}

func isPAN(s string) bool { return len(s) <= maxPAN && isDigits(s) }

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
