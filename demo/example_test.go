package demo_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seed94f0f622/verso/demo"
	"github.com/seed94f0f622/verso/eval/prompt"
	"github.com/seed94f0f622/verso/store"
)

// An application reads its prompt from the registry file and renders it
// (the README's "Reading prompts from an application" is this code).
func Example_application() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "verso-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "verso.db")
	// The team's registry: here the demo's, as `verso demo` builds it.
	team, err := store.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	if err := demo.Build(ctx, team, "ana"); err != nil {
		log.Fatal(err)
	}
	team.Close()

	// The application.
	st, err := store.OpenWith(path, store.Options{ReadOnly: true})
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()

	v, err := st.Resolve(ctx, "support/reply") // a bare name means name@production; or name@staging, name@3, name@latest
	if err != nil {
		log.Fatal(err)
	}
	// v.Kind is store.KindText (v.Template) or store.KindChat (v.Messages);
	// v.Config has the model settings. prompt.Variables(v) names what to pass.
	msgs, err := prompt.Render(v, map[string]any{"customer": "Ada", "message": "I was charged twice."})
	if err != nil {
		log.Fatal(err) // names the missing variables
	}
	fmt.Printf("%s v%d, model %s, variables %v\n", v.Prompt, v.Number, v.Config.Model, prompt.Variables(v))
	for _, m := range msgs {
		fmt.Printf("%s: %.50q\n", m.Role, m.Content)
	}
	// Output:
	// support/reply v3, model demo/demo-small, variables [customer message]
	// system: "You are a support agent for Acme Cloud. Reply to t"
	// user: "Customer name: Ada\n\nI was charged twice."
}

// The README shows exactly Example_application.
func TestReadmeShowsTheApplicationExample(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(readme), "<!-- example-application:start -->\n```go\n")
	block, _, ok2 := strings.Cut(block, "```\n<!-- example-application:end -->")
	if !ok || !ok2 {
		t.Fatal("README.md has no example-application block")
	}
	_, fn, _ := strings.Cut(string(src), "\nfunc Example_application()")
	fn, _, _ = strings.Cut("func Example_application()"+fn, "\n}\n")
	if block != fn+"\n}\n" {
		t.Fatalf("README.md's application example is not Example_application:\n%s\n---\n%s", block, fn+"\n}\n")
	}
}
