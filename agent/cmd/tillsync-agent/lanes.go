package main

import (
	"fmt"
	"log/slog"

	"github.com/tillsync/tillsync/agent"
	"github.com/tillsync/tillsync/drivers"
	"github.com/tillsync/tillsync/drivers/serial"
	"github.com/tillsync/tillsync/syncproto"
)

// LaneConfig is one till lane and the devices wired to it.
type LaneConfig struct {
	ID      string         `mapstructure:"id"`
	Devices []DeviceConfig `mapstructure:"devices"`
}

// DeviceConfig is one scanner or card reader (see configs/lanes.example.yaml).
type DeviceConfig struct {
	ID       string        `mapstructure:"id"`
	Kind     string        `mapstructure:"kind"`
	Path     string        `mapstructure:"path"`
	Baud     int           `mapstructure:"baud"`
	Framing  FramingConfig `mapstructure:"framing"`
	MaxFrame int           `mapstructure:"max_frame"`
}

// FramingConfig says how a serial or keyboard-mode device ends its reads.
type FramingConfig struct {
	Terminator string `mapstructure:"terminator"` // cr, lf, crlf or custom
	Suffix     string `mapstructure:"suffix"`
	Prefix     string `mapstructure:"prefix"`
	AIM        bool   `mapstructure:"aim"`
}

// newRegistry returns the device kinds this build supports.
func newRegistry(logger *slog.Logger) (*drivers.Registry, error) {
	reg := drivers.NewRegistry()
	if err := serial.Register(reg, serial.Options{Logger: logger}); err != nil {
		return nil, fmt.Errorf("register serial drivers: %w", err)
	}
	if err := registerUSB(reg, logger); err != nil {
		return nil, fmt.Errorf("register usb drivers: %w", err)
	}
	return reg, nil
}

// laneDevices turns the lanes section into the agent's device list.
func laneDevices(lanes []LaneConfig) []agent.LaneDevices {
	out := make([]agent.LaneDevices, 0, len(lanes))
	for _, l := range lanes {
		ld := agent.LaneDevices{Lane: l.ID}
		for _, d := range l.Devices {
			ld.Devices = append(ld.Devices, drivers.Config{
				ID: d.ID, Kind: d.Kind, Path: d.Path, Baud: d.Baud, MaxFrame: d.MaxFrame,
				Framing: drivers.Framing{Terminator: d.Framing.Terminator, Suffix: d.Framing.Suffix,
					Prefix: d.Framing.Prefix, AIM: d.Framing.AIM},
			})
		}
		out = append(out, ld)
	}
	return out
}

// validateLanes names every problem of the lanes section by its key.
func validateLanes(lanes []LaneConfig) []string {
	var p []string
	reg, err := newRegistry(nil)
	if err != nil {
		return []string{err.Error()}
	}
	kinds := map[string]bool{}
	for _, k := range reg.Kinds() {
		kinds[k] = true
	}
	seenLane, seenDev := map[string]bool{}, map[string]bool{}
	for i, l := range lanes {
		key := fmt.Sprintf("lanes[%d]", i)
		if err := syncproto.ValidID(l.ID); err != nil {
			p = append(p, fmt.Sprintf("%s.id: %q is not a valid lane id: %v", key, l.ID, err))
		} else if seenLane[l.ID] {
			p = append(p, fmt.Sprintf("%s.id: lane %q is listed twice", key, l.ID))
		}
		seenLane[l.ID] = true
		for j, d := range laneDevices(lanes[i : i+1])[0].Devices {
			dkey := fmt.Sprintf("%s.devices[%d]", key, j)
			switch {
			case seenDev[d.ID]:
				p = append(p, fmt.Sprintf("%s.id: device %q is listed twice", dkey, d.ID))
			case !kinds[d.Kind]:
				p = append(p, fmt.Sprintf("%s.kind: %q is not one of %v", dkey, d.Kind, reg.Kinds()))
			}
			seenDev[d.ID] = true
			if err := d.Validate(); err != nil {
				p = append(p, fmt.Sprintf("%s: %v", dkey, err))
			}
		}
	}
	return p
}
