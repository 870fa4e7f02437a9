package client_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/seed94f0f622/verso/eval/client"
	"github.com/seed94f0f622/verso/store"
)

func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "verso-example-")
	defer os.RemoveAll(dir)
	db := filepath.Join(dir, "verso.db")

	// The team keeps prompts in the registry (usually with `verso commit`
	// and `verso label`; made in place here so the example runs alone).
	st, _ := store.Open(db)
	st.Commit(ctx, store.CommitInput{Name: "support/reply", Template: "Hello {{name}}, about {{issue}}:"})
	st.SetLabel(ctx, store.LabelInput{Prompt: "support/reply", Label: "production", Version: 1, Force: true, Reason: "first"})
	st.Close()

	// The application: a file path or a `verso serve` URL, the same API.
	c, err := client.Open(db, client.Options{
		TTL: 30 * time.Second,
		// Used when the source is unreachable and nothing is cached.
		Fallbacks: map[string]client.Prompt{
			"support/reply": {Name: "support/reply", Kind: store.KindText, Template: "Hi {{name}}: {{issue}}"},
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close() // flushes the recorded events

	msgs, p, err := c.Render(ctx, "support/reply", map[string]any{"name": "Ada", "issue": "a late parcel"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s v%d (%s)\n", p.Name, p.Version, p.Label)
	fmt.Println(msgs[0].Content)

	start := time.Now()
	// ... send msgs to the model ...
	c.Record(client.Event{Prompt: p.Name, Version: p.Version, Label: p.Label, Model: "gpt-4o-mini",
		LatencyMS: float64(time.Since(start).Milliseconds()), TokensIn: 120, TokensOut: 48, Cost: 0.0001})
	// Output:
	// support/reply v1 (production)
	// Hello Ada, about a late parcel:
}
