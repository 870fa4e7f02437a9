package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The benchmarks run on a synthetic registry of 10,000 prompts x 10
// versions (templates of 200 to 4,000 characters), built once per process,
// or once for good at $VERSO_BENCH_DB (reused when it exists), so that each
// benchmark can run in its own process and report its own peak memory:
//
//	VERSO_BENCH_DB=/tmp/big.db go test ./store -run '^$' -bench OpenAndList -benchmem
//
// peak-MB is the process's peak RSS (getrusage), which includes building
// the registry when the file is made in the same process.
const benchPrompts, benchVersions = 10000, 10

var (
	benchOnce sync.Once
	benchPath string
	benchErr  error
)

func benchDB(b *testing.B) string {
	b.Helper()
	benchOnce.Do(func() {
		if p := os.Getenv("VERSO_BENCH_DB"); p != "" {
			benchPath = p
			if _, err := os.Stat(p); err == nil {
				return
			}
			benchErr = buildSynthetic(p, benchPrompts, benchVersions)
			return
		}
		dir, err := os.MkdirTemp("", "verso-bench-")
		if err != nil {
			benchErr = err
			return
		}
		benchCleanups = append(benchCleanups, func() error { return os.RemoveAll(dir) })
		benchPath = filepath.Join(dir, "big.db")
		benchErr = buildSynthetic(benchPath, benchPrompts, benchVersions)
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchPath
}

func buildSynthetic(path string, prompts, versions int) error {
	ctx := context.Background()
	st, err := Open(path)
	if err != nil {
		return err
	}
	defer st.Close()
	para := "You are a careful assistant for {{team}}. Answer the {{customer}}'s question about {{topic}} in a friendly tone, cite the policy, and never promise refunds you cannot give. "
	var batch []CommitInput
	flush := func() error {
		_, err := st.CommitMany(ctx, batch)
		batch = batch[:0]
		return err
	}
	for v := 1; v <= versions; v++ {
		for p := 0; p < prompts; p++ {
			n := 1 + (p*7+v)%24 // 1..24 paragraphs: ~170 to ~4,000 characters
			batch = append(batch, CommitInput{
				Name:     fmt.Sprintf("team%02d/prompt-%05d", p%40, p),
				Template: fmt.Sprintf("v%d\n", v) + strings.Repeat(para, n),
				Config:   Config{Model: "demo-large", MaxTokens: 256},
				Message:  fmt.Sprintf("edit %d", v), Author: "bench",
			})
			if len(batch) == 2000 {
				if err := flush(); err != nil {
					return err
				}
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	for p := 0; p < prompts; p++ {
		name := fmt.Sprintf("team%02d/prompt-%05d", p%40, p)
		if _, err := st.SetLabel(ctx, LabelInput{Prompt: name, Label: "production", Version: versions - 1, Actor: "bench"}); err != nil {
			return err
		}
		if p%3 == 0 {
			if _, err := st.SetLabel(ctx, LabelInput{Prompt: name, Label: "staging", Version: versions, Actor: "bench"}); err != nil {
				return err
			}
		}
	}
	return nil
}

// BenchmarkOpenAndList: open the file and list every prompt with its labels
// and latest version (target < 50 ms).
func BenchmarkOpenAndList(b *testing.B) {
	path := benchDB(b)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		st, err := Open(path)
		if err != nil {
			b.Fatal(err)
		}
		ps, err := st.ListPrompts(ctx, ListOptions{})
		if err != nil || len(ps) < benchPrompts { // + bench/commit on a reused file
			b.Fatalf("%d prompts, %v", len(ps), err)
		}
		st.Close()
	}
	reportPeak(b)
}

// reportPeak adds the process's peak RSS to the benchmark's figures.
func reportPeak(b *testing.B) {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		b.ReportMetric(float64(ru.Maxrss)/1024, "peak-MB")
	}
}

// BenchmarkResolveProduction: resolve one name@production (target < 0.2 ms).
func BenchmarkResolveProduction(b *testing.B) {
	st, err := Open(benchDB(b))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ref := fmt.Sprintf("team%02d/prompt-%05d@production", (i%benchPrompts)%40, i%benchPrompts)
		v, err := st.Resolve(ctx, ref)
		if err != nil || v.Number != benchVersions-1 {
			b.Fatalf("%s: v%d %v", ref, v.Number, err)
		}
	}
	reportPeak(b)
}

// BenchmarkCommit: commit one version to a large registry (target < 5 ms).
func BenchmarkCommit(b *testing.B) {
	st, err := Open(benchDB(b))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	run := time.Now().UnixNano() // the benchmark function runs several times
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := st.Commit(ctx, CommitInput{Name: "bench/commit", Template: fmt.Sprintf("edit %d-%d {{x}}", run, i), Author: "bench"}); err != nil {
			b.Fatal(err)
		}
	}
	reportPeak(b)
}

// BenchmarkExportProduction: export the production set as JSON (target < 1 s).
func BenchmarkExportProduction(b *testing.B) {
	st, err := Open(benchDB(b))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		doc, err := st.Export(ctx, ExportOptions{Label: "production"})
		if err != nil || len(doc.Prompts) != benchPrompts {
			b.Fatalf("%d prompts, %v", len(doc.Prompts), err)
		}
		if _, err := doc.JSON(); err != nil {
			b.Fatal(err)
		}
	}
	reportPeak(b)
}
