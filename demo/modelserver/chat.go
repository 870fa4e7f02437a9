package modelserver

import (
	"encoding/json"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// replyFunc answers a chat request (a variable so a test can make it panic).
var replyFunc = Reply

// chatRequest is the part of an OpenAI chat request the server reads.
type chatRequest struct {
	Model         string        `json:"model"`
	Messages      []chatMessage `json:"messages"`
	Stream        bool          `json:"stream"`
	StreamOptions *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	Temperature         *float64        `json:"temperature"`
	Seed                *int64          `json:"seed"`
	MaxTokens           int             `json:"max_tokens"`
	MaxCompletionTokens int             `json:"max_completion_tokens"`
	Stop                json.RawMessage `json:"stop"`
	ResponseFormat      *responseFormat `json:"response_format"`
}

type responseFormat struct {
	Type       string `json:"type"`
	JSONSchema *struct {
		Name   string          `json:"name"`
		Schema json.RawMessage `json:"schema"`
	} `json:"json_schema"`
}

// chatMessage accepts content as a string or as a list of parts.
type chatMessage struct {
	Role    string      `json:"role"`
	Content flexContent `json:"content"`
}

type flexContent string

func (c *flexContent) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*c = flexContent(s)
		return nil
	}
	if string(b) == "null" {
		*c = ""
		return nil
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if err := json.Unmarshal(b, &parts); err != nil {
		return err
	}
	var sb strings.Builder
	for i, p := range parts {
		if i > 0 {
			sb.WriteByte('\n')
		}
		sb.WriteString(p.Text)
	}
	*c = flexContent(sb.String())
	return nil
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// putBuf returns a buffer to the pool unless one huge request grew it: the
// pool should not pin megabytes.
func putBuf(bp *[]byte) {
	if cap(*bp) <= 256<<10 {
		bufPool.Put(bp)
	}
}

func readBody(r *http.Request) ([]byte, *[]byte, error) {
	bp := bufPool.Get().(*[]byte)
	buf := (*bp)[:0]
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			*bp = buf
			return buf, bp, nil
		}
		if err != nil {
			*bp = buf
			return nil, bp, err
		}
		if len(buf) > 8<<20 {
			*bp = buf
			return nil, bp, errTooLarge
		}
	}
}

var errTooLarge = &httpError{"request body over 8 MiB"}

type httpError struct{ msg string }

func (e *httpError) Error() string { return e.msg }

func (s *Server) chat(w http.ResponseWriter, r *http.Request) {
	body, bp, err := readBody(r)
	defer putBuf(bp)
	if err != nil {
		s.writeError(w, http.StatusBadRequest, "invalid_request_error", "cannot read the request body: "+err.Error())
		return
	}
	var req chatRequest
	if err := json.Unmarshal(body, &req); err != nil {
		s.writeError(w, http.StatusBadRequest, "invalid_request_error", "the request body is not valid JSON: "+err.Error())
		return
	}
	if len(req.Messages) == 0 {
		s.writeError(w, http.StatusBadRequest, "invalid_request_error", "messages must hold at least one message")
		return
	}
	forced := r.Header.Get(FailHeader)
	if forced == "" {
		forced = magicFail(req.Messages)
	}
	kind, h := s.decide(body, forced)

	if !s.wait(r.Context(), h) {
		return
	}
	switch kind {
	case Fail429:
		ra := s.o.RetryAfter
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(ra.Seconds()))))
		w.Header().Set("retry-after-ms", strconv.FormatInt(ra.Milliseconds(), 10))
		s.writeError(w, http.StatusTooManyRequests, "rate_limit_error", "Rate limit reached for demo model (injected). Please try again later.")
		return
	case Fail500:
		s.writeError(w, http.StatusInternalServerError, "server_error", "The demo model had an internal error (injected).")
		return
	case FailTimeout:
		s.hang(r.Context())
		return
	}

	in := Input{Model: req.Model, JSON: false}
	in.Messages = make([]Message, len(req.Messages))
	for i, m := range req.Messages {
		in.Messages[i] = Message{Role: m.Role, Content: string(m.Content)}
	}
	if rf := req.ResponseFormat; rf != nil {
		in.JSON = rf.Type == "json_object" || rf.Type == "json_schema"
		if rf.JSONSchema != nil {
			in.Schema = rf.JSONSchema.Schema
		}
	}
	if req.Temperature != nil {
		in.Temperature = *req.Temperature
	}
	if req.Seed != nil {
		in.Seed = *req.Seed
	}
	reply := replyFunc(in)
	finish := "stop"
	if stops := parseStop(req.Stop); len(stops) > 0 {
		for _, st := range stops {
			if i := strings.Index(reply, st); i >= 0 {
				reply = reply[:i]
			}
		}
	}
	maxTok := req.MaxCompletionTokens
	if maxTok == 0 {
		maxTok = req.MaxTokens
	}
	if maxTok > 0 && Tokens(reply) > maxTok {
		reply = truncateTokens(reply, maxTok)
		finish = "length"
	}
	promptTok := 0
	for _, m := range in.Messages {
		promptTok += Tokens(m.Content) + 4
	}
	u := usage{prompt: promptTok, completion: Tokens(reply)}
	id := "chatcmpl-demo" + strconv.FormatUint(h&0xffffffffffff, 36)
	model := req.Model
	if model == "" {
		model = chatModels[0]
	}
	if req.Stream {
		s.streams.Add(1)
		include := req.StreamOptions != nil && req.StreamOptions.IncludeUsage
		s.stream(w, r, id, model, reply, finish, u, include, kind)
		return
	}
	switch kind {
	case FailMalformed:
		s.malformed.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		s.count(http.StatusOK)
		_, _ = io.WriteString(w, `{"id":"`+id+`","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"`)
		return
	}
	bp2 := bufPool.Get().(*[]byte)
	defer putBuf(bp2)
	b := (*bp2)[:0]
	b = append(b, `{"id":"`...)
	b = append(b, id...)
	b = append(b, `","object":"chat.completion","created":`...)
	b = strconv.AppendInt(b, time.Now().Unix(), 10)
	b = append(b, `,"model":`...)
	b = appendJSONString(b, model)
	b = append(b, `,"system_fingerprint":"fp_demo","choices":[{"index":0,"message":{"role":"assistant","content":`...)
	b = appendJSONString(b, reply)
	b = append(b, `,"refusal":null},"logprobs":null,"finish_reason":"`...)
	b = append(b, finish...)
	b = append(b, `"}],"usage":`...)
	b = u.append(b)
	b = append(b, '}', '\n')
	*bp2 = b
	w.Header().Set("Content-Type", "application/json")
	if kind == FailCut {
		// Promise the whole body, send half, drop the connection.
		s.cut.Add(1)
		w.Header().Set("Content-Length", strconv.Itoa(len(b)))
		w.WriteHeader(http.StatusOK)
		s.count(http.StatusOK)
		_, _ = w.Write(b[:len(b)/2])
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		panic(errAbort)
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	s.count(http.StatusOK)
	_, _ = w.Write(b)
}

// stream writes the reply as server-sent events, one chunk per word.
func (s *Server) stream(w http.ResponseWriter, r *http.Request, id, model, reply, finish string, u usage, includeUsage bool, kind string) {
	fl, _ := w.(http.Flusher)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("Connection", "keep-alive")
	w.WriteHeader(http.StatusOK)
	s.count(http.StatusOK)
	created := strconv.AppendInt(nil, time.Now().Unix(), 10)

	bp := bufPool.Get().(*[]byte)
	defer putBuf(bp)
	chunk := func(b []byte, delta func([]byte) []byte, fin string, withUsage bool) []byte {
		b = append(b, `data: {"id":"`...)
		b = append(b, id...)
		b = append(b, `","object":"chat.completion.chunk","created":`...)
		b = append(b, created...)
		b = append(b, `,"model":`...)
		b = appendJSONString(b, model)
		b = append(b, `,"system_fingerprint":"fp_demo","choices":[`...)
		if delta != nil {
			b = append(b, `{"index":0,"delta":`...)
			b = delta(b)
			b = append(b, `,"logprobs":null,"finish_reason":`...)
			if fin == "" {
				b = append(b, "null"...)
			} else {
				b = append(b, '"')
				b = append(b, fin...)
				b = append(b, '"')
			}
			b = append(b, '}')
		}
		b = append(b, ']')
		if withUsage {
			b = append(b, `,"usage":`...)
			b = u.append(b)
		} else if includeUsage {
			b = append(b, `,"usage":null`...)
		}
		b = append(b, "}\n\n"...)
		return b
	}
	flush := func(b []byte) bool {
		if _, err := w.Write(b); err != nil {
			return false
		}
		if fl != nil {
			fl.Flush()
		}
		return true
	}

	// Without a token delay the whole stream goes out in as few writes as
	// the buffer allows (one syscall, not one per word); with a delay each
	// chunk is flushed on its own, as a real model streams.
	paced := s.o.TokenDelay > 0
	b := chunk((*bp)[:0], func(b []byte) []byte {
		return append(b, `{"role":"assistant","content":"","refusal":null}`...)
	}, "", false)
	if kind == FailMalformed {
		s.malformed.Add(1)
		b = append(b, "data: {\"id\":\""+id+"\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\n\ndata: [DONE]\n\n"...)
		*bp = b
		flush(b)
		return
	}
	pieces := splitChunks(reply)
	for i, p := range pieces {
		if kind == FailCut && (i >= 3 || i == len(pieces)-1) {
			flush(b)
			*bp = b
			s.cut.Add(1)
			panic(errAbort)
		}
		if paced {
			if !flush(b) {
				*bp = b
				return
			}
			b = b[:0]
			t := time.NewTimer(s.o.TokenDelay)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				*bp = b
				return
			case <-s.done:
				t.Stop()
				*bp = b
				return
			}
		}
		b = chunk(b, func(b []byte) []byte {
			b = append(b, `{"content":`...)
			b = appendJSONString(b, p)
			return append(b, '}')
		}, "", false)
	}
	if kind == FailCut {
		flush(b)
		*bp = b
		s.cut.Add(1)
		panic(errAbort)
	}
	b = chunk(b, func(b []byte) []byte { return append(b, "{}"...) }, finish, false)
	if includeUsage {
		b = chunk(b, nil, "", true)
	}
	b = append(b, "data: [DONE]\n\n"...)
	*bp = b
	flush(b)
}

// splitChunks splits a reply into stream deltas: each word with the space
// before it, as real models stream.
func splitChunks(s string) []string {
	var out []string
	start := 0
	for i := 1; i < len(s); i++ {
		if (s[i] == ' ' || s[i] == '\n') && s[i-1] != ' ' && s[i-1] != '\n' {
			out = append(out, s[start:i])
			start = i
		}
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

func parseStop(raw json.RawMessage) []string {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var one string
	if json.Unmarshal(raw, &one) == nil {
		if one == "" {
			return nil
		}
		return []string{one}
	}
	var many []string
	_ = json.Unmarshal(raw, &many)
	return many
}

type usage struct{ prompt, completion int }

func (u usage) append(b []byte) []byte {
	b = append(b, `{"prompt_tokens":`...)
	b = strconv.AppendInt(b, int64(u.prompt), 10)
	b = append(b, `,"completion_tokens":`...)
	b = strconv.AppendInt(b, int64(u.completion), 10)
	b = append(b, `,"total_tokens":`...)
	b = strconv.AppendInt(b, int64(u.prompt+u.completion), 10)
	return append(b, '}')
}

// Tokens estimates a token count the way the demo model bills: about four
// bytes per token, at least one for any non-empty text.
func Tokens(s string) int {
	if s == "" {
		return 0
	}
	return (len(s) + 3) / 4
}

func truncateTokens(s string, n int) string {
	limit := n * 4
	if limit >= len(s) {
		return s
	}
	for limit > 0 && !utf8.RuneStart(s[limit]) {
		limit--
	}
	return s[:limit]
}

// magicFail finds "[[fail:KIND]]" or "[[fail:KIND:N]]" in the messages.
func magicFail(msgs []chatMessage) string {
	for _, m := range msgs {
		c := string(m.Content)
		i := strings.Index(c, "[[fail:")
		if i < 0 {
			continue
		}
		rest := c[i+len("[[fail:"):]
		if j := strings.Index(rest, "]]"); j >= 0 {
			return rest[:j]
		}
	}
	return ""
}

func (s *Server) models(w http.ResponseWriter) {
	b := []byte(`{"object":"list","data":[`)
	for i, m := range append(s.Models(), EmbeddingModel) {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"id":`...)
		b = appendJSONString(b, m)
		b = append(b, `,"object":"model","created":1700000000,"owned_by":"verso-demo"}`...)
	}
	b = append(b, "]}\n"...)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	s.count(http.StatusOK)
	_, _ = w.Write(b)
}

func (s *Server) writeError(w http.ResponseWriter, status int, typ, msg string) {
	b := []byte(`{"error":{"message":`)
	b = appendJSONString(b, msg)
	b = append(b, `,"type":"`...)
	b = append(b, typ...)
	b = append(b, `","param":null,"code":`...)
	switch status {
	case http.StatusTooManyRequests:
		b = append(b, `"rate_limit_exceeded"`...)
	default:
		b = append(b, "null"...)
	}
	b = append(b, "}}\n"...)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	s.count(status)
	_, _ = w.Write(b)
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string literal (valid UTF-8 kept,
// control characters and invalid bytes escaped).
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// FNV-1a over the body plus a splitmix finaliser: deterministic across
// processes (unlike maphash).
func hashBytes(seed uint64, b []byte) uint64 {
	h := uint64(14695981039346656037) ^ seed
	for _, c := range b {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return mix(h)
}

func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// unit maps a hash to [0,1).
func unit(h uint64) float64 { return float64(h>>11) / (1 << 53) }
