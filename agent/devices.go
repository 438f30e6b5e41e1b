package agent

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/tillsync/tillsync/drivers"
)

// LaneDevices names the devices of one lane.
type LaneDevices struct {
	Lane    string
	Devices []drivers.Config
}

// DeviceStatus is one device as the till and the store manager see it.
type DeviceStatus struct {
	ID, Kind, Lane string
	State          string // "offline", "online", "error"; "starting" before the driver reports
	Reason         string
	Since          time.Time
	Scans, Cards   int64
}

// Devices runs the lanes' scanners and card readers and routes what they
// read to their lane: a scan to the lane's basket (a membership card
// scanned from the scanner attaches the member), a swipe to the lane's
// member slot. A device that is missing or fails is shown offline while
// its driver keeps retrying; it never stops the agent. Safe for
// concurrent use.
type Devices struct {
	Till     *Till
	Registry *drivers.Registry
	Logger   *slog.Logger
	// OnEvent, if set, sees every driver event (for `devices watch`); it
	// must not block.
	OnEvent func(lane string, e drivers.Event)

	mu     sync.Mutex
	status map[string]*DeviceStatus
}

// Start creates every configured driver (failing on a bad device config,
// before anything runs) and runs them until ctx ends. The returned wait
// blocks until every driver has stopped.
func (d *Devices) Start(ctx context.Context, lanes []LaneDevices) (wait func(), err error) {
	type run struct {
		lane string
		drv  drivers.Driver
	}
	var runs []run
	d.mu.Lock()
	d.status = map[string]*DeviceStatus{}
	for _, l := range lanes {
		for _, cfg := range l.Devices {
			drv, err := d.Registry.New(cfg)
			if err != nil {
				d.mu.Unlock()
				return nil, fmt.Errorf("lane %s device %s: %w", l.Lane, cfg.ID, err)
			}
			d.status[cfg.ID] = &DeviceStatus{ID: cfg.ID, Kind: cfg.Kind, Lane: l.Lane, State: "starting"}
			runs = append(runs, run{l.Lane, drv})
		}
	}
	d.mu.Unlock()
	var wg sync.WaitGroup
	for _, r := range runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := r.drv.Run(ctx, func(e drivers.Event) { d.handle(ctx, r.lane, e) }); err != nil {
				d.logger().Error("device driver stopped", "lane", r.lane, "err", err)
			}
		}()
	}
	return wg.Wait, nil
}

func (d *Devices) logger() *slog.Logger {
	if d.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return d.Logger
}

// handle routes one driver event. Till errors (an unknown barcode, a
// blocked card) already reach the lane's screen as lane events; here they
// are only logged at debug level.
func (d *Devices) handle(ctx context.Context, lane string, e drivers.Event) {
	d.record(e)
	if d.OnEvent != nil {
		d.OnEvent(lane, e)
	}
	if d.Till == nil {
		return
	}
	var err error
	switch e.Kind {
	case drivers.KindScan:
		_, _, err = d.Till.Scan(ctx, lane, e.Scan.Label)
	case drivers.KindCard:
		_, err = d.Till.AttachCard(ctx, lane, e.Card.Card)
	case drivers.KindState:
		if e.State.State == drivers.Error {
			d.Till.emit(LaneEvent{Lane: lane, Kind: EventError, Message: e.State.Reason})
		}
	}
	if err != nil {
		d.logger().Debug("device read refused", "lane", lane, "device", e.Device, "code", ErrorCode(err), "err", ErrorMessage(err))
	}
}

func (d *Devices) record(e drivers.Event) {
	d.mu.Lock()
	defer d.mu.Unlock()
	s, ok := d.status[e.Device]
	if !ok {
		return
	}
	switch e.Kind {
	case drivers.KindScan, drivers.KindCard:
		if e.Kind == drivers.KindScan {
			s.Scans++
		} else {
			s.Cards++
		}
		// An error state is momentary (a bad swipe): a good read means
		// the device works again.
		if s.State != "online" {
			s.State, s.Reason, s.Since = "online", "", e.Time
		}
	case drivers.KindState:
		state := e.State.State.String()
		if state != s.State {
			s.Since = e.Time
		}
		s.State, s.Reason = state, e.State.Reason
	}
}

// Status returns every configured device, sorted by lane and id.
func (d *Devices) Status() []DeviceStatus {
	d.mu.Lock()
	out := make([]DeviceStatus, 0, len(d.status))
	for _, s := range d.status {
		out = append(out, *s)
	}
	d.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].Lane != out[j].Lane {
			return out[i].Lane < out[j].Lane
		}
		return out[i].ID < out[j].ID
	})
	return out
}
