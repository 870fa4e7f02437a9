package ingest

import (
	"testing"
	"unicode/utf8"
)

// FuzzEvent feeds arbitrary bytes to every parser `verso serve` and
// `verso ingest` put in front of the network: events, feedback and OTLP in
// both encodings (then the span mapping). None may panic; an accepted event
// carries valid UTF-8 only.
func FuzzEvent(f *testing.F) {
	f.Add([]byte(`{"prompt":"support/reply","version":2,"time":"2026-11-29T10:00:00Z","latency_ms":120,"status":"ok"}`))
	f.Add([]byte(`{"event_id":"e1","score":0.5}`))
	f.Add([]byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"chat","attributes":[{"key":"gen_ai.request.model","value":{"stringValue":"gpt"}},{"key":"verso.prompt.name","value":{"stringValue":"a"}}]}]}]}]}`))
	f.Add([]byte{0x0a, 0x02, 0x0a, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		if e, err := ParseEvent(b); err == nil {
			for _, s := range []string{e.Prompt, e.Label, e.Arm, e.Unit, e.Model, e.ErrorKind} {
				if !utf8.ValidString(s) {
					t.Fatalf("accepted invalid UTF-8 %q", s)
				}
			}
		}
		_, _ = ParseFeedback(b)
		if req, err := ParseOTLPJSON(b); err == nil {
			_ = MapSpans(req)
		}
		if req, err := ParseOTLPProto(b); err == nil {
			_ = MapSpans(req)
		}
	})
}
