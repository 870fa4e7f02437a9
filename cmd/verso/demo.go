package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/seed94f0f622/verso/demo"
	"github.com/seed94f0f622/verso/demo/modelserver"
	"github.com/seed94f0f622/verso/eval/client"
	"github.com/seed94f0f622/verso/eval/serve"
	"github.com/seed94f0f622/verso/store"
)

func newDemoCmd(a *app) *cobra.Command {
	var (
		noTUI    bool
		prompts  int
		versions int
		latency  time.Duration
		jitter   time.Duration
		tokenGap time.Duration
		serve    string
		traffic  bool
		rate     float64
	)
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Build a fresh demo registry and open it with the offline demo model",
		Long: "Builds a fresh demo registry (a product team's prompts with their history, labels and test\n" +
			"suites), starts the offline demo model on loopback and opens the TUI on it. The demo file is\n" +
			"rebuilt every time: --db PATH, or ~/.local/share/verso/demo.db ($XDG_DATA_HOME). It never\n" +
			"replaces a registry that holds prompts of its own.\n\n" +
			"With --prompts and --versions it writes a synthetic registry of that size instead (for\n" +
			"performance work) and prints how long it took.\n\n" +
			"The registry holds two weeks of production traffic (see the Analytics tab); with --traffic, `verso serve`\n" +
			"runs on a loopback port and simulated applications keep calling it (--rate calls a second), so the charts\n" +
			"move; a label moved in the TUI moves the traffic.\n\n" +
			"With --serve ADDR it only serves the demo model (OpenAI-compatible, at http://ADDR/v1) until\n" +
			"interrupted, for other tools and benchmarks; no registry is built.",
		Example: "  verso demo\n" +
			"  verso demo --no-tui\n" +
			"  verso demo --traffic\n" +
			"  verso demo --prompts 10000 --versions 10 --no-tui --db big.db\n" +
			"  verso demo --serve 127.0.0.1:8089 --latency 50ms",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			synthetic := cmd.Flags().Changed("prompts") || cmd.Flags().Changed("versions")
			if synthetic && (prompts < 1 || versions < 1) {
				return usageErr("--prompts and --versions must both be at least 1 (got %d and %d)", prompts, versions)
			}
			if versions > 1000 {
				return usageErr("--versions %d is over the limit of 1000", versions)
			}
			if latency < 0 || tokenGap < 0 || jitter < 0 {
				return usageErr("--latency, --jitter and --token-delay must not be negative")
			}
			if !cmd.Flags().Changed("jitter") && serve == "" {
				jitter = latency / 4
			}
			if traffic && (synthetic || serve != "") {
				return usageErr("--traffic sends live events to the demo registry: it takes no --prompts, --versions or --serve")
			}
			if rate <= 0 || rate > 10_000 {
				return usageErr("--rate %v is out of range: calls per second, from 0.1 to 10000", rate)
			}
			if serve != "" {
				if synthetic || noTUI {
					return usageErr("--serve only serves the demo model: it takes no --prompts, --versions or --no-tui")
				}
				return a.serveDemo(ctx, serve, modelserver.Options{Latency: latency, Jitter: jitter, TokenDelay: tokenGap, Seed: 1})
			}
			path, err := a.demoPath()
			if err != nil {
				return err
			}
			if store.IsPostgres(path) {
				return usageErr("the demo registry is a SQLite file that `verso demo` deletes and rebuilds: pass --db with a file path")
			}
			if err := removeDemo(ctx, path); err != nil {
				return err
			}
			if a.dbFlag == "" {
				// Only the default place is created (private); --db must
				// name a path in an existing folder.
				if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
					return usageErr("cannot create the folder for %s: %w", path, err)
				}
			}
			j := a.journal
			if j != "" && j != "wal" && j != "delete" {
				return usageErr("unknown --journal %q: use wal or delete", j)
			}
			st, err := store.OpenWith(path, store.Options{Journal: j})
			if err != nil {
				return classify(err)
			}
			// Marked first, so an interrupted build can be rebuilt.
			if err := st.MarkDemo(ctx); err != nil {
				st.Close()
				return classify(err)
			}
			start := time.Now()
			if synthetic {
				var progress func(int)
				if isTerminal(a.stderr) {
					progress = func(done int) { fmt.Fprintf(a.stderr, "\r  %d/%d prompts", done, prompts) }
				}
				err = demo.Synthetic(ctx, st, prompts, versions, progress)
				if progress != nil {
					fmt.Fprint(a.stderr, "\r\033[K")
				}
			} else if err = demo.Build(ctx, st, a.author()); err == nil {
				now := time.Now().UTC()
				if err = demo.StageRollouts(ctx, st, now, a.author()); err == nil {
					_, err = demo.SeedTraffic(ctx, st, demo.Traffic(now))
				}
			}
			closeErr := st.Close()
			if err != nil {
				return classify(fmt.Errorf("build the demo registry at %s: %w", path, err))
			}
			if closeErr != nil {
				return failed(fmt.Errorf("close %s: %w", path, closeErr))
			}
			took := time.Since(start)
			if synthetic {
				fmt.Fprintf(a.stdout, "Synthetic registry rebuilt at %s: %d prompts x %d versions (%d versions) in %s.\n",
					path, prompts, versions, prompts*versions, took.Round(10*time.Millisecond))
			} else {
				fmt.Fprintf(a.stdout, "Demo registry rebuilt at %s: %d prompts with history, labels, test suites and two weeks of production traffic.\n", path, len(demo.Names()))
			}
			if traffic {
				url, stop, err := startTraffic(ctx, path, rate)
				if err != nil {
					return failed(fmt.Errorf("start the live traffic: %w", err))
				}
				defer stop()
				fmt.Fprintf(a.stdout, "Live traffic: about %g calls a second through verso serve at %s\n", rate, url)
				if noTUI {
					fmt.Fprintf(a.stdout, "Watch it:    verso --db %s stats support/reply --since 5m\nCtrl-C stops it.\n", path)
					<-ctx.Done()
					return nil
				}
			}
			if noTUI {
				fmt.Fprintf(a.stdout, "Explore it:  verso --db %s list\n", path)
				if !synthetic {
					fmt.Fprintf(a.stdout, "Evaluate:    verso --db %s eval support/reply@production support/reply@latest\n", path)
				}
				return nil
			}
			srv, err := modelserver.Start("127.0.0.1:0", modelserver.Options{Latency: latency, Jitter: jitter, TokenDelay: tokenGap, Seed: 1})
			if err != nil {
				return failed(fmt.Errorf("start the demo model: %w", err))
			}
			defer srv.Close()
			fmt.Fprintf(a.stdout, "Demo model serving at %s\n", srv.URL())
			a.dbFlag = path
			return a.runTUI(ctx, srv.URL())
		},
	}
	f := cmd.Flags()
	f.BoolVar(&noTUI, "no-tui", false, "build the registry and exit without opening the TUI")
	f.IntVar(&prompts, "prompts", 0, "write a synthetic registry with this many prompts")
	f.IntVar(&versions, "versions", 0, "versions per prompt of the synthetic registry")
	// A little latency and a streaming pace make a live run look like one:
	// the progress bar moves and outputs arrive word by word.
	f.DurationVar(&latency, "latency", 300*time.Millisecond, "time the demo model waits before each reply (0 for full speed)")
	f.DurationVar(&tokenGap, "token-delay", 8*time.Millisecond, "pause between streamed words of the demo model")
	f.DurationVar(&jitter, "jitter", 0, "random +- spread of the latency (default: a quarter of --latency; 0 with --serve)")
	f.StringVar(&serve, "serve", "", "only serve the demo model on ADDR (host:port) until interrupted")
	f.BoolVar(&traffic, "traffic", false, "keep sending live production events through a verso serve on loopback (with --no-tui: until interrupted)")
	f.Float64Var(&rate, "rate", 5, "calls a second of the live --traffic, over all prompts")
	return cmd
}

// startTraffic serves the demo registry at path with `verso serve` on a
// loopback port and sends it simulated calls (demo.Live) through the Go
// client, as an application would. stop ends the calls, flushes them and
// stops the server after it has answered them.
func startTraffic(ctx context.Context, path string, rate float64) (url string, stop func(), err error) {
	st, err := store.Open(path)
	if err != nil {
		return "", nil, err
	}
	srv, err := serve.New(st, serve.Options{Addr: "127.0.0.1:0"})
	if err != nil {
		st.Close()
		return "", nil, err
	}
	serveCtx, stopServe := context.WithCancel(context.WithoutCancel(ctx))
	bound := make(chan string, 1)
	served := make(chan error, 1)
	go func() { served <- srv.ListenAndServe(serveCtx, func(addr string) { bound <- addr }) }()
	select {
	case addr := <-bound:
		url = "http://" + addr
	case err := <-served:
		stopServe()
		st.Close()
		return "", nil, err
	}
	c, err := client.Open(url, client.Options{TTL: 2 * time.Second, FlushInterval: 250 * time.Millisecond})
	if err != nil {
		stopServe()
		<-served
		st.Close()
		return "", nil, err
	}
	liveCtx, stopLive := context.WithCancel(ctx)
	lived := make(chan struct{})
	go func() {
		defer close(lived)
		demo.Live(liveCtx, c, demo.LiveOptions{Rate: rate, StagingShare: 0.15, Seed: 7})
	}()
	return url, func() {
		stopLive()
		<-lived
		c.Close() // flushes the last calls to the server
		stopServe()
		<-served
		st.Close()
	}, nil
}

// serveDemo runs the demo model server in the foreground until ctx ends
// (Ctrl-C), printing its base URL first.
func (a *app) serveDemo(ctx context.Context, addr string, o modelserver.Options) error {
	srv, err := modelserver.Start(addr, o)
	if err != nil {
		return usageErr("%w: pass a free host:port to --serve, e.g. 127.0.0.1:8089", err)
	}
	defer srv.Close()
	fmt.Fprintf(a.stdout, "Demo model serving at %s (latency %s, jitter %s); Ctrl-C stops it.\n", srv.URL(), o.Latency, o.Jitter)
	<-ctx.Done()
	return nil
}

// demoPath is where the demo registry lives: --db, else
// $XDG_DATA_HOME/verso/demo.db. $VERSO_DB is deliberately ignored: the demo
// file is deleted and rebuilt, and that must never be the user's registry.
func (a *app) demoPath() (string, error) {
	if a.dbFlag != "" {
		return a.dbFlag, nil
	}
	dir := os.Getenv("XDG_DATA_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", usageErr("cannot find a home directory for the demo database: pass --db PATH")
		}
		dir = filepath.Join(home, ".local", "share")
	}
	return filepath.Join(dir, "verso", "demo.db"), nil
}

// removeDemo deletes a previous demo registry at path (and its WAL files).
// It replaces only a file that `verso demo` marked as its own (store
// MarkDemo), never a registry that merely looks like the demo, and never
// one that another process has open.
func removeDemo(ctx context.Context, path string) error {
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err == nil && fi.Mode().IsRegular() && fi.Size() == 0 {
		// An empty file holds nothing to lose.
		return os.Remove(path)
	}
	st, err := store.OpenWith(path, store.Options{ReadOnly: true})
	if err != nil {
		return usageErr("%s exists and is not a Verso demo registry (%v): pass another --db path", path, userMessage(err))
	}
	isDemo, err := st.IsDemo(ctx)
	st.Close()
	if err != nil {
		return failed(fmt.Errorf("read %s: %w", path, err))
	}
	if !isDemo {
		return usageErr("%s is a registry that `verso demo` did not build (not from the demo; it may be someone's real one): refusing to replace it; pass another --db path, or delete it yourself if it is a demo", path)
	}
	if by := store.OpenBy(path); by != "" {
		return usageErr("%s is a demo registry that %s has open: refusing to replace it under it; stop that process first, or pass another --db path", path, by)
	}
	for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
		if err := os.Remove(path + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			return failed(fmt.Errorf("remove the old demo registry: %w", err))
		}
	}
	return nil
}
