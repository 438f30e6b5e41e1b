package mqtt

import (
	"testing"
	"time"
)

func TestSender_AckDeadline(t *testing.T) {
	s := &sender{u: &Uplink{cfg: Config{AckTimeout: time.Second}}}
	sent := time.Unix(1000, 0)
	for _, tt := range []struct {
		sends int
		want  time.Duration
	}{
		{0, time.Second},
		{1, time.Second},
		{2, 2 * time.Second},
		{3, 4 * time.Second},
		{5, 16 * time.Second},
		{50, 16 * time.Second},
	} {
		b := &batch{sentAt: sent, sends: tt.sends}
		if got := s.ackDeadline(b).Sub(sent); got != tt.want {
			t.Errorf("after %d sends: deadline in %s, want %s", tt.sends, got, tt.want)
		}
	}
}
