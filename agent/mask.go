package agent

import "strings"

// MaskCard returns card with all but its last four characters replaced by
// '*', for logs, receipts and API answers. A card of four characters or
// fewer is masked whole, so no log line ever carries a full card number.
func MaskCard(card string) string {
	if card == "" {
		return ""
	}
	if len(card) <= 4 {
		return strings.Repeat("*", len(card))
	}
	return strings.Repeat("*", len(card)-4) + card[len(card)-4:]
}
