package modelserver

import (
	"bytes"
	"io"
	"log"
	"net/http"
	"os"
	"strings"
	"testing"
)

// TestNonASCIIBeforeDocsMarker is the input the fuzz target found: lower-
// casing Ⱥ (2 bytes) gives ⱥ (3 bytes), so an offset into the lower-cased
// system prompt cut the original one out of range.
func TestNonASCIIBeforeDocsMarker(t *testing.T) {
	for _, sys := range []string{"ȺDocs:", "Ⱥ Docs: The export button is on the project page.", "ȺȺȺȺ documentation:\nA. B.",
		"ȺȺȺȺȺȺȺȺȺȺȺȺȺȺ please: x", "x"} {
		for _, user := range []string{"How do I export?", "Docs: only in the user message\nQuestion: export?",
			"Hello ȺȺȺȺȺȺȺȺȺȺ please refund me", "ȺȺȺȺ Output: a ȺȺ Rubric: b"} {
			in := Input{Model: "demo-large", Messages: []Message{{Role: "system", Content: sys}, {Role: "user", Content: user}}}
			if Reply(in) == "" {
				t.Errorf("sys %q user %q: empty reply", sys, user)
			}
			in.Messages = append(in.Messages, Message{Role: "user", Content: GraderMarker + "\nȺȺȺ Output: x ȺȺ Rubric: y"})
			Reply(in)
		}
	}
}

// TestPanicIsOneRequestsError: a panic while answering is that request's
// 500 with the reason, the server keeps serving, and nothing is printed
// (net/http would print a stack trace per panic on the CLI's stderr).
func TestPanicIsOneRequestsError(t *testing.T) {
	var logged bytes.Buffer
	log.SetOutput(&logged)
	t.Cleanup(func() { log.SetOutput(os.Stderr) })
	replyFunc = func(Input) string { panic("boom") }
	t.Cleanup(func() { replyFunc = Reply })
	srv, err := Start("127.0.0.1:0", Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	post := func(stream bool) (int, string) {
		body := `{"model":"demo-small","messages":[{"role":"user","content":"hi"}]`
		if stream {
			body += `,"stream":true`
		}
		resp, err := http.Post(srv.URL()+"/chat/completions", "application/json", strings.NewReader(body+"}"))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, stream := range []bool{false, true} {
		code, body := post(stream)
		if code != http.StatusInternalServerError || !strings.Contains(body, "failed on this request: boom") {
			t.Errorf("stream=%v: %d %s, want a 500 naming the panic", stream, code, body)
		}
	}
	replyFunc = Reply
	if code, body := post(false); code != http.StatusOK {
		t.Errorf("after a panic: %d %s", code, body)
	}
	if logged.Len() > 0 {
		t.Errorf("the server printed:\n%s", logged.String())
	}
}
