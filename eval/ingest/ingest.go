// Package ingest reads production events into the store: NDJSON (or one
// JSON object) in the event schema of DESIGN section 8, and OpenTelemetry
// traces (OTLP protobuf or JSON) mapped through the GenAI semantic
// conventions. `verso serve` and `verso ingest` both go through it, so a
// line is judged the same way whichever door it came in by.
package ingest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	json2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/seed94f0f622/verso/store"
)

// MaxLine is the longest NDJSON line (one event, or one OTLP JSON export).
const MaxLine = 4 << 20

// BatchSize is how many events are committed per transaction when reading a
// stream.
const BatchSize = 5000

// Rejected is one refused item: its line (1-based; 0 when the input was not
// line-based) and why.
type Rejected struct {
	Line   int    `json:"line,omitempty"`
	ID     string `json:"id,omitempty"`
	Reason string `json:"reason"`
}

// Result counts what an input did. Accepted and duplicate items are
// committed; rejected ones are named. Ignored counts OTLP spans that are not
// model calls (no gen_ai.* or verso.* attributes).
type Result struct {
	Accepted     int        `json:"accepted"`
	Duplicate    int        `json:"duplicate"`
	Unattributed int        `json:"unattributed"`
	Ignored      int        `json:"ignored"`
	Rejected     []Rejected `json:"rejected"`
}

// eventJSON is the wire shape of an event. Pointers tell absent from zero.
type eventJSON struct {
	ID        string   `json:"id,omitempty"`
	Prompt    string   `json:"prompt"`
	Version   *int     `json:"version"`
	Label     string   `json:"label,omitempty"`
	Arm       string   `json:"arm,omitempty"`
	Unit      string   `json:"unit,omitempty"`
	Model     string   `json:"model,omitempty"`
	Time      *string  `json:"time"`
	LatencyMS float64  `json:"latency_ms,omitempty"`
	TokensIn  int64    `json:"tokens_in,omitempty"`
	TokensOut int64    `json:"tokens_out,omitempty"`
	Cost      float64  `json:"cost,omitempty"`
	Status    string   `json:"status,omitempty"`
	ErrorKind string   `json:"error_kind,omitempty"`
	Score     *float64 `json:"score,omitempty"`
	TraceID   string   `json:"trace_id,omitempty"`
}

// MarshalEvent encodes an event in the wire schema (what ParseEvent reads).
func MarshalEvent(e store.Event) ([]byte, error) {
	j := eventJSON{ID: e.ID, Prompt: e.Prompt, Label: e.Label, Arm: e.Arm, Unit: e.Unit, Model: e.Model, LatencyMS: e.LatencyMS,
		TokensIn: e.TokensIn, TokensOut: e.TokensOut, Cost: e.Cost, Status: e.Status, ErrorKind: e.ErrorKind, Score: e.Score, TraceID: e.TraceID}
	if e.Version != 0 {
		j.Version = &e.Version
	}
	if !e.Time.IsZero() {
		t := e.Time.UTC().Format(time.RFC3339Nano)
		j.Time = &t
	}
	return json.Marshal(j)
}

// eventOptions decode an event line as encoding/json did (the last of
// duplicate names wins; invalid UTF-8 becomes U+FFFD) with the
// go-json-experiment decoder, which reads an event about three times faster
// and allocates a quarter as much: at tens of thousands of events a second
// it was the largest cost of ingest after SQLite. Names match exactly: the
// schema's are lower case.
var eventOptions = json2.JoinOptions(jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))

// ParseEvent decodes one JSON event.
func ParseEvent(b []byte) (store.Event, error) {
	var j eventJSON
	if err := json2.Unmarshal(b, &j, eventOptions); err != nil {
		return store.Event{}, jsonError(err)
	}
	e := store.Event{ID: j.ID, Prompt: j.Prompt, Label: j.Label, Arm: j.Arm, Unit: j.Unit, Model: j.Model,
		LatencyMS: j.LatencyMS, TokensIn: j.TokensIn, TokensOut: j.TokensOut, Cost: j.Cost, Status: j.Status,
		ErrorKind: j.ErrorKind, Score: j.Score, TraceID: j.TraceID}
	if j.Version != nil {
		e.Version = *j.Version
		if e.Version < 1 {
			return e, fmt.Errorf("version %d: versions start at 1", e.Version)
		}
	}
	if j.Time != nil {
		t, err := time.Parse(time.RFC3339Nano, *j.Time)
		if err != nil {
			return e, fmt.Errorf("time %q is not RFC 3339 (like 2026-01-02T15:04:05Z)", *j.Time)
		}
		e.Time = t
	}
	return e, nil
}

// jsonError says what is wrong in words a client can act on.
func jsonError(err error) error {
	var se2 *json2.SemanticError
	if errors.As(err, &se2) && se2.JSONPointer != "" {
		got := map[jsontext.Kind]string{'"': "string", '0': "number", 't': "bool", 'f': "bool", 'n': "null", '{': "object", '[': "array"}[se2.JSONKind]
		want := "a value"
		if se2.GoType != nil {
			want = se2.GoType.String()
		}
		if got == "" {
			return fmt.Errorf("field %s: expected %s: %v", strings.TrimPrefix(string(se2.JSONPointer), "/"), want, se2.Err)
		}
		return fmt.Errorf("field %s: expected %s, got %s", strings.TrimPrefix(string(se2.JSONPointer), "/"), want, got)
	}
	var sy2 *jsontext.SyntacticError
	if errors.As(err, &sy2) {
		return fmt.Errorf("malformed JSON at byte %d: %v", sy2.ByteOffset, sy2.Err)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Errorf("field %s: expected %s, got %s", te.Field, te.Type, te.Value)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("malformed JSON at byte %d: %v", se.Offset, err)
	}
	return fmt.Errorf("malformed JSON: %v", err)
}

// ParseFeedback decodes one JSON feedback item: {"id", "event_id" or
// "trace_id", "score" (a number) or "thumbs" ("up"/"down"), "comment",
// "time"}.
func ParseFeedback(b []byte) (store.Feedback, error) {
	var j struct {
		ID      string   `json:"id"`
		EventID string   `json:"event_id"`
		TraceID string   `json:"trace_id"`
		Score   *float64 `json:"score"`
		Thumbs  string   `json:"thumbs"`
		Comment string   `json:"comment"`
		Time    *string  `json:"time"`
	}
	if err := json.Unmarshal(b, &j); err != nil {
		return store.Feedback{}, jsonError(err)
	}
	f := store.Feedback{ID: j.ID, EventID: j.EventID, TraceID: j.TraceID, Comment: j.Comment}
	switch {
	case j.Score != nil && j.Thumbs != "":
		return f, errors.New("give score or thumbs, not both")
	case j.Score != nil:
		f.Score = *j.Score
	case j.Thumbs == "up":
		f.Score = 1
	case j.Thumbs == "down":
		f.Score = 0
	case j.Thumbs != "":
		return f, fmt.Errorf("thumbs %q is not up or down", j.Thumbs)
	default:
		return f, errors.New("score (a number) or thumbs (up or down) is required")
	}
	if j.Time != nil {
		t, err := time.Parse(time.RFC3339Nano, *j.Time)
		if err != nil {
			return f, fmt.Errorf("time %q is not RFC 3339", *j.Time)
		}
		f.Time = t
	}
	return f, nil
}

// lineReader yields the non-blank lines of r with their numbers; a line over
// MaxLine is reported and skipped.
type lineReader struct {
	br   *bufio.Reader
	line int
}

// next returns the next line, or io.EOF. tooLong is set when the line was
// skipped for its length.
func (l *lineReader) next() (b []byte, n int, tooLong bool, err error) {
	for {
		var buf []byte
		for {
			chunk, err := l.br.ReadSlice('\n')
			if len(buf)+len(chunk) > MaxLine {
				tooLong = true
			} else {
				buf = append(buf, chunk...)
			}
			if errors.Is(err, bufio.ErrBufferFull) {
				continue
			}
			if err != nil && !errors.Is(err, io.EOF) {
				return nil, 0, false, err
			}
			if len(chunk) == 0 && err != nil && len(buf) == 0 && !tooLong {
				return nil, 0, false, io.EOF
			}
			break
		}
		l.line++
		if tooLong {
			return nil, l.line, true, nil
		}
		if t := bytes.TrimSpace(buf); len(t) > 0 {
			return t, l.line, false, nil
		}
	}
}

// Sink stores batches (a *store.Store in production).
type Sink interface {
	Ingest(ctx context.Context, evs []store.Event, spans []store.Span) (store.IngestResult, error)
}

// batch collects events and spans with the line each came from.
type batch struct {
	evs      []store.Event
	evLines  []int
	spans    []store.Span
	rejected []Rejected
}

func (b *batch) flush(ctx context.Context, sink Sink, res *Result) error {
	if len(b.evs) == 0 && len(b.spans) == 0 {
		res.Rejected = append(res.Rejected, b.rejected...)
		b.rejected = b.rejected[:0]
		return nil
	}
	r, err := sink.Ingest(ctx, b.evs, b.spans)
	if err != nil {
		return err
	}
	res.Accepted += r.Accepted
	res.Duplicate += r.Duplicate
	res.Unattributed += r.Unattributed
	rej := b.rejected
	for _, x := range r.Rejected {
		rej = append(rej, Rejected{Line: b.evLines[x.Index], ID: x.ID, Reason: x.Reason})
	}
	sortRejected(rej)
	res.Rejected = append(res.Rejected, rej...)
	b.evs, b.evLines, b.spans, b.rejected = b.evs[:0], b.evLines[:0], b.spans[:0], nil
	return nil
}

func sortRejected(r []Rejected) {
	for i := 1; i < len(r); i++ {
		for j := i; j > 0 && r[j].Line < r[j-1].Line; j-- {
			r[j], r[j-1] = r[j-1], r[j]
		}
	}
}

// Stream reads NDJSON from r: each line is an event, or an OTLP JSON export
// ({"resourceSpans": ...}, as the OpenTelemetry Collector's file exporter
// writes). A single pretty-printed JSON event is accepted too. Good lines are
// stored in batches of BatchSize (each committed before the next is read);
// bad lines are named in Result.Rejected. An error means the store failed:
// batches committed before it are kept.
func Stream(ctx context.Context, sink Sink, r io.Reader) (Result, error) {
	res := Result{Rejected: []Rejected{}}
	br := bufio.NewReaderSize(r, 64<<10)
	// One JSON object over several lines: decode it whole.
	if head, _ := br.Peek(64 << 10); looksMultiline(head) {
		b, err := io.ReadAll(io.LimitReader(br, MaxLine+1))
		if err != nil {
			return res, err
		}
		if len(b) > MaxLine {
			res.Rejected = append(res.Rejected, Rejected{Line: 1, Reason: fmt.Sprintf("a JSON document over %d bytes: send NDJSON, one event per line", MaxLine)})
			return res, nil
		}
		var bt batch
		addLine(&bt, bytes.TrimSpace(b), 1, &res)
		return res, bt.flush(ctx, sink, &res)
	}
	lr := &lineReader{br: br}
	var bt batch
	for {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		line, n, tooLong, err := lr.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return res, err
		}
		if tooLong {
			bt.rejected = append(bt.rejected, Rejected{Line: n, Reason: fmt.Sprintf("line is longer than %d bytes", MaxLine)})
			continue
		}
		addLine(&bt, line, n, &res)
		if len(bt.evs)+len(bt.spans) >= BatchSize {
			if err := bt.flush(ctx, sink, &res); err != nil {
				return res, err
			}
		}
	}
	return res, bt.flush(ctx, sink, &res)
}

// looksMultiline reports whether the input starts with a JSON object that
// does not end on its first line (a pretty-printed single event).
func looksMultiline(head []byte) bool {
	t := bytes.TrimLeft(head, " \t\r\n")
	if len(t) == 0 || t[0] != '{' {
		return false
	}
	first := t
	if i := bytes.IndexByte(t, '\n'); i >= 0 {
		first = t[:i]
	} else {
		return false
	}
	return !json.Valid(bytes.TrimSpace(first))
}

func addLine(bt *batch, line []byte, n int, res *Result) {
	if isOTLP(line) {
		req, err := ParseOTLPJSON(line)
		if err != nil {
			bt.rejected = append(bt.rejected, Rejected{Line: n, Reason: err.Error()})
			return
		}
		m := MapSpans(req)
		for _, e := range m.Events {
			bt.evs = append(bt.evs, e)
			bt.evLines = append(bt.evLines, n)
		}
		bt.spans = append(bt.spans, m.Unattributed...)
		res.Ignored += m.Ignored
		for _, r := range m.Rejected {
			r.Line = n
			bt.rejected = append(bt.rejected, r)
		}
		return
	}
	e, err := ParseEvent(line)
	if err != nil {
		bt.rejected = append(bt.rejected, Rejected{Line: n, ID: e.ID, Reason: err.Error()})
		return
	}
	bt.evs = append(bt.evs, e)
	bt.evLines = append(bt.evLines, n)
}

func isOTLP(line []byte) bool {
	rest, ok := bytes.CutPrefix(line, []byte("{"))
	if !ok {
		return false
	}
	rest = bytes.TrimLeft(rest, " \t\r\n")
	return bytes.HasPrefix(rest, []byte(`"resourceSpans"`)) || bytes.HasPrefix(rest, []byte(`"resource_spans"`))
}

// FeedbackStream reads feedback items, one JSON object per line (or one
// pretty-printed object), and stores them.
func FeedbackStream(ctx context.Context, st *store.Store, r io.Reader) (Result, error) {
	res := Result{Rejected: []Rejected{}}
	br := bufio.NewReaderSize(r, 64<<10)
	var items []store.Feedback
	var lines []int
	add := func(line []byte, n int) {
		f, err := ParseFeedback(line)
		if err != nil {
			res.Rejected = append(res.Rejected, Rejected{Line: n, ID: f.ID, Reason: err.Error()})
			return
		}
		items = append(items, f)
		lines = append(lines, n)
	}
	if head, _ := br.Peek(64 << 10); looksMultiline(head) {
		b, err := io.ReadAll(io.LimitReader(br, MaxLine))
		if err != nil {
			return res, err
		}
		add(bytes.TrimSpace(b), 1)
	} else {
		lr := &lineReader{br: br}
		for {
			line, n, tooLong, err := lr.next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return res, err
			}
			if tooLong {
				res.Rejected = append(res.Rejected, Rejected{Line: n, Reason: fmt.Sprintf("line is longer than %d bytes", MaxLine)})
				continue
			}
			add(line, n)
		}
	}
	if len(items) == 0 {
		return res, nil
	}
	r2, err := st.RecordFeedback(ctx, items)
	if err != nil {
		return res, err
	}
	res.Accepted, res.Duplicate = r2.Accepted, r2.Duplicate
	for _, x := range r2.Rejected {
		res.Rejected = append(res.Rejected, Rejected{Line: lines[x.Index], ID: x.ID, Reason: x.Reason})
	}
	sortRejected(res.Rejected)
	return res, nil
}
