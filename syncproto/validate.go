package syncproto

import "fmt"

// ValidateBatch checks what every Batch must hold: a schema_version from 1
// to SchemaVersion (ErrMalformed when missing, ErrSchemaTooNew when higher),
// an agent id and at least one event (ErrMalformed), and events holding
// exactly the seqs first_seq..last_seq in order, with first_seq ≥ 1 because
// seq 0 means "empty journal" (ErrSeqRange). It does not check the events'
// kinds; see ValidateEvent.
func ValidateBatch(b *Batch) error {
	if b == nil {
		return fmt.Errorf("nil batch: %w", ErrMalformed)
	}
	if err := checkSchema(b.GetSchemaVersion()); err != nil {
		return err
	}
	if b.GetAgentId() == "" {
		return fmt.Errorf("no agent_id: %w", ErrMalformed)
	}
	if len(b.GetEvents()) == 0 {
		return fmt.Errorf("no events: %w", ErrMalformed)
	}
	return checkSeqs(b.GetFirstSeq(), b.GetLastSeq(), b.GetEvents())
}

func checkSeqs(first, last uint64, events []*Event) error {
	if first == 0 || last < first {
		return fmt.Errorf("first_seq %d, last_seq %d: %w", first, last, ErrSeqRange)
	}
	// Compare as differences so that no sum can overflow uint64.
	if last-first != uint64(len(events)-1) {
		return fmt.Errorf("seqs %d..%d but %d events: %w", first, last, len(events), ErrSeqRange)
	}
	for i, ev := range events {
		if ev == nil {
			return fmt.Errorf("event %d is nil: %w", i, ErrMalformed)
		}
		if want := first + uint64(i); ev.GetSeq() != want {
			return fmt.Errorf("event %d has seq %d, want %d: %w", i, ev.GetSeq(), want, ErrSeqRange)
		}
	}
	return nil
}

// ValidateAck checks what every Ack must hold: a schema_version from 1 to
// SchemaVersion (ErrMalformed when missing, ErrSchemaTooNew when higher), an
// agent id, and at least one range, each with 1 ≤ first ≤ last (ErrMalformed).
func ValidateAck(a *Ack) error {
	if a == nil {
		return fmt.Errorf("nil ack: %w", ErrMalformed)
	}
	if err := checkSchema(a.GetSchemaVersion()); err != nil {
		return err
	}
	if a.GetAgentId() == "" {
		return fmt.Errorf("no agent_id: %w", ErrMalformed)
	}
	if len(a.GetRanges()) == 0 {
		return fmt.Errorf("no ranges: %w", ErrMalformed)
	}
	for i, r := range a.GetRanges() {
		if r == nil || r.GetFirst() == 0 || r.GetLast() < r.GetFirst() {
			return fmt.Errorf("range %d is [%d, %d]: %w", i, r.GetFirst(), r.GetLast(), ErrMalformed)
		}
	}
	return nil
}

// ValidateEvent checks that e carries a payload this version knows
// (ErrUnknownKind otherwise). Central calls it per event of a batch to
// quarantine what it cannot apply.
func ValidateEvent(e *Event) error {
	if e == nil {
		return fmt.Errorf("nil event: %w", ErrMalformed)
	}
	switch p := e.GetPayload().(type) {
	case *Event_SaleCommitted:
		if p.SaleCommitted == nil {
			return fmt.Errorf("event seq %d: empty sale_committed: %w", e.GetSeq(), ErrMalformed)
		}
		return nil
	case *Event_ReturnCommitted:
		if p.ReturnCommitted == nil {
			return fmt.Errorf("event seq %d: empty return_committed: %w", e.GetSeq(), ErrMalformed)
		}
		return nil
	case *Event_MemberEnrolled:
		if p.MemberEnrolled == nil {
			return fmt.Errorf("event seq %d: empty member_enrolled: %w", e.GetSeq(), ErrMalformed)
		}
		return nil
	default:
		// A newer agent's kind arrives as unknown fields and an empty oneof.
		return fmt.Errorf("event seq %d: %w", e.GetSeq(), ErrUnknownKind)
	}
}

func checkSchema(v uint32) error {
	switch {
	case v == 0:
		return fmt.Errorf("no schema_version: %w", ErrMalformed)
	case v > SchemaVersion:
		return fmt.Errorf("schema_version %d, this build understands up to %d: %w", v, SchemaVersion, ErrSchemaTooNew)
	}
	return nil
}

// ValidatePresence checks what every Presence must hold: a schema_version
// from 1 to SchemaVersion (ErrMalformed when missing, ErrSchemaTooNew when
// higher), an agent and a store id, and a session of at least 1: session 0
// would order before every real one (DESIGN §5 rule 3).
func ValidatePresence(p *Presence) error {
	if p == nil {
		return fmt.Errorf("nil presence: %w", ErrMalformed)
	}
	if err := checkSchema(p.GetSchemaVersion()); err != nil {
		return err
	}
	if p.GetAgentId() == "" || p.GetStoreId() == "" {
		return fmt.Errorf("no agent_id or store_id: %w", ErrMalformed)
	}
	if p.GetSession() == 0 {
		return fmt.Errorf("session 0: %w", ErrMalformed)
	}
	return nil
}
