package client

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/seed94f0f622/verso/internal/pgtest"
	"github.com/seed94f0f622/verso/store"
)

// BenchmarkGetCached: Get of a prompt the client resolved before, from a
// SQLite file and from PostgreSQL (skipped without $VERSO_TEST_POSTGRES).
// Target (issue 13): < 0.2 ms through the library's cache (the first Get,
// before the timer, reads the store; the timed ones come from the cache).
//
//	go test ./eval/client -run '^$' -bench GetCached
func BenchmarkGetCached(b *testing.B) {
	run := func(b *testing.B, loc string) {
		ctx := context.Background()
		st, err := store.Open(loc)
		if err != nil {
			b.Fatal(err)
		}
		for _, tpl := range []string{"one {{x}}", "two {{x}}"} {
			if _, err := st.Commit(ctx, store.CommitInput{Name: "greet", Template: tpl, Author: "ann"}); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := st.SetLabel(ctx, store.LabelInput{Prompt: "greet", Label: "production", Version: 1, Actor: "ann", Force: true, Reason: "bench"}); err != nil {
			b.Fatal(err)
		}
		st.Close()
		c, err := Open(loc, Options{})
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		if _, err := c.Get(ctx, "greet"); err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if p, err := c.Get(ctx, "greet"); err != nil || p.Version != 1 {
				b.Fatalf("v%d %v", p.Version, err)
			}
		}
	}
	b.Run("sqlite", func(b *testing.B) { run(b, filepath.Join(b.TempDir(), "verso.db")) })
	b.Run("postgres", func(b *testing.B) {
		pgtest.Admin(b)
		run(b, pgtest.NewDatabase(b))
	})
}
