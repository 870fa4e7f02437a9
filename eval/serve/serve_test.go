package serve

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/seed94f0f622/verso/internal/pgtest"
	"github.com/seed94f0f622/verso/store"
)

// fixture: prompt "greet" v1 (production) and v2 (staging), chat prompt
// "support/reply" v1 (production).
func fixture(t testing.TB) *store.Store {
	t.Helper()
	st, err := store.Open(pgtest.Location(t, "verso.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ctx := context.Background()
	for _, in := range []store.CommitInput{
		{Name: "greet", Template: "Hello {{name}}, welcome to {{place}}", Config: store.Config{Model: "gpt-4o-mini"}},
		{Name: "greet", Template: "Hi {{name}}!"},
		{Name: "support/reply", Kind: store.KindChat, Messages: []store.Message{{Role: "system", Content: "Be kind."}, {Role: "user", Content: "{{question}}"}}},
	} {
		in.Author = "ann"
		if _, err := st.Commit(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	for _, l := range []store.LabelInput{{Prompt: "greet", Label: "production", Version: 1}, {Prompt: "greet", Label: "staging", Version: 2},
		{Prompt: "support/reply", Label: "production", Version: 1}} {
		l.Actor, l.Force, l.Reason = "ann", true, "test fixture"
		if _, err := st.SetLabel(ctx, l); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

// start serves st on a loopback port until the test ends.
func start(t testing.TB, st *store.Store, o Options) (string, *Server) {
	t.Helper()
	o.Addr = "127.0.0.1:0"
	srv, err := New(st, o)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", o.Addr)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, l) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return "http://" + l.Addr().String(), srv
}

type reply struct {
	code int
	hdr  http.Header
	body string
}

func do(t testing.TB, method, url, ctype, body string, hdr ...string) reply {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, resp.Header, string(b)}
}

func now() string { return time.Now().UTC().Format(time.RFC3339Nano) }

func TestGetPromptResolvesLabelsVersionsAndETag(t *testing.T) {
	base, _ := start(t, fixture(t), Options{})
	r := do(t, "GET", base+"/v1/prompts/greet", "", "")
	var p PromptJSON
	if err := json.Unmarshal([]byte(r.body), &p); err != nil || r.code != 200 {
		t.Fatalf("%d %s %v", r.code, r.body, err)
	}
	if p.Version != 1 || p.Label != "production" || p.Template != "Hello {{name}}, welcome to {{place}}" || p.Hash == "" ||
		p.Config.Model != "gpt-4o-mini" || strings.Join(p.Variables, ",") != "name,place" || p.Arm != "" {
		t.Fatalf("%+v", p)
	}
	etag := r.hdr.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	if r := do(t, "GET", base+"/v1/prompts/greet", "", "", "If-None-Match", etag); r.code != http.StatusNotModified || r.body != "" {
		t.Fatalf("If-None-Match: %d %q", r.code, r.body)
	}
	if r := do(t, "GET", base+"/v1/prompts/greet?label=staging&unit=user-42", "", ""); r.code != 200 || !strings.Contains(r.body, `"version":2`) ||
		!strings.Contains(r.body, `"arm":""`) || r.hdr.Get("ETag") == etag {
		t.Fatalf("staging: %d %s", r.code, r.body)
	}
	if r := do(t, "GET", base+"/v1/prompts/greet?version=2", "", "", "If-None-Match", etag); r.code != 200 || !strings.Contains(r.body, `"version":2`) {
		t.Fatalf("version=2 with an old ETag: %d %s", r.code, r.body)
	}
	if r := do(t, "GET", base+"/v1/prompts/support/reply", "", ""); r.code != 200 || !strings.Contains(r.body, `"messages":[{"role":"system"`) {
		t.Fatalf("chat prompt with a folder: %d %s", r.code, r.body)
	}
	for _, c := range []struct {
		url  string
		code int
		want string
	}{
		{"/v1/prompts/nope", 404, "nope"},
		{"/v1/prompts/greet?label=canary", 404, `no label \"canary\"`},
		{"/v1/prompts/greet?version=9", 404, "no version 9"},
		{"/v1/prompts/greet?version=x", 400, "not a version number"},
		{"/v1/prompts/greet?version=1&label=staging", 400, "not both"},
	} {
		if r := do(t, "GET", base+c.url, "", ""); r.code != c.code || !strings.Contains(r.body, c.want) {
			t.Errorf("%s: %d %s, want %d %q", c.url, r.code, r.body, c.code, c.want)
		}
	}
}

func TestGetPromptSeesALabelMove(t *testing.T) {
	st := fixture(t)
	base, _ := start(t, st, Options{CacheRefresh: 10 * time.Millisecond})
	if r := do(t, "GET", base+"/v1/prompts/greet", "", ""); !strings.Contains(r.body, `"version":1`) {
		t.Fatal(r.body)
	}
	if _, err := st.SetLabel(context.Background(), store.LabelInput{Prompt: "greet", Label: "production", Version: 2, Actor: "bob", Force: true, Reason: "ship"}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(do(t, "GET", base+"/v1/prompts/greet", "", "").body, `"version":2`) {
		if time.Now().After(deadline) {
			t.Fatal("the label move never showed")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestRenderNamesMissingVariables(t *testing.T) {
	base, _ := start(t, fixture(t), Options{})
	r := do(t, "POST", base+"/v1/prompts/greet/render", "application/json", `{"variables": {"name": "Ada", "place": "Paris"}}`)
	if r.code != 200 || !strings.Contains(r.body, `"text":"Hello Ada, welcome to Paris"`) {
		t.Fatalf("%d %s", r.code, r.body)
	}
	r = do(t, "POST", base+"/v1/prompts/greet/render", "application/json", `{"variables": {}}`)
	if r.code != http.StatusUnprocessableEntity || !strings.Contains(r.body, `"missing":["name","place"]`) {
		t.Fatalf("missing: %d %s", r.code, r.body)
	}
	r = do(t, "POST", base+"/v1/prompts/support/reply/render?label=production", "application/json", `{"variables": {"question": "why?"}}`)
	if r.code != 200 || !strings.Contains(r.body, `{"role":"user","content":"why?"}`) {
		t.Fatalf("chat: %d %s", r.code, r.body)
	}
	if r := do(t, "POST", base+"/v1/prompts/greet/render", "application/json", `{"variables": [}`); r.code != 400 {
		t.Fatalf("malformed: %d %s", r.code, r.body)
	}
}

func count(t testing.TB, st *store.Store) store.EventCounts {
	t.Helper()
	c, err := st.CountEvents(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestEventsNDJSONNamesBadLinesAndStoresTheRest(t *testing.T) {
	st := fixture(t)
	base, _ := start(t, st, Options{})
	good := func(id string) string {
		return fmt.Sprintf(`{"id":%q,"prompt":"greet","version":1,"label":"production","time":%q,"latency_ms":120,"tokens_in":10,"tokens_out":5,"cost":0.0001}`, id, now())
	}
	lines := []string{
		good("a"),
		`{"id":"b","prompt":"greet","version":1,"time":`, // malformed JSON
		good("c"),
		`{"id":"d","prompt":"greet","version":"one","time":"` + now() + `"}`,             // wrong type
		`{"id":"e","prompt":"greet","version":1,"time":"2999-01-01T00:00:00Z"}`,          // far future
		`{"id":"f","prompt":"greet","version":1,"time":"1999-01-01T00:00:00Z"}`,          // far past
		`{"id":"g","prompt":"greet","version":1,"time":"` + now() + `","latency_ms":-5}`, // negative latency
		`{"id":"h","prompt":"greet","version":1,"time":"` + now() + `","tokens_out":-1}`, // negative tokens
		`{"id":"i","prompt":"ghost","version":1,"time":"` + now() + `"}`,                 // unknown prompt
		`{"id":"j","prompt":"greet","version":7,"time":"` + now() + `"}`,                 // unknown version
		`{"id":"k","prompt":"greet","version":1,"time":"yesterday"}`,                     // bad time
		good("l"),
	}
	body := strings.Join(lines, "\n")
	r := do(t, "POST", base+"/v1/events", "application/x-ndjson", body)
	if r.code != http.StatusBadRequest {
		t.Fatalf("%d %s", r.code, r.body)
	}
	var res struct {
		Accepted int
		Rejected []struct {
			Line   int
			Reason string
		}
	}
	json.Unmarshal([]byte(r.body), &res)
	if res.Accepted != 3 {
		t.Fatalf("accepted %d: %s", res.Accepted, r.body)
	}
	want := map[int]string{2: "malformed JSON", 4: "field version: expected int", 5: "future", 6: "past", 7: "latency_ms", 8: "tokens_out",
		9: `unknown prompt "ghost"`, 10: "no version 7", 11: "not RFC 3339"}
	got := map[int]string{}
	for _, x := range res.Rejected {
		got[x.Line] = x.Reason
	}
	for line, w := range want {
		if !strings.Contains(got[line], w) {
			t.Errorf("line %d: got %q, want %q", line, got[line], w)
		}
	}
	if c := count(t, st); c.Events != 3 {
		t.Fatalf("stored %d", c.Events)
	}
	// The same good lines again: duplicates, stored once, 200.
	r = do(t, "POST", base+"/v1/events", "application/x-ndjson", lines[0]+"\n"+lines[2])
	if r.code != 200 || !strings.Contains(r.body, `"accepted":0,"duplicate":2`) {
		t.Fatalf("re-sent: %d %s", r.code, r.body)
	}
	// One pretty-printed JSON event.
	r = do(t, "POST", base+"/v1/events", "application/json", "{\n  \"prompt\": \"greet\",\n  \"version\": 2,\n  \"time\": \""+now()+"\"\n}\n")
	if r.code != 200 || !strings.Contains(r.body, `"accepted":1`) {
		t.Fatalf("one event: %d %s", r.code, r.body)
	}
	if r := do(t, "POST", base+"/v1/events", "application/json", "{not json"); r.code != 400 || !strings.Contains(r.body, "malformed JSON") {
		t.Fatalf("malformed: %d %s", r.code, r.body)
	}
	if r := do(t, "GET", base+"/metrics", "", ""); !strings.Contains(r.body, `verso_ingest_rejected_total{reason="unknown_prompt"} 2`) ||
		!strings.Contains(r.body, `verso_ingest_events_total{result="accepted"} 4`) {
		t.Fatalf("metrics do not count the rejects:\n%s", r.body)
	}
}

func TestBodyLimits(t *testing.T) {
	st := fixture(t)
	base, _ := start(t, st, Options{MaxBody: 1 << 20})
	// A declared 100 MB body is refused before it is read.
	req, _ := http.NewRequest("POST", base+"/v1/events", io.LimitReader(zeros{}, 100<<20))
	req.ContentLength = 100 << 20
	resp, err := http.DefaultClient.Do(req)
	if err == nil {
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("declared 100 MB: %d", resp.StatusCode)
		}
		resp.Body.Close()
	} else if !isReset(err) {
		t.Fatal(err)
	}
	// A chunked body over the limit is cut at the limit: 413, nothing stored.
	line := fmt.Sprintf(`{"prompt":"greet","version":1,"time":%q}`+"\n", now())
	big := strings.Repeat(line, (2<<20)/len(line))
	req, _ = http.NewRequest("POST", base+"/v1/events", io.MultiReader(strings.NewReader(big)))
	req.ContentLength = -1
	resp, err = http.DefaultClient.Do(req)
	if err == nil {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(b), "limit") {
			t.Fatalf("chunked 2 MB: %d %s", resp.StatusCode, b)
		}
	} else if !isReset(err) {
		t.Fatal(err)
	}
	if c := count(t, st); c.Events != 0 {
		t.Fatalf("%d events stored from a refused body", c.Events)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = ' '
	}
	return len(p), nil
}

func isReset(err error) bool {
	s := err.Error()
	return strings.Contains(s, "reset") || strings.Contains(s, "broken pipe") || errors.Is(err, io.EOF)
}

func TestSlowLorisIsCutOff(t *testing.T) {
	base, _ := start(t, fixture(t), Options{ReadHeaderTimeout: 200 * time.Millisecond})
	c, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// Headers trickle in and never end.
	fmt.Fprint(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n")
	start := time.Now()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	for i := 0; ; i++ {
		if _, err := fmt.Fprintf(c, "X-Slow-%d: 1\r\n", i); err != nil {
			break
		}
		buf := make([]byte, 512)
		c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		if _, err := c.Read(buf); err != nil && !isTimeout(err) {
			break // closed by the server
		}
		if time.Since(start) > 4*time.Second {
			t.Fatal("a slow client held the connection for 4s; the header timeout is 200ms")
		}
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func TestNonLoopbackNeedsAToken(t *testing.T) {
	st := fixture(t)
	for _, addr := range []string{"0.0.0.0:7070", ":7070", "192.168.1.4:80", "[::]:7070"} {
		if _, err := New(st, Options{Addr: addr}); !errors.Is(err, ErrNeedToken) || !strings.Contains(err.Error(), TokenEnv) {
			t.Errorf("%s without a token: %v", addr, err)
		}
	}
	for _, addr := range []string{"127.0.0.1:7070", "localhost:7070", "[::1]:7070"} {
		if _, err := New(st, Options{Addr: addr}); err != nil {
			t.Errorf("%s: %v", addr, err)
		}
	}
	base, _ := start(t, st, Options{Token: "s3cret"})
	if r := do(t, "GET", base+"/v1/prompts/greet", "", ""); r.code != 401 {
		t.Fatalf("no token: %d", r.code)
	}
	if r := do(t, "GET", base+"/v1/prompts/greet", "", "", "Authorization", "Bearer wrong"); r.code != 401 {
		t.Fatalf("wrong token: %d", r.code)
	}
	if r := do(t, "GET", base+"/v1/prompts/greet", "", "", "Authorization", "Bearer s3cret"); r.code != 200 {
		t.Fatalf("right token: %d", r.code)
	}
	if r := do(t, "GET", base+"/healthz", "", ""); r.code != 200 {
		t.Fatalf("healthz needs no token: %d", r.code)
	}
}

func kv(k string, v any) *commonpb.KeyValue {
	switch x := v.(type) {
	case string:
		return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: x}}}
	case int:
		return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: int64(x)}}}
	}
	panic("kv")
}

// traceRequest builds an export: span 1 is a model call of greet v1, span 2
// a model call without verso attributes, span 3 an HTTP handler span.
func traceRequest(t0 time.Time, n int) *coltracepb.ExportTraceServiceRequest {
	var spans []*tracepb.Span
	for i := range n {
		sp := &tracepb.Span{TraceId: []byte(fmt.Sprintf("trace-%010d", i)), SpanId: []byte(fmt.Sprintf("span%04d", i%10000)), Name: "chat gpt-4o-mini",
			StartTimeUnixNano: uint64(t0.UnixNano()), EndTimeUnixNano: uint64(t0.Add(250 * time.Millisecond).UnixNano()),
			Attributes: []*commonpb.KeyValue{kv("gen_ai.request.model", "gpt-4o-mini"), kv("gen_ai.response.model", "gpt-4o-mini-2024"),
				kv("gen_ai.usage.input_tokens", 100), kv("gen_ai.usage.output_tokens", 20), kv("verso.prompt.name", "greet"),
				kv("verso.prompt.version", 1), kv("verso.prompt.label", "production")}}
		if i%5 == 4 {
			sp.Status = &tracepb.Status{Code: tracepb.Status_STATUS_CODE_ERROR, Message: "rate limited"}
		}
		spans = append(spans, sp)
	}
	spans = append(spans,
		&tracepb.Span{TraceId: []byte("trace-unattrib!!"), SpanId: []byte("span-un1"), Name: "chat", StartTimeUnixNano: uint64(t0.UnixNano()),
			EndTimeUnixNano: uint64(t0.Add(time.Second).UnixNano()), Attributes: []*commonpb.KeyValue{kv("gen_ai.request.model", "gpt-4o")}},
		&tracepb.Span{TraceId: []byte("trace-http-span!"), SpanId: []byte("span-ht1"), Name: "GET /", StartTimeUnixNano: uint64(t0.UnixNano()),
			EndTimeUnixNano: uint64(t0.Add(time.Second).UnixNano()), Attributes: []*commonpb.KeyValue{kv("http.method", "GET")}})
	return &coltracepb.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{{
		Resource:   &resourcepb.Resource{Attributes: []*commonpb.KeyValue{kv("service.name", "app")}},
		ScopeSpans: []*tracepb.ScopeSpans{{Spans: spans}},
	}}}
}

func TestTracesProtobufMapsGenAIAttributes(t *testing.T) {
	st := fixture(t)
	base, _ := start(t, st, Options{})
	b, _ := proto.Marshal(traceRequest(time.Now().Add(-time.Minute), 5))
	r := do(t, "POST", base+"/v1/traces", "application/x-protobuf", string(b))
	if r.code != 200 || r.hdr.Get("Content-Type") != "application/x-protobuf" {
		t.Fatalf("%d %s", r.code, r.body)
	}
	resp := &coltracepb.ExportTraceServiceResponse{}
	if err := proto.Unmarshal([]byte(r.body), resp); err != nil || resp.GetPartialSuccess().GetRejectedSpans() != 0 {
		t.Fatalf("%v %v", resp, err)
	}
	c := count(t, st)
	if c.Events != 5 || c.Unattributed != 1 {
		t.Fatalf("%+v: want 5 events and the GenAI span without verso.prompt.* kept as unattributed", c)
	}
	rep, err := st.Stats(context.Background(), store.StatsQuery{Prompt: "greet", Since: time.Now().Add(-time.Hour), By: "model"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Total.Requests != 5 || rep.Total.Errors != 1 || rep.Total.TokensIn != 500 || rep.Total.TokensOut != 100 ||
		len(rep.Groups) != 1 || rep.Groups[0].Key != "gpt-4o-mini-2024" || rep.Total.LatencyP50MS < 230 || rep.Total.LatencyP50MS > 270 {
		t.Fatalf("%+v %+v", rep.Total, rep.Groups)
	}
	// Re-sent: duplicates. A span naming an unknown prompt: rejected, counted.
	req := traceRequest(time.Now(), 1)
	req.ResourceSpans[0].ScopeSpans[0].Spans[0].Attributes[4] = kv("verso.prompt.name", "ghost")
	b, _ = proto.Marshal(req)
	r = do(t, "POST", base+"/v1/traces", "application/x-protobuf", string(b))
	proto.Unmarshal([]byte(r.body), resp)
	if r.code != 200 || resp.GetPartialSuccess().GetRejectedSpans() != 1 || !strings.Contains(resp.GetPartialSuccess().GetErrorMessage(), `unknown prompt "ghost"`) {
		t.Fatalf("%d %v", r.code, resp)
	}
	if r := do(t, "POST", base+"/v1/traces", "application/x-protobuf", "\xff\xff garbage"); r.code != 400 {
		t.Fatalf("garbage: %d %s", r.code, r.body)
	}
	if r := do(t, "POST", base+"/v1/traces", "text/plain", "x"); r.code != http.StatusUnsupportedMediaType {
		t.Fatalf("text/plain: %d", r.code)
	}
	if m := do(t, "GET", base+"/metrics", "", "").body; !strings.Contains(m, `verso_ingest_events_total{result="unattributed"} 1`) {
		t.Fatalf("unattributed spans not counted:\n%s", m)
	}
}

func TestTracesJSONWithHexIDs(t *testing.T) {
	st := fixture(t)
	base, _ := start(t, st, Options{})
	ns := time.Now().Add(-time.Minute).UnixNano()
	body := fmt.Sprintf(`{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"app"}}]},
	 "scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"chat",
	  "startTimeUnixNano":"%d","endTimeUnixNano":"%d","status":{"code":2},
	  "attributes":[{"key":"gen_ai.request.model","value":{"stringValue":"gpt-4o"}},
	   {"key":"gen_ai.usage.input_tokens","value":{"intValue":"42"}},
	   {"key":"verso.prompt.name","value":{"stringValue":"greet"}},{"key":"verso.prompt.version","value":{"stringValue":"2"}}]}]}]}]}`,
		ns, ns+int64(80*time.Millisecond))
	r := do(t, "POST", base+"/v1/traces", "application/json", body)
	if r.code != 200 || r.hdr.Get("Content-Type") != "application/json" {
		t.Fatalf("%d %s", r.code, r.body)
	}
	rep, _ := st.Stats(context.Background(), store.StatsQuery{Prompt: "greet", Since: time.Now().Add(-time.Hour), By: "version"})
	if rep.Total.Requests != 1 || rep.Total.Errors != 1 || rep.Total.TokensIn != 42 || rep.Groups[0].Key != "2" {
		t.Fatalf("%+v", rep)
	}
	// Feedback by the span's trace id finds the event.
	r = do(t, "POST", base+"/v1/feedback", "application/json", `{"trace_id":"5b8efff798038103d269b633813fc60c","thumbs":"up"}`)
	if r.code != 200 || !strings.Contains(r.body, `"accepted":1`) {
		t.Fatalf("feedback: %d %s", r.code, r.body)
	}
	if r := do(t, "POST", base+"/v1/traces", "application/json", `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"zz"}]}]}]}`); r.code != 400 || !strings.Contains(r.body, "not hex") {
		t.Fatalf("bad hex: %d %s", r.code, r.body)
	}
}

func TestFeedbackEndpoint(t *testing.T) {
	st := fixture(t)
	base, _ := start(t, st, Options{})
	do(t, "POST", base+"/v1/events", "application/json", fmt.Sprintf(`{"id":"ev1","prompt":"greet","version":1,"time":%q}`, now()))
	r := do(t, "POST", base+"/v1/feedback", "application/x-ndjson",
		`{"id":"fb1","event_id":"ev1","score":0.5,"comment":"ok"}`+"\n"+`{"event_id":"nope","thumbs":"down"}`+"\n"+`{"event_id":"ev1","thumbs":"sideways"}`)
	if r.code != 400 || !strings.Contains(r.body, `"accepted":1`) || !strings.Contains(r.body, `"line":2`) || !strings.Contains(r.body, `thumbs \"sideways\"`) {
		t.Fatalf("%d %s", r.code, r.body)
	}
	rep, _ := st.Stats(context.Background(), store.StatsQuery{Prompt: "greet", Since: time.Now().Add(-time.Hour)})
	if rep.Total.ScoreMean == nil || *rep.Total.ScoreMean != 0.5 {
		t.Fatalf("%+v", rep.Total)
	}
}

func TestStatsEndpointAndHealth(t *testing.T) {
	st := fixture(t)
	base, _ := start(t, st, Options{})
	do(t, "POST", base+"/v1/events", "application/json", fmt.Sprintf(`{"prompt":"greet","version":1,"label":"production","time":%q,"latency_ms":40}`, now()))
	r := do(t, "GET", base+"/v1/stats?prompt=greet&since=1h&by=label", "", "")
	if r.code != 200 || !strings.Contains(r.body, `"groups":[{"label":"production","requests":1`) {
		t.Fatalf("%d %s", r.code, r.body)
	}
	for url, code := range map[string]int{"/v1/stats": 400, "/v1/stats?prompt=greet&since=soon": 400, "/v1/stats?prompt=greet&by=colour": 400,
		"/v1/stats?prompt=ghost": 404, "/healthz": 200, "/v2/nothing": 404} {
		if r := do(t, "GET", base+url, "", ""); r.code != code {
			t.Errorf("%s: %d %s, want %d", url, r.code, r.body, code)
		}
	}
}

// TestLockedDatabaseWaitsAndLosesNothing holds the write lock from another
// connection for a while: ingest waits, then commits, then acknowledges.
func TestLockedDatabaseWaitsAndLosesNothing(t *testing.T) {
	st := fixture(t)
	base, _ := start(t, st, Options{})
	// Another writer holds the write lock: SQLite's IMMEDIATE lock on the
	// file, or on PostgreSQL the store's advisory write lock (what another
	// verso in a long write transaction holds).
	driver, begin := "sqlite", "BEGIN IMMEDIATE"
	if store.IsPostgres(st.Path()) {
		driver, begin = "pgx", "BEGIN; SELECT pg_advisory_xact_lock(6225507900160344064)"
	}
	other, err := sql.Open(driver, st.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(context.Background(), begin); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var r reply
	wg.Go(func() {
		r = do(t, "POST", base+"/v1/events", "application/json", fmt.Sprintf(`{"id":"locked","prompt":"greet","version":1,"time":%q}`, now()))
	})
	time.Sleep(1500 * time.Millisecond)
	conn.ExecContext(context.Background(), "COMMIT")
	conn.Close()
	wg.Wait()
	if r.code != 200 {
		t.Fatalf("%d %s", r.code, r.body)
	}
	if ok, _ := st.HasEvent(context.Background(), "locked"); !ok {
		t.Fatal("acknowledged event missing")
	}
}

// TestGracefulShutdownCommitsAcknowledged stops the server while clients
// post: every event whose request got a 2xx is stored.
func TestGracefulShutdownCommitsAcknowledged(t *testing.T) {
	st := fixture(t)
	srv, err := New(st, Options{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, l) }()
	base := "http://" + l.Addr().String()
	var mu sync.Mutex
	var acked []string
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				var b strings.Builder
				ids := []string{}
				for j := range 50 {
					id := fmt.Sprintf("w%d-%d-%d", w, i, j)
					ids = append(ids, id)
					fmt.Fprintf(&b, `{"id":%q,"prompt":"greet","version":1,"time":%q}`+"\n", id, now())
				}
				resp, err := http.Post(base+"/v1/events", "application/x-ndjson", strings.NewReader(b.String()))
				if err != nil {
					return
				}
				resp.Body.Close()
				if resp.StatusCode/100 == 2 {
					mu.Lock()
					acked = append(acked, ids...)
					mu.Unlock()
				}
			}
		})
	}
	time.Sleep(500 * time.Millisecond)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if len(acked) == 0 {
		t.Fatal("nothing was acknowledged")
	}
	for _, id := range acked {
		if ok, _ := st.HasEvent(context.Background(), id); !ok {
			t.Fatalf("acknowledged event %s is missing", id)
		}
	}
}
