package modelserver_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	openai "github.com/sashabaranov/go-openai"

	"github.com/seed94f0f622/verso/demo/modelserver"
)

var benchBody = []byte(`{"model":"demo-large","messages":[{"role":"system","content":"You are a support assistant. Classify the sentiment as (positive|negative|neutral). Respond with only the label."},{"role":"user","content":"Review: The app is fast and the new dashboard is great, but sync was slow once."}],"temperature":0}`)

// BenchmarkServeHTTP is the handler alone: parse, brain, write.
func BenchmarkServeHTTP(b *testing.B) {
	srv := modelserver.New(modelserver.Options{})
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest("POST", "/v1/chat/completions", bytes.NewReader(benchBody))
			w := httptest.NewRecorder()
			srv.ServeHTTP(w, req)
			if w.Code != 200 {
				b.Fatal(w.Code)
			}
		}
	})
}

// BenchmarkLoopbackGoOpenAI is the end-to-end figure the eval engine sees:
// go-openai over loopback HTTP with keep-alive, 32 concurrent callers.
func BenchmarkLoopbackGoOpenAI(b *testing.B) {
	srv, err := modelserver.Start("127.0.0.1:0", modelserver.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	cfg := openai.DefaultConfig("k")
	cfg.BaseURL = srv.URL()
	cfg.HTTPClient = &http.Client{Transport: &http.Transport{MaxIdleConns: 64, MaxIdleConnsPerHost: 64}}
	c := openai.NewClientWithConfig(cfg)
	b.SetParallelism(16)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i++
			req := chatReq("demo-large", "Classify the sentiment as (positive|negative|neutral). Respond with only the label.",
				"Review: case "+strconv.Itoa(i)+" the app is fast and great")
			if _, err := c.CreateChatCompletion(context.Background(), req); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkLoopbackStream streams a longer reply over loopback.
func BenchmarkLoopbackStream(b *testing.B) {
	srv, err := modelserver.Start("127.0.0.1:0", modelserver.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	cfg := openai.DefaultConfig("k")
	cfg.BaseURL = srv.URL()
	cfg.HTTPClient = &http.Client{Transport: &http.Transport{MaxIdleConns: 64, MaxIdleConnsPerHost: 64}}
	c := openai.NewClientWithConfig(cfg)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := chatReq("demo-small", "Write a reply to the customer.\n\nMessage: My package never arrived and I need it by Friday. Order #88123.")
			req.Stream = true
			st, err := c.CreateChatCompletionStream(context.Background(), req)
			if err != nil {
				b.Fatal(err)
			}
			for {
				_, err := st.Recv()
				if err == io.EOF {
					break
				}
				if err != nil {
					b.Fatal(err)
				}
			}
			st.Close()
		}
	})
}

// BenchmarkServeHTTPStream is the streaming handler alone.
func BenchmarkServeHTTPStream(b *testing.B) {
	srv := modelserver.New(modelserver.Options{})
	body := []byte(`{"model":"demo-small","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"Write a reply to the customer.\n\nMessage: My package never arrived and I need it by Friday. Order #88123."}]}`)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest("POST", "/v1/chat/completions", bytes.NewReader(body))
			w := httptest.NewRecorder()
			srv.ServeHTTP(w, req)
			if w.Code != 200 {
				b.Fatal(w.Code)
			}
		}
	})
}
