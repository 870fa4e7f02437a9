package importer

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seed94f0f622/verso/store"
)

// BenchmarkImportCSV10k reads a promptfoo config whose tests are a
// 10,000-case CSV and writes it into a fresh registry (the target: under
// a second).
func BenchmarkImportCSV10k(b *testing.B) {
	var csv strings.Builder
	csv.WriteString("question,context,__expected,__description\n")
	for i := range 10_000 {
		fmt.Fprintf(&csv, "What is %d plus %d?,\"Arithmetic, case %d\",contains:%d,case %d\n", i, i, i, 2*i, i)
	}
	dir := write(b, map[string]string{
		"promptfooconfig.yaml": "prompts: ['Answer {{ question }} ({{ context }})']\nproviders: [openai:gpt-4o-mini]\ntests: file://cases.csv\n",
		"cases.csv":            csv.String(),
	})
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		st, err := store.Open(filepath.Join(b.TempDir(), "v.db"))
		if err != nil {
			b.Fatal(err)
		}
		p, err := Read(filepath.Join(dir, "promptfooconfig.yaml"), Options{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := p.Apply(ctx, st, "bench"); err != nil {
			b.Fatal(err)
		}
		st.Close()
	}
}
