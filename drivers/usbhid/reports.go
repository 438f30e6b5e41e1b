//go:build !nousb

package usbhid

import (
	"errors"
	"log/slog"

	"github.com/tillsync/tillsync/drivers"
	"github.com/tillsync/tillsync/drivers/hid"
)

// Cashier messages for a lost read (drivers.State.Reason).
const (
	retryScan = "barcode could not be read, scan again"
)

// reportHandler turns the device's input reports into events. The events
// it emits carry no Device or Time; the run stamps them.
type reportHandler interface {
	handle(report []byte, emit func(drivers.Event))
	reset() // forget partial input, e.g. after a reconnect
}

// keyboardHandler serves wedge scanners and keyboard-mode card readers:
// boot keyboard reports → characters → frames → decode.
type keyboardHandler struct {
	keys   hid.KeyboardDecoder
	framer *drivers.Framer
	decode func(frame []byte) drivers.Event
	retry  string // the cashier's message for an overlong frame
	log    *slog.Logger
	chars  []byte
}

var (
	_ reportHandler = (*keyboardHandler)(nil)
	_ reportHandler = (*posHandler)(nil)
)

func (h *keyboardHandler) handle(report []byte, emit func(drivers.Event)) {
	var err error
	h.chars, err = h.keys.AppendDecode(h.chars[:0], report)
	if err != nil {
		// The known keys were still decoded; an unknown key is a scanner
		// set to a non-US layout or sending a function key, worth a note
		// but not worth dropping the scan.
		h.log.Debug("keyboard report", "err", err)
	}
	h.framer.Feed(h.chars, func(frame []byte, err error) {
		if err != nil {
			h.log.Warn("frame dropped", "err", err)
			emit(drivers.Event{Kind: drivers.KindState, State: drivers.State{State: drivers.Error, Reason: h.retry}})
			return
		}
		emit(h.decode(frame))
	})
}

func (h *keyboardHandler) reset() {
	h.keys.Reset()
	h.framer.Reset()
}

// posHandler serves HID POS scanners (usage page 0x8C).
type posHandler struct {
	asm hid.POSAssembler
	log *slog.Logger
	buf []byte
}

func (h *posHandler) handle(report []byte, emit func(drivers.Event)) {
	aim, data, done, err := h.asm.Feed(report)
	if err != nil {
		h.log.Warn("HID POS report dropped", "err", err)
		emit(drivers.Event{Kind: drivers.KindState, State: drivers.State{State: drivers.Error, Reason: retryScan}})
		return
	}
	if !done {
		return
	}
	// Raw is the frame as received, AIM identifier included (drivers.Scan).
	h.buf = append(append(h.buf[:0], aim...), data...)
	emit(drivers.Event{Kind: drivers.KindScan, Scan: drivers.NewScan(h.buf, aim != "")})
}

func (h *posHandler) reset() { h.asm.Reset() }

// scanEvent is the decode of a wedge scanner's frame.
func scanEvent(withAIM bool) func([]byte) drivers.Event {
	return func(frame []byte) drivers.Event {
		return drivers.Event{Kind: drivers.KindScan, Scan: drivers.NewScan(frame, withAIM)}
	}
}

// swipeEvent is the decode of a card reader's frame: a Card, or an Error
// state with the UnifiedPOS MSR code and never any track data.
func swipeEvent(frame []byte) drivers.Event {
	card, err := drivers.ParseTracks(string(frame))
	if err != nil {
		code := 0
		var cre *drivers.CardReadError
		if errors.As(err, &cre) {
			code = cre.Code
		}
		return drivers.Event{Kind: drivers.KindState, State: drivers.State{
			State: drivers.Error, Reason: drivers.ErrCardRead.Error(), Code: code}}
	}
	return drivers.Event{Kind: drivers.KindCard, Card: card}
}
