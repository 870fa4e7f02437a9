package modelserver

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"strings"
	"unicode"
)

// EmbeddingDims is the length of every demo embedding.
const EmbeddingDims = 256

type embeddingRequest struct {
	Model          string          `json:"model"`
	Input          json.RawMessage `json:"input"`
	EncodingFormat string          `json:"encoding_format"`
}

func (s *Server) embed(w http.ResponseWriter, r *http.Request) {
	s.embeddings.Add(1)
	body, bp, err := readBody(r)
	defer putBuf(bp)
	if err != nil {
		s.writeError(w, http.StatusBadRequest, "invalid_request_error", "cannot read the request body: "+err.Error())
		return
	}
	var req embeddingRequest
	if err := json.Unmarshal(body, &req); err != nil {
		s.writeError(w, http.StatusBadRequest, "invalid_request_error", "the request body is not valid JSON: "+err.Error())
		return
	}
	var inputs []string
	var one string
	if json.Unmarshal(req.Input, &one) == nil {
		inputs = []string{one}
	} else if err := json.Unmarshal(req.Input, &inputs); err != nil {
		s.writeError(w, http.StatusBadRequest, "invalid_request_error", "input must be a string or a list of strings")
		return
	}
	kind, h := s.decide(body, r.Header.Get(FailHeader))
	if !s.wait(r.Context(), h) {
		return
	}
	switch kind {
	case Fail429:
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(s.o.RetryAfter.Seconds()))))
		w.Header().Set("retry-after-ms", strconv.FormatInt(s.o.RetryAfter.Milliseconds(), 10))
		s.writeError(w, http.StatusTooManyRequests, "rate_limit_error", "Rate limit reached for demo model (injected). Please try again later.")
		return
	case Fail500:
		s.writeError(w, http.StatusInternalServerError, "server_error", "The demo model had an internal error (injected).")
		return
	case FailTimeout:
		s.hang(r.Context())
		return
	case FailMalformed, FailCut:
		s.malformed.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		s.count(http.StatusOK)
		_, _ = w.Write([]byte(`{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.1,`))
		return
	}
	model := req.Model
	if model == "" {
		model = EmbeddingModel
	}
	b := []byte(`{"object":"list","data":[`)
	tokens := 0
	for i, in := range inputs {
		tokens += Tokens(in)
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"object":"embedding","index":`...)
		b = strconv.AppendInt(b, int64(i), 10)
		b = append(b, `,"embedding":`...)
		v := Embed(in)
		if req.EncodingFormat == "base64" {
			raw := make([]byte, 4*len(v))
			for j, f := range v {
				binary.LittleEndian.PutUint32(raw[4*j:], math.Float32bits(f))
			}
			b = append(b, '"')
			b = base64.StdEncoding.AppendEncode(b, raw)
			b = append(b, '"')
		} else {
			b = append(b, '[')
			for j, f := range v {
				if j > 0 {
					b = append(b, ',')
				}
				b = strconv.AppendFloat(b, float64(f), 'g', 7, 32)
			}
			b = append(b, ']')
		}
		b = append(b, '}')
	}
	b = append(b, `],"model":`...)
	b = appendJSONString(b, model)
	b = append(b, `,"usage":{"prompt_tokens":`...)
	b = strconv.AppendInt(b, int64(tokens), 10)
	b = append(b, `,"total_tokens":`...)
	b = strconv.AppendInt(b, int64(tokens), 10)
	b = append(b, "}}\n"...)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	s.count(http.StatusOK)
	_, _ = w.Write(b)
}

// Embed is the demo embedding: a hashed bag of word stems and stem bigrams,
// L2-normalised, so texts sharing words have a high cosine similarity and
// unrelated texts a low one.
func Embed(text string) []float32 {
	v := make([]float32, EmbeddingDims)
	words := strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	prev := ""
	for _, w := range words {
		if stopWords[w] {
			continue
		}
		st := stem(w)
		addFeature(v, st, 1)
		if prev != "" {
			addFeature(v, prev+" "+st, 0.5)
		}
		prev = st
	}
	var norm float64
	for _, f := range v {
		norm += float64(f) * float64(f)
	}
	if norm == 0 {
		v[0] = 1
		return v
	}
	inv := float32(1 / math.Sqrt(norm))
	for i := range v {
		v[i] *= inv
	}
	return v
}

func addFeature(v []float32, f string, weight float32) {
	h := hashBytes(0, []byte(f))
	i := h % EmbeddingDims
	if h>>63 == 1 {
		weight = -weight
	}
	v[i] += weight
}
