package ingest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/seed94f0f622/verso/internal/pgtest"
	"github.com/seed94f0f622/verso/store"
)

func TestStreamMixesEventsAndOTLPExportsAndNamesLines(t *testing.T) {
	st, err := store.Open(pgtest.Location(t, "verso.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	if _, err := st.Commit(ctx, store.CommitInput{Name: "greet", Template: "hi", Author: "ann"}); err != nil {
		t.Fatal(err)
	}
	ns := time.Now().Add(-time.Minute).UnixNano()
	otlp := fmt.Sprintf(`{"resourceSpans":[{"resource":{"attributes":[{"key":"verso.prompt.name","value":{"stringValue":"greet"}}]},"scopeSpans":[{"spans":[`+
		`{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0102030405060708","startTimeUnixNano":"%d","endTimeUnixNano":"%d",`+
		`"attributes":[{"key":"verso.prompt.version","value":{"intValue":"1"}},{"key":"gen_ai.usage.output_tokens","value":{"intValue":"7"}}]},`+
		`{"traceId":"0102030405060708090a0b0c0d0e0f11","spanId":"0102030405060709","startTimeUnixNano":"%d","attributes":[{"key":"gen_ai.request.model","value":{"stringValue":"m"}}]},`+
		`{"traceId":"0102030405060708090a0b0c0d0e0f12","spanId":"010203040506070a","startTimeUnixNano":"%d","attributes":[{"key":"http.route","value":{"stringValue":"/"}}]}`+
		`]}]}]}`, ns, ns+int64(time.Second), ns, ns)
	in := strings.Join([]string{
		fmt.Sprintf(`{"id":"a","prompt":"greet","version":1,"time":%q}`, time.Now().UTC().Format(time.RFC3339)),
		"",
		otlp,
		`{"resourceSpans": 3}`,
		"{" + strings.Repeat(" ", MaxLine) + "}",
		`{"id":"b","prompt":"greet","version":1}`,
	}, "\n")
	res, err := Stream(ctx, st, strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	// The resource's verso.prompt.name applies to its spans: span 1 (with a
	// version) is an event; span 2, a model call without a version, is kept
	// as unattributed; span 3, an HTTP span, is ignored and counted.
	if res.Accepted != 2 || len(res.Rejected) != 3 {
		t.Fatalf("%+v", res)
	}
	want := map[int]string{4: "malformed OTLP JSON", 5: "longer than", 6: "time is required"}
	for _, r := range res.Rejected {
		if !strings.Contains(r.Reason, want[r.Line]) {
			t.Errorf("line %d: %q, want %q", r.Line, r.Reason, want[r.Line])
		}
	}
	if res.Unattributed != 1 || res.Ignored != 1 {
		t.Fatalf("unattributed %d: %+v", res.Unattributed, res)
	}
}

// An event line is read by the rules the wire schema promises whichever
// decoder reads it: the last of a name given twice wins, invalid UTF-8
// becomes U+FFFD, an unknown field is ignored, a wrong type or broken JSON
// is named in words a client can act on.
func TestParseEventRules(t *testing.T) {
	e, err := ParseEvent([]byte(`{"prompt":"a","prompt":"greet","version":2,"time":"2026-01-02T03:04:05Z","model":"m` + "\xff" + `","extra":{"x":[1]},"score":0.5}`))
	if err != nil || e.Prompt != "greet" || e.Version != 2 || e.Model != "m\uFFFD" || e.Score == nil || *e.Score != 0.5 || e.Time.Year() != 2026 {
		t.Fatalf("%+v %v", e, err)
	}
	for line, want := range map[string]string{
		`{"prompt":"greet","version":"2"}`:                             "field version: expected int, got string",
		`{"prompt":"greet","version":1,"latency_ms":true}`:             "field latency_ms: expected float64, got bool",
		`{"prompt":"greet","version":1,"time":12}`:                     "field time: expected string, got number",
		`{"prompt":"greet","version":1,"time":`:                        "malformed JSON",
		`{"prompt":"greet" "version":1}`:                               "malformed JSON at byte",
		`{"prompt":"greet","version":0,"time":"2026-01-02T03:04:05Z"}`: "versions start at 1",
		`{"prompt":"greet","version":1,"time":"yesterday"}`:            `time "yesterday" is not RFC 3339`,
	} {
		if _, err := ParseEvent([]byte(line)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", line, err, want)
		}
	}
}

// BenchmarkParseEvent: one NDJSON line to an event.
func BenchmarkParseEvent(b *testing.B) {
	line := []byte(`{"id":"b12345","prompt":"greet","version":2,"label":"production","model":"gpt-4o-mini","time":"2026-11-29T20:00:01.123Z","latency_ms":412,"tokens_in":300,"tokens_out":90,"cost":0.0002}`)
	for b.Loop() {
		if _, err := ParseEvent(line); err != nil {
			b.Fatal(err)
		}
	}
}
