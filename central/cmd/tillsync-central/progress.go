package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/tillsync/tillsync/central"
)

// progressBar draws an import's progress on a terminal, redrawn in place;
// on anything else (a log file, a pipe) it prints a line at every tenth
// of the file instead, so logs stay readable.
type progressBar struct {
	w        io.Writer
	tty      bool
	now      func() time.Time
	start    time.Time
	started  bool
	drawn    bool
	lastTick int64 // tenths reported (not a terminal)
}

func newProgressBar(w io.Writer, now func() time.Time) *progressBar {
	tty := false
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	return &progressBar{w: w, tty: tty, now: now, start: now()}
}

const barWidth = 30

func (b *progressBar) update(p central.ImportProgress) {
	imp := p.Import
	if !b.started {
		b.started = true
		if p.Resumed {
			b.clear()
			fmt.Fprintf(b.w, "resuming the import of %s at line %d\n", imp.Name, imp.Line)
		}
	}
	per := int64(0)
	if imp.Size > 0 {
		per = imp.Offset * 1000 / imp.Size // tenths of a percent
	}
	if imp.Done {
		per = 1000
	}
	elapsed := b.now().Sub(b.start)
	rate := int64(0)
	if ms := elapsed.Milliseconds(); ms > 0 {
		rate = p.ThisRun * 1000 / ms
	}
	eta := ""
	if rate > 0 && per > 0 && per < 1000 {
		left := elapsed * time.Duration(1000-per) / time.Duration(per)
		eta = " ETA " + left.Round(time.Second).String()
	}
	line := fmt.Sprintf("%3d.%d%% [%s%s] %d rows, %d bad, %d rows/s%s", per/10, per%10,
		strings.Repeat("#", int(per*barWidth/1000)), strings.Repeat(".", barWidth-int(per*barWidth/1000)),
		imp.Rows, imp.Bad, rate, eta)
	if b.tty {
		fmt.Fprintf(b.w, "\r\033[K%s", line)
		b.drawn = true
		return
	}
	if tick := per / 100; tick > b.lastTick || imp.Done {
		b.lastTick = tick
		fmt.Fprintln(b.w, line)
	}
}

// clear erases the bar so that a message can be printed on its line.
func (b *progressBar) clear() {
	if b.tty && b.drawn {
		fmt.Fprint(b.w, "\r\033[K")
		b.drawn = false
	}
}

// done ends the bar's line.
func (b *progressBar) done() {
	if b.tty && b.drawn {
		fmt.Fprintln(b.w)
		b.drawn = false
	}
}
