package store

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/seed94f0f622/verso/internal/pgtest"
)

// The same operations on both backends side by side, on the 10,000 x 10
// registry (DESIGN section 11): the SQLite file of bench_test.go, and a
// PostgreSQL database it is copied into once per process (with `verso
// copy`'s engine). The postgres sub-benchmarks are skipped without a
// server ($VERSO_TEST_POSTGRES):
//
//	eval "$(go run ./internal/pgtest/pgcluster start)"
//	go test ./store -run '^$' -bench 'SideBySide' -benchtime 20x
//
// Targets (issue 13): list < 50 ms, resolve < 1 ms over a local socket,
// commit < 10 ms, 8 writer processes x 200 commits without gaps, a copy
// of the registry < 30 s. They are figures to read, never assertions.

var (
	pgBenchOnce sync.Once
	pgBenchURL  string
	pgBenchErr  error
	// benchCleanups run after the process's benchmarks (TestMain).
	benchCleanups []func() error
)

// pgBenchDB is the 10,000 x 10 registry on PostgreSQL, copied from the
// SQLite one; the benchmark is skipped when there is no server.
func pgBenchDB(b *testing.B) string {
	b.Helper()
	admin := pgtest.Admin(b)
	file := benchDB(b)
	pgBenchOnce.Do(func() {
		u, drop, err := pgtest.CreateDatabase(admin)
		if err != nil {
			pgBenchErr = err
			return
		}
		benchCleanups = append(benchCleanups, drop)
		pgBenchURL = u
		src, err := OpenWith(file, Options{ReadOnly: true})
		if err != nil {
			pgBenchErr = err
			return
		}
		defer src.Close()
		dst, err := Open(u)
		if err != nil {
			pgBenchErr = err
			return
		}
		defer dst.Close()
		_, pgBenchErr = Copy(context.Background(), src, dst, CopyOptions{})
	})
	if pgBenchErr != nil {
		b.Fatal(pgBenchErr)
	}
	return pgBenchURL
}

// sideBySide runs fn on the SQLite registry, then on the PostgreSQL one.
func sideBySide(b *testing.B, fn func(b *testing.B, loc string)) {
	b.Run("sqlite", func(b *testing.B) { fn(b, benchDB(b)) })
	b.Run("postgres", func(b *testing.B) { fn(b, pgBenchDB(b)) })
}

// BenchmarkSideBySideList: open the registry and list every prompt with
// its labels and latest version (target < 50 ms).
func BenchmarkSideBySideList(b *testing.B) {
	sideBySide(b, func(b *testing.B, loc string) {
		ctx := context.Background()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			st, err := Open(loc)
			if err != nil {
				b.Fatal(err)
			}
			ps, err := st.ListPrompts(ctx, ListOptions{})
			if err != nil || len(ps) < benchPrompts {
				b.Fatalf("%d prompts, %v", len(ps), err)
			}
			st.Close()
		}
	})
}

// BenchmarkSideBySideListOpen: list every prompt with its labels and
// latest version on a store already open, as the TUI refreshes its list
// (target < 50 ms; BenchmarkSideBySideList adds opening the registry, as
// a `verso list` does).
func BenchmarkSideBySideListOpen(b *testing.B) {
	sideBySide(b, func(b *testing.B, loc string) {
		st, err := Open(loc)
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		ctx := context.Background()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			ps, err := st.ListPrompts(ctx, ListOptions{})
			if err != nil || len(ps) < benchPrompts {
				b.Fatalf("%d prompts, %v", len(ps), err)
			}
		}
	})
}

// BenchmarkSideBySideResolve: resolve one name@production on an open
// store (target < 1 ms; the store's reads, no application cache).
func BenchmarkSideBySideResolve(b *testing.B) {
	sideBySide(b, func(b *testing.B, loc string) {
		st, err := Open(loc)
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		ctx := context.Background()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			ref := fmt.Sprintf("team%02d/prompt-%05d@production", (i%benchPrompts)%40, i%benchPrompts)
			if v, err := st.Resolve(ctx, ref); err != nil || v.Number != benchVersions-1 {
				b.Fatalf("%s: v%d %v", ref, v.Number, err)
			}
		}
	})
}

// BenchmarkSideBySideCommit: commit one version (target < 10 ms).
func BenchmarkSideBySideCommit(b *testing.B) {
	sideBySide(b, func(b *testing.B, loc string) {
		st, err := Open(loc)
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		ctx := context.Background()
		run := time.Now().UnixNano()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := st.Commit(ctx, CommitInput{Name: "bench/side-by-side", Template: fmt.Sprintf("edit %d-%d {{x}}", run, i), Author: "bench"}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkSideBySideWriters: 8 processes, each with its own connection,
// commit 200 versions each to two shared prompts (1,600 commits); the
// numbers are checked for gaps and duplicates after each round.
func BenchmarkSideBySideWriters(b *testing.B) {
	const procs, each = 8, 200
	run := func(b *testing.B, newLoc func() string) {
		ctx := context.Background()
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			loc := newLoc()
			st, err := Open(loc)
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			runChildren(b, "commit", loc, procs, each)
			b.StopTimer()
			total := 0
			for _, name := range []string{"shared/a", "shared/b"} {
				hist, err := st.History(ctx, name)
				if err != nil {
					b.Fatal(err)
				}
				for j, v := range hist {
					if v.Number != len(hist)-j {
						b.Fatalf("%s: gap or duplicate at v%d", name, v.Number)
					}
				}
				total += len(hist)
			}
			st.Close()
			if total != procs*each {
				b.Fatalf("%d versions, want %d", total, procs*each)
			}
			b.StartTimer()
		}
		b.ReportMetric(float64(b.N*procs*each)/b.Elapsed().Seconds(), "commits/s")
	}
	b.Run("sqlite", func(b *testing.B) {
		run(b, func() string { return filepath.Join(b.TempDir(), "writers.db") })
	})
	b.Run("postgres", func(b *testing.B) {
		pgtest.Admin(b)
		run(b, func() string { return pgtest.NewDatabase(b) })
	})
}

// BenchmarkSideBySideCopy: `verso copy` of the 10,000 x 10 registry into a
// new file or an empty database, verification included (target < 30 s).
func BenchmarkSideBySideCopy(b *testing.B) {
	copyInto := func(b *testing.B, from string, newLoc func() string) {
		ctx := context.Background()
		src, err := OpenWith(from, Options{ReadOnly: true})
		if err != nil {
			b.Fatal(err)
		}
		defer src.Close()
		// The source is built (or copied into PostgreSQL) once per process,
		// inside the first sub-benchmark that asks for it: not a copy's time.
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			dst, err := Open(newLoc())
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			rep, err := Copy(ctx, src, dst, CopyOptions{})
			b.StopTimer()
			dst.Close()
			if err != nil || rep.Tables[2].Destination < benchPrompts {
				b.Fatalf("copy: %v (%+v)", err, rep.Tables)
			}
			b.StartTimer()
		}
	}
	newFile := func(b *testing.B) func() string {
		return func() string { return filepath.Join(b.TempDir(), "copy.db") }
	}
	b.Run("sqlite-to-sqlite", func(b *testing.B) { copyInto(b, benchDB(b), newFile(b)) })
	b.Run("sqlite-to-postgres", func(b *testing.B) {
		pgtest.Admin(b)
		copyInto(b, benchDB(b), func() string { return pgtest.NewDatabase(b) })
	})
	b.Run("postgres-to-sqlite", func(b *testing.B) { copyInto(b, pgBenchDB(b), newFile(b)) })
}
