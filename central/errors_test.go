package central_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/tillsync/tillsync/central"
)

func TestErrorCode(t *testing.T) {
	coded := central.Errorf(central.ENOTFOUND, "sale %q not found", "x")
	tests := []struct {
		name     string
		err      error
		code     string
		message  string
		errorMsg string
	}{
		{"Nil", nil, "", "internal error", ""},
		{"Coded", coded, central.ENOTFOUND, `sale "x" not found`, `not_found: sale "x" not found`},
		{"Wrapped", fmt.Errorf("read sale: %w", coded), central.ENOTFOUND, `sale "x" not found`, ""},
		{"Other", errors.New("disk on fire"), central.EINTERNAL, "internal error", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := central.ErrorCode(tt.err); got != tt.code {
				t.Errorf("ErrorCode = %q, want %q", got, tt.code)
			}
			if got := central.ErrorMessage(tt.err); got != tt.message {
				t.Errorf("ErrorMessage = %q, want %q", got, tt.message)
			}
			if tt.errorMsg != "" && tt.err.Error() != tt.errorMsg {
				t.Errorf("Error() = %q, want %q", tt.err.Error(), tt.errorMsg)
			}
		})
	}
}
