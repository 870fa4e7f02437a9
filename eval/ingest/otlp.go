package ingest

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/seed94f0f622/verso/store"
)

// Attributes read from spans (OpenTelemetry GenAI semantic conventions, and
// Verso's own). Span attributes win over resource attributes.
const (
	AttrRequestModel  = "gen_ai.request.model"
	AttrResponseModel = "gen_ai.response.model"
	AttrInputTokens   = "gen_ai.usage.input_tokens"
	AttrOutputTokens  = "gen_ai.usage.output_tokens"
	AttrErrorType     = "error.type"
	AttrPromptName    = "verso.prompt.name"
	AttrPromptVersion = "verso.prompt.version"
	AttrPromptLabel   = "verso.prompt.label"
	AttrArm           = "verso.arm"
	AttrUnit          = "verso.unit"
	AttrCost          = "verso.cost"
	AttrScore         = "verso.score"
)

// Mapped is what a trace export becomes.
type Mapped struct {
	Events       []store.Event
	Unattributed []store.Span // model calls without verso.prompt.* attributes
	Ignored      int          // spans that are not model calls (no gen_ai.* nor verso.* attribute)
	Rejected     []Rejected   // spans whose attributes are unusable
	Spans        int          // spans in the export
}

// ParseOTLPProto decodes an OTLP/HTTP protobuf body.
func ParseOTLPProto(b []byte) (*coltracepb.ExportTraceServiceRequest, error) {
	req := &coltracepb.ExportTraceServiceRequest{}
	if err := proto.Unmarshal(b, req); err != nil {
		return nil, fmt.Errorf("malformed OTLP protobuf: %v", err)
	}
	return req, nil
}

// ParseOTLPJSON decodes an OTLP/HTTP JSON body. OTLP JSON differs from the
// protobuf JSON mapping in one point: trace and span ids are hex, not
// base64; they are converted before protojson decodes the rest.
func ParseOTLPJSON(b []byte) (*coltracepb.ExportTraceServiceRequest, error) {
	var doc any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("malformed OTLP JSON: %v", err)
	}
	if err := hexIDsToBase64(doc); err != nil {
		return nil, err
	}
	fixed, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	req := &coltracepb.ExportTraceServiceRequest{}
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(fixed, req); err != nil {
		return nil, fmt.Errorf("malformed OTLP JSON: %v", err)
	}
	return req, nil
}

func hexIDsToBase64(v any) error {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			switch k {
			case "traceId", "spanId", "parentSpanId", "trace_id", "span_id", "parent_span_id":
				s, ok := val.(string)
				if !ok || s == "" {
					continue
				}
				raw, err := hex.DecodeString(s)
				if err != nil {
					return fmt.Errorf("malformed OTLP JSON: %s %q is not hex", k, s)
				}
				x[k] = base64.StdEncoding.EncodeToString(raw)
			default:
				if err := hexIDsToBase64(val); err != nil {
					return err
				}
			}
		}
	case []any:
		for _, e := range x {
			if err := hexIDsToBase64(e); err != nil {
				return err
			}
		}
	}
	return nil
}

// attrs is a span's attributes over its resource's.
type attrs struct{ span, resource []*commonpb.KeyValue }

func (a attrs) get(key string) (*commonpb.AnyValue, bool) {
	for _, kvs := range [][]*commonpb.KeyValue{a.span, a.resource} {
		for _, kv := range kvs {
			if kv.GetKey() == key {
				return kv.GetValue(), true
			}
		}
	}
	return nil, false
}

func (a attrs) str(key string) string {
	v, ok := a.get(key)
	if !ok {
		return ""
	}
	switch v.GetValue().(type) {
	case *commonpb.AnyValue_StringValue:
		return v.GetStringValue()
	case *commonpb.AnyValue_IntValue:
		return strconv.FormatInt(v.GetIntValue(), 10)
	case *commonpb.AnyValue_DoubleValue:
		return strconv.FormatFloat(v.GetDoubleValue(), 'g', -1, 64)
	case *commonpb.AnyValue_BoolValue:
		return strconv.FormatBool(v.GetBoolValue())
	}
	return ""
}

// num reads a numeric attribute (an int, a double, or a numeric string).
func (a attrs) num(key string) (float64, bool, error) {
	v, ok := a.get(key)
	if !ok {
		return 0, false, nil
	}
	switch v.GetValue().(type) {
	case *commonpb.AnyValue_IntValue:
		return float64(v.GetIntValue()), true, nil
	case *commonpb.AnyValue_DoubleValue:
		return v.GetDoubleValue(), true, nil
	case *commonpb.AnyValue_StringValue:
		f, err := strconv.ParseFloat(v.GetStringValue(), 64)
		if err != nil {
			return 0, true, fmt.Errorf("attribute %s: %q is not a number", key, v.GetStringValue())
		}
		return f, true, nil
	}
	return 0, true, fmt.Errorf("attribute %s is not a number", key)
}

func (a attrs) hasPrefix(prefixes ...string) bool {
	for _, kv := range a.span {
		for _, p := range prefixes {
			if len(kv.GetKey()) >= len(p) && kv.GetKey()[:len(p)] == p {
				return true
			}
		}
	}
	return false
}

// MapSpans turns an export into events. A span with gen_ai.* or verso.*
// attributes is a model call: with verso.prompt.name and
// verso.prompt.version it becomes an event; without them it is kept as
// unattributed. Other spans (HTTP handlers, database calls) are counted as
// ignored.
func MapSpans(req *coltracepb.ExportTraceServiceRequest) Mapped {
	var m Mapped
	for _, rs := range req.GetResourceSpans() {
		res := rs.GetResource().GetAttributes()
		for _, ss := range rs.GetScopeSpans() {
			for _, sp := range ss.GetSpans() {
				m.Spans++
				mapSpan(&m, sp, attrs{sp.GetAttributes(), res})
			}
		}
	}
	return m
}

func mapSpan(m *Mapped, sp *tracepb.Span, a attrs) {
	traceID := hex.EncodeToString(sp.GetTraceId())
	spanID := hex.EncodeToString(sp.GetSpanId())
	id := traceID + "-" + spanID
	if !a.hasPrefix("gen_ai.", "verso.") {
		m.Ignored++
		return
	}
	start, end := sp.GetStartTimeUnixNano(), sp.GetEndTimeUnixNano()
	var latency float64
	if end > start {
		latency = float64(end-start) / 1e6
	}
	model := a.str(AttrResponseModel)
	if model == "" {
		model = a.str(AttrRequestModel)
	}
	reject := func(err error) {
		m.Rejected = append(m.Rejected, Rejected{ID: id, Reason: "span " + id + ": " + err.Error()})
	}
	in, _, err := a.num(AttrInputTokens)
	if err != nil {
		reject(err)
		return
	}
	out, _, err := a.num(AttrOutputTokens)
	if err != nil {
		reject(err)
		return
	}
	isErr := sp.GetStatus().GetCode() == tracepb.Status_STATUS_CODE_ERROR
	t := time.Unix(0, int64(start)).UTC()
	name, version := a.str(AttrPromptName), a.str(AttrPromptVersion)
	if name == "" || version == "" {
		missing := AttrPromptName
		if name != "" {
			missing = AttrPromptVersion
		}
		m.Unattributed = append(m.Unattributed, store.Span{ID: id, Name: sp.GetName(), Model: model, Time: t, Error: isErr,
			LatencyMS: latency, TokensIn: int64(in), TokensOut: int64(out), Reason: "no " + missing + " attribute"})
		return
	}
	v, err := strconv.Atoi(version)
	if err != nil || v < 1 {
		reject(fmt.Errorf("attribute %s: %q is not a version number", AttrPromptVersion, version))
		return
	}
	e := store.Event{ID: id, Prompt: name, Version: v, Label: a.str(AttrPromptLabel), Arm: a.str(AttrArm), Unit: a.str(AttrUnit),
		Model: model, Time: t, LatencyMS: latency, TokensIn: int64(in), TokensOut: int64(out), TraceID: traceID, Status: "ok"}
	if start == 0 {
		e.Time = time.Time{}
	}
	if isErr {
		e.Status = "error"
		e.ErrorKind = a.str(AttrErrorType)
		if e.ErrorKind == "" {
			e.ErrorKind = sp.GetStatus().GetMessage()
		}
	}
	if c, ok, err := a.num(AttrCost); err != nil {
		reject(err)
		return
	} else if ok {
		e.Cost = c
	}
	if s, ok, err := a.num(AttrScore); err != nil {
		reject(err)
		return
	} else if ok {
		e.Score = &s
	}
	m.Events = append(m.Events, e)
}
