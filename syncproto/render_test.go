package syncproto

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// renderedJSON is the shape RenderJSON promises, as a reader decodes it.
type renderedJSON struct {
	Kind    string         `json:"kind"`
	Message map[string]any `json:"message"`
}

func TestRenderJSON(t *testing.T) {
	batch := readGolden(t, goldenBatch)
	ack := readGolden(t, goldenAck)
	event := rawMarshal(t, sampleBatch(t).GetEvents()[1])

	ok := []struct {
		name, kind string
		payload    []byte
		wantKind   string
		wantField  string // a top-level field of the message
	}{
		{"OKBatch", RenderBatch, batch, RenderBatch, "first_seq"},
		{"OKAck", RenderAck, ack, RenderAck, "ranges"},
		{"OKEvent", RenderEvent, event, RenderEvent, "sale_committed"},
		{"OKAutoBatch", RenderAuto, batch, RenderBatch, "signature"},
		{"OKAutoAck", "", ack, RenderAck, "central_time_ms"},
		{"OKAutoEvent", RenderAuto, event, RenderEvent, "event_id"},
	}
	for _, tt := range ok {
		t.Run(tt.name, func(t *testing.T) {
			out, err := RenderJSON(tt.kind, tt.payload)
			if err != nil {
				t.Fatalf("RenderJSON: %v", err)
			}
			var got renderedJSON
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatalf("output is not JSON: %v\n%s", err, out)
			}
			if got.Kind != tt.wantKind {
				t.Errorf("kind %q, want %q", got.Kind, tt.wantKind)
			}
			if _, ok := got.Message[tt.wantField]; !ok {
				t.Errorf("message has no %q field:\n%s", tt.wantField, out)
			}
			if !strings.Contains(string(out), "\n  ") {
				t.Errorf("output is not indented:\n%s", out)
			}
		})
	}

	errs := []struct {
		name, kind string
		payload    []byte
		want       error  // nil: any error
		msg        string // a substring the error must contain
	}{
		{"ErrUnknownRenderKind", "sale", batch, nil, `unknown kind "sale"`},
		{"ErrBatchAsAck", RenderAck, batch, ErrMalformed, "decode ack"},
		{"ErrAckAsBatch", RenderBatch, ack, ErrMalformed, "decode batch"},
		{"ErrAutoGarbage", RenderAuto, garbage["Text"], ErrMalformed, "no known message"},
		{"ErrAutoEmpty", "", garbage["Empty"], ErrUnknownKind, "decode event"},
		{"ErrAutoTooLarge", RenderAuto, make([]byte, MaxPayloadSize+1), ErrTooLarge, "render"},
		{"ErrSchemaTooNew", RenderBatch, editBatch(t, func(b *Batch) { b.SchemaVersion = 3 }), ErrSchemaTooNew, "schema_version 3"},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			out, err := RenderJSON(tt.kind, tt.payload)
			if err == nil {
				t.Fatalf("RenderJSON succeeded:\n%s", out)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("error = %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not contain %q", err, tt.msg)
			}
		})
	}
}
