package serve

import (
	"bytes"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/seed94f0f622/verso/eval/ingest"
	"github.com/seed94f0f622/verso/store"
)

// postEvents takes one JSON event or NDJSON. 200 when every line was stored
// (or was a duplicate); 400 naming the bad lines when some were refused (the
// good ones are stored all the same).
func (s *Server) postEvents(w http.ResponseWriter, r *http.Request) {
	body, ok := s.readBody(w, r)
	if !ok {
		return
	}
	res, err := ingest.Stream(r.Context(), s.st, bytes.NewReader(body))
	s.metrics.ingested(res)
	if err != nil {
		s.storeFailed(w, "store events", err)
		return
	}
	code := http.StatusOK
	if len(res.Rejected) > 0 {
		code = http.StatusBadRequest
	}
	writeJSON(w, code, res)
}

func (s *Server) postFeedback(w http.ResponseWriter, r *http.Request) {
	body, ok := s.readBody(w, r)
	if !ok {
		return
	}
	res, err := ingest.FeedbackStream(r.Context(), s.st, bytes.NewReader(body))
	s.metrics.feedback(res)
	if err != nil {
		s.storeFailed(w, "store feedback", err)
		return
	}
	code := http.StatusOK
	if len(res.Rejected) > 0 {
		code = http.StatusBadRequest
	}
	writeJSON(w, code, res)
}

// postTraces is an OTLP/HTTP trace receiver (protobuf or JSON). Spans that
// are model calls with verso.prompt.* attributes become events; model calls
// without them are stored as unattributed; the answer's partial_success
// counts what was refused, as OTLP asks.
func (s *Server) postTraces(w http.ResponseWriter, r *http.Request) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	isJSON := ct == "application/json"
	if !isJSON && ct != "application/x-protobuf" && ct != "application/protobuf" {
		writeError(w, http.StatusUnsupportedMediaType, fmt.Sprintf("Content-Type %q: send application/x-protobuf or application/json (OTLP/HTTP)", ct))
		return
	}
	body, ok := s.readBody(w, r)
	if !ok {
		return
	}
	var req *coltracepb.ExportTraceServiceRequest
	var err error
	if isJSON {
		req, err = ingest.ParseOTLPJSON(body)
	} else {
		req, err = ingest.ParseOTLPProto(body)
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	m := ingest.MapSpans(req)
	sr, err := s.st.Ingest(r.Context(), m.Events, m.Unattributed)
	res := ingest.Result{Accepted: sr.Accepted, Duplicate: sr.Duplicate, Unattributed: sr.Unattributed, Ignored: m.Ignored, Rejected: m.Rejected}
	for _, x := range sr.Rejected {
		res.Rejected = append(res.Rejected, ingest.Rejected{ID: x.ID, Reason: "span " + x.ID + ": " + x.Reason})
	}
	s.metrics.ingested(res)
	s.metrics.spans.Add(float64(m.Spans))
	if err != nil {
		s.storeFailed(w, "store spans", err)
		return
	}
	resp := &coltracepb.ExportTraceServiceResponse{}
	if len(res.Rejected) > 0 {
		var reasons []string
		for i, x := range res.Rejected {
			if i == 5 {
				reasons = append(reasons, fmt.Sprintf("and %d more", len(res.Rejected)-5))
				break
			}
			reasons = append(reasons, x.Reason)
		}
		resp.PartialSuccess = &coltracepb.ExportTracePartialSuccess{RejectedSpans: int64(len(res.Rejected)), ErrorMessage: strings.Join(reasons, "; ")}
	}
	var out []byte
	if isJSON {
		out, err = protojson.Marshal(resp)
		w.Header().Set("Content-Type", "application/json")
	} else {
		out, err = proto.Marshal(resp)
		w.Header().Set("Content-Type", "application/x-protobuf")
	}
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	w.WriteHeader(http.StatusOK)
	w.Write(out)
}

// getStats answers GET /v1/stats?prompt=NAME&since=24h&by=version with the
// JSON of `verso stats`.
func (s *Server) getStats(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	name := q.Get("prompt")
	if name == "" {
		writeError(w, http.StatusBadRequest, "prompt= is required (GET /v1/stats?prompt=NAME&since=24h&by=version)")
		return
	}
	since := q.Get("since")
	if since == "" {
		since = "24h"
	}
	d, err := ParseAge(since)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	rep, err := s.st.Stats(r.Context(), store.StatsQuery{Prompt: name, Since: time.Now().Add(-d), By: q.Get("by")})
	if err != nil {
		s.storeFailed(w, "stats "+name, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

// ParseAge reads a duration like 90s, 15m, 24h, 7d or 2w.
func ParseAge(s string) (time.Duration, error) {
	bad := fmt.Errorf("%q is not a duration (like 1h, 24h, 7d, 90d): %w", s, store.ErrInvalid)
	if s == "" {
		return 0, bad
	}
	mult := time.Duration(0)
	switch s[len(s)-1] {
	case 'd':
		mult = 24 * time.Hour
	case 'w':
		mult = 7 * 24 * time.Hour
	}
	if mult != 0 {
		n, err := strconv.ParseFloat(s[:len(s)-1], 64)
		if err != nil || n <= 0 || n > 100*365 {
			return 0, bad
		}
		return time.Duration(n * float64(mult)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, bad
	}
	return d, nil
}
