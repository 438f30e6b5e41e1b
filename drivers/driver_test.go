package drivers

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

type nopDriver struct{}

func (nopDriver) Run(ctx context.Context, _ func(Event)) error { <-ctx.Done(); return nil }

func TestRegistry_New(t *testing.T) {
	r := NewRegistry()
	if err := r.Register("nop", func(Config) (Driver, error) { return nopDriver{}, nil }); err != nil {
		t.Fatalf("Register: %v", err)
	}
	cfg := Config{ID: "d1", Kind: "nop", Path: "/dev/x"}
	t.Run("OK", func(t *testing.T) {
		if _, err := r.New(cfg); err != nil {
			t.Fatalf("New: %v", err)
		}
	})
	t.Run("ErrUnknownKind", func(t *testing.T) {
		c := cfg
		c.Kind = "laser"
		if _, err := r.New(c); !errors.Is(err, ErrUnknownKind) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("ErrConfig", func(t *testing.T) {
		c := cfg
		c.ID = ""
		if _, err := r.New(c); !errors.Is(err, ErrConfig) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("ErrDuplicate", func(t *testing.T) {
		if err := r.Register("nop", func(Config) (Driver, error) { return nopDriver{}, nil }); err == nil {
			t.Fatal("duplicate kind accepted")
		}
	})
	if got := fmt.Sprint(r.Kinds()); got != "[nop]" {
		t.Fatalf("Kinds() = %s", got)
	}
}

func TestRetryError(t *testing.T) {
	cause := errors.New("no such file")
	err := fmt.Errorf("open: %w", &RetryError{Device: "s1", Err: cause})
	var re *RetryError
	if !errors.As(err, &re) || !errors.Is(err, cause) || !Retryable(err) || Retryable(cause) {
		t.Fatalf("RetryError not found through wrapping: %v", err)
	}
	if got := re.Error(); got != "device s1: no such file (will retry)" {
		t.Fatalf("Error() = %q", got)
	}
}

func TestBackoff_Wait(t *testing.T) {
	var slept []time.Duration
	b := Backoff{Min: 100 * time.Millisecond, Max: time.Second, Sleep: func(_ context.Context, d time.Duration) error {
		slept = append(slept, d)
		return nil
	}}
	for i := 0; i < 6; i++ {
		if err := b.Wait(context.Background(), i); err != nil {
			t.Fatalf("Wait: %v", err)
		}
	}
	if got := fmt.Sprint(slept); got != "[100ms 200ms 400ms 800ms 1s 1s]" {
		t.Fatalf("delays %s", got)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := (Backoff{Min: time.Hour}).Wait(ctx, 0); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Wait = %v", err)
	}
}
