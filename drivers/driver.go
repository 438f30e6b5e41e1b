package drivers

import (
	"context"
	"fmt"
	"sort"
	"sync"
)

// Driver runs one device. Run opens (claims, enables) the device and
// reports what it reads through emit until ctx ends, then releases the
// device and returns nil. It reconnects by itself with a backoff and
// reports each change of health as a State event; it returns an error
// only for a failure no retry can cure (the error is not a *RetryError).
// emit is called from Run's goroutine, one event at a time; it must not
// block for long, since the device is not read meanwhile.
type Driver interface {
	Run(ctx context.Context, emit func(Event)) error
}

// Factory builds a Driver from its Config. It validates the config and
// must not open the device; a bad config is an error wrapping ErrConfig.
type Factory func(cfg Config) (Driver, error)

// Registry maps a device kind to its Factory. It is a value the agent
// builds at start-up, not package state. It is safe for concurrent use.
type Registry struct {
	mu        sync.RWMutex
	factories map[string]Factory
}

// NewRegistry returns an empty Registry.
func NewRegistry() *Registry {
	return &Registry{factories: make(map[string]Factory)}
}

// Register adds a Factory for kind. Registering a kind twice, an empty
// kind or a nil factory is an error.
func (r *Registry) Register(kind string, f Factory) error {
	if kind == "" || f == nil {
		return fmt.Errorf("register device kind %q: empty kind or nil factory", kind)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.factories[kind]; dup {
		return fmt.Errorf("register device kind %q: already registered", kind)
	}
	r.factories[kind] = f
	return nil
}

// New validates cfg and builds its Driver with the Factory registered for
// cfg.Kind. An unregistered kind wraps ErrUnknownKind.
func (r *Registry) New(cfg Config) (Driver, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	r.mu.RLock()
	f, ok := r.factories[cfg.Kind]
	r.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("device %s: %w %q (known: %v)", cfg.ID, ErrUnknownKind, cfg.Kind, r.Kinds())
	}
	d, err := f(cfg)
	if err != nil {
		return nil, fmt.Errorf("device %s: %w", cfg.ID, err)
	}
	return d, nil
}

// Kinds returns the registered kinds, sorted.
func (r *Registry) Kinds() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	kinds := make([]string, 0, len(r.factories))
	for k := range r.factories {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	return kinds
}
