package provider

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/sashabaranov/go-openai"
)

// excerptLen is how much of a response body an error quotes.
const excerptLen = 300

// HTTPError is a model server's refusal: the HTTP status, the message the
// server gave (OpenAI's error shape or any other), and the start of the
// body as it came, whatever its shape.
type HTTPError struct {
	Status     int
	Message    string // the server's message; "" when the body had none
	Body       string // excerpt of the body, one line
	RetryAfter string // the Retry-After the server sent, if any
	Err        error  // what go-openai returned
}

func (e *HTTPError) Error() string {
	s := StatusText(e.Status)
	switch {
	case e.Message != "":
		s += ": " + e.Message
	case e.Body != "":
		s += ": " + e.Body
	default:
		s += " with an empty body"
	}
	return s
}
func (e *HTTPError) Unwrap() error { return e.Err }

// StreamError is an error the server sent inside a stream that had begun
// with 200 OK: an overloaded or failing server says so this way.
type StreamError struct {
	Message string
	Type    string // the error's type when it had OpenAI's shape
	Body    string // excerpt of the stream where the error was
	Err     error
}

func (e *StreamError) Error() string {
	m := e.Message
	if m == "" {
		m = e.Body
	}
	return "error in the stream: " + m
}
func (e *StreamError) Unwrap() error { return e.Err }

// retryable: an error inside a stream is the server failing mid-answer,
// unless it says the request itself is at fault.
func (e *StreamError) retryable() bool {
	switch e.Type {
	case "invalid_request_error", "content_filter", "authentication_error", "permission_error":
		return false
	}
	return true
}

// TooLargeError is an answer that passed the provider's size cap: Verso
// stopped reading it.
type TooLargeError struct {
	Provider string
	Limit    int64 // the provider's max_response_bytes
	// BodyLimit is set when the HTTP body passed its own cap (a multiple
	// of Limit: JSON escaping and stream framing) before the text did.
	BodyLimit int64
}

func (e *TooLargeError) Error() string {
	what := "the answer passed " + sizeText(e.Limit)
	if e.BodyLimit > 0 {
		what = fmt.Sprintf("the response body passed %s (%dx the %s answer cap)", sizeText(e.BodyLimit), e.BodyLimit/e.Limit, sizeText(e.Limit))
	}
	return fmt.Sprintf("%s: Verso stopped reading it (raise max_response_bytes of provider %s in the config file if this is expected)", what, e.Provider)
}

func sizeText(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// StatusText is "HTTP 429 Too Many Requests".
func StatusText(code int) string {
	s := fmt.Sprintf("HTTP %d", code)
	if t := http.StatusText(code); t != "" {
		s += " " + t
	}
	return s
}

// excerpt is the start of b as one printable line of at most excerptLen
// runes.
func excerpt(b []byte) string {
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) > excerptLen {
		r := []rune(s)
		s = string(r[:excerptLen]) + "…"
	}
	return s
}

// bodyMessage finds an error message in a body of any common shape:
// OpenAI's {"error": {"message": ...}}, {"error": "text"},
// {"message": ...}, {"detail": ...}; "" when there is none.
func bodyMessage(b []byte) string {
	var v map[string]json.RawMessage
	if json.Unmarshal(b, &v) != nil {
		return ""
	}
	str := func(raw json.RawMessage) string {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
		var o map[string]json.RawMessage
		if json.Unmarshal(raw, &o) == nil {
			for _, k := range []string{"message", "detail", "error"} {
				var s string
				if json.Unmarshal(o[k], &s) == nil && s != "" {
					return s
				}
			}
		}
		return ""
	}
	for _, k := range []string{"error", "message", "detail", "msg"} {
		if s := strings.TrimSpace(str(v[k])); s != "" {
			return oneLine(s)
		}
	}
	return ""
}

// httpError builds the error of a failed HTTP exchange from what the
// transport saw.
func httpError(err error, a *attempt) *HTTPError {
	he := &HTTPError{Status: a.status, Body: excerpt(a.head), RetryAfter: a.retryAfterRaw, Err: err}
	var ae *openai.APIError
	if errors.As(err, &ae) && ae.Message != "" {
		he.Message = oneLine(ae.Message)
	} else {
		he.Message = bodyMessage(a.head)
		if he.Message != "" && he.Body != "" {
			// Not OpenAI's shape: say what was found and show the body.
			he.Message += " (body: " + he.Body + ")"
		}
	}
	return he
}
