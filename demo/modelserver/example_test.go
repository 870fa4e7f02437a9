package modelserver_test

import (
	"context"
	"fmt"

	openai "github.com/sashabaranov/go-openai"

	"github.com/seed94f0f622/verso/demo/modelserver"
)

// Start a demo model on loopback and talk to it with go-openai.
func ExampleStart() {
	srv, err := modelserver.Start("127.0.0.1:0", modelserver.Options{})
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	cfg := openai.DefaultConfig("any-key")
	cfg.BaseURL = srv.URL()
	c := openai.NewClientWithConfig(cfg)
	resp, err := c.CreateChatCompletion(context.Background(), openai.ChatCompletionRequest{
		Model: "demo-large",
		Messages: []openai.ChatCompletionMessage{{Role: "user",
			Content: "Classify the sentiment as one of: positive, negative, neutral. Respond with only the label.\n\nReview: Not great, the sync keeps failing."}},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(resp.Choices[0].Message.Content)
	// Output: negative
}

// Fail the first attempt of a request with a 429, so a client's retry
// succeeds: the magic string works in any message (or use FailHeader).
func ExampleOptions_failures() {
	srv, _ := modelserver.Start("127.0.0.1:0", modelserver.Options{RetryAfter: 0})
	defer srv.Close()
	cfg := openai.DefaultConfig("k")
	cfg.BaseURL = srv.URL()
	c := openai.NewClientWithConfig(cfg)
	req := openai.ChatCompletionRequest{Model: "demo-small", Messages: []openai.ChatCompletionMessage{{Role: "user", Content: "hello [[fail:429:1]]"}}}
	_, err := c.CreateChatCompletion(context.Background(), req)
	fmt.Println(err != nil)
	_, err = c.CreateChatCompletion(context.Background(), req)
	fmt.Println(err == nil, srv.Stats().ByStatus[429])
	// Output:
	// true
	// true 1
}
