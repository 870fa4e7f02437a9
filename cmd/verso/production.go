package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/seed94f0f622/verso/eval/ingest"
	"github.com/seed94f0f622/verso/eval/serve"
	"github.com/seed94f0f622/verso/store"
)

func newServeCmd(a *app) *cobra.Command {
	var addr string
	var maxBody int64
	c := &cobra.Command{
		Use:   "serve",
		Short: "HTTP API for applications: prompts, events, OTLP traces, stats, metrics",
		Long: "Serve prompts to applications and take back what happened: GET /v1/prompts/NAME, POST /v1/prompts/NAME/render,\n" +
			"POST /v1/events, POST /v1/feedback, POST /v1/traces (OTLP/HTTP), GET /v1/stats, GET /healthz, GET /metrics.\n" +
			"It listens on loopback unless --addr says otherwise; any other address needs a bearer token in $" + serve.TokenEnv + ".\n" +
			"SIGTERM or ctrl+c stops it after the requests in flight are answered (each commits before it answers).",
		Example: "  verso serve\n  VERSO_SERVE_TOKEN=s3cret verso serve --addr 0.0.0.0:7070",
		Args:    exactArgs(0, "verso serve [--addr HOST:PORT]"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := a.open(false)
			if err != nil {
				return err
			}
			defer st.Close()
			srv, err := serve.New(st, serve.Options{Addr: addr, Token: os.Getenv(serve.TokenEnv), MaxBody: maxBody, Log: a.stderr})
			if err != nil {
				return usageErr("%s", userMessage(err))
			}
			err = srv.ListenAndServe(cmd.Context(), func(bound string) {
				fmt.Fprintf(a.stdout, "verso serve: listening on http://%s (database %s)\n", bound, st.Path())
			})
			if err != nil {
				return failed(err)
			}
			fmt.Fprintln(a.stdout, "verso serve: stopped; every acknowledged request is committed")
			return nil
		},
	}
	c.Flags().StringVar(&addr, "addr", serve.DefaultAddr, "address to listen on (non-loopback needs $"+serve.TokenEnv+")")
	c.Flags().Int64Var(&maxBody, "max-body", 16<<20, "largest request body in bytes (larger ones get 413)")
	return c
}

func newIngestCmd(a *app) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "ingest FILE|-",
		Short: "Store events from NDJSON or OTLP JSON (logs, exports, replays)",
		Long: "Read production events, one JSON object per line (the event schema in the README), or OpenTelemetry\n" +
			"OTLP JSON exports (one per line, as the Collector's file exporter writes). Good lines are stored (a re-sent\n" +
			"event id is stored once); bad lines are named with their line number. Exit 0 when every line was stored or a\n" +
			"duplicate, 2 when some were rejected (the others are stored all the same).",
		Example: "  verso ingest events.ndjson\n  tail -n 1000 app.log | verso ingest -",
		Args:    exactArgs(1, "verso ingest FILE|-"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var in io.Reader = a.stdin
			if args[0] != "-" {
				f, err := os.Open(args[0])
				if err != nil {
					return usageErr("cannot read %s: %v", args[0], errors.Unwrap(err))
				}
				defer f.Close()
				if fi, err := f.Stat(); err == nil && fi.IsDir() {
					return usageErr("%s is a directory: pass an NDJSON file or - for stdin", args[0])
				}
				in = f
			}
			st, err := a.open(false)
			if err != nil {
				return err
			}
			defer st.Close()
			res, err := ingest.Stream(cmd.Context(), st, in)
			if err != nil {
				printIngest(a, res, asJSON)
				return classify(fmt.Errorf("ingest stopped (the counts above are committed): %w", err))
			}
			printIngest(a, res, asJSON)
			if len(res.Rejected) > 0 {
				return &exitError{code: 2, err: fmt.Errorf("%d lines rejected (the others are stored)", len(res.Rejected))}
			}
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print the counts and rejects as JSON")
	return c
}

func printIngest(a *app, res ingest.Result, asJSON bool) {
	if asJSON {
		printJSON(a.stdout, res)
		return
	}
	fmt.Fprintf(a.stdout, "accepted %d, duplicate %d, rejected %d", res.Accepted, res.Duplicate, len(res.Rejected))
	if res.Unattributed > 0 || res.Ignored > 0 {
		fmt.Fprintf(a.stdout, ", unattributed %d, ignored %d", res.Unattributed, res.Ignored)
	}
	fmt.Fprintln(a.stdout)
	const show = 20
	for i, r := range res.Rejected {
		if i == show {
			fmt.Fprintf(a.stdout, "  ... and %d more (--json lists them all)\n", len(res.Rejected)-show)
			break
		}
		fmt.Fprintf(a.stdout, "  line %d: %s\n", r.Line, cell(r.Reason))
	}
}

func newStatsCmd(a *app) *cobra.Command {
	var since, by string
	var asJSON bool
	c := &cobra.Command{
		Use:   "stats NAME",
		Short: "Production figures of a prompt: requests, errors, latency, tokens, cost, score",
		Long: "Figures over a window, from the hourly and per-minute rollups: requests, errors and error rate, p50/p95/p99 latency,\n" +
			"tokens in/out, cost and mean score with its 95% confidence interval, in total and per group.",
		Example: "  verso stats support/reply\n  verso stats support/reply --since 7d --by version --json",
		Args:    exactArgs(1, "verso stats NAME [--since 24h] [--by version|label|arm|model] [--json]"),
		RunE: func(cmd *cobra.Command, args []string) error {
			d, err := serve.ParseAge(since)
			if err != nil {
				return usageErr("--since: %s", userMessage(err))
			}
			if err := store.ValidStatsBy(by); err != nil {
				return usageErr("--by: %s", userMessage(err))
			}
			st, err := a.open(true)
			if err != nil {
				return err
			}
			defer st.Close()
			rep, err := st.Stats(cmd.Context(), store.StatsQuery{Prompt: args[0], Since: time.Now().Add(-d), By: by})
			if err != nil {
				return classify(err)
			}
			if asJSON {
				return printJSON(a.stdout, rep)
			}
			printStats(a.stdout, rep, since)
			return nil
		},
	}
	c.Flags().StringVar(&since, "since", "24h", "window: 1h, 24h, 7d, 30d, ...")
	c.Flags().StringVar(&by, "by", "", "group by version, label, arm or model")
	c.Flags().BoolVar(&asJSON, "json", false, "print the documented JSON shape")
	return c
}

func printStats(w io.Writer, rep store.StatsReport, since string) {
	fmt.Fprintf(w, "%s, last %s (%s to %s)\n", cell(rep.Prompt), since, rep.Since.Local().Format("2006-01-02 15:04"), rep.Until.Local().Format("2006-01-02 15:04"))
	if rep.Total.Requests == 0 {
		fmt.Fprintln(w, "no requests in this window")
		return
	}
	tw := table(w)
	head := "GROUP"
	if rep.By != "" {
		head = strings.ToUpper(rep.By)
	}
	fmt.Fprintln(tw, head+"\tREQUESTS\tERRORS\tP50 MS\tP95 MS\tP99 MS\tTOKENS IN\tTOKENS OUT\tCOST\tSCORE")
	row := func(name string, f store.Figures) {
		score := "-"
		if f.ScoreMean != nil {
			score = fmt.Sprintf("%.3f", *f.ScoreMean)
			if f.ScoreCI95 != nil {
				score += fmt.Sprintf(" ±%.3f", *f.ScoreCI95)
			}
			score += fmt.Sprintf(" (n=%d)", f.Scores)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d (%.1f%%)\t%.0f\t%.0f\t%.0f\t%d\t%d\t$%.4f\t%s\n", name, f.Requests, f.Errors, 100*f.ErrorRate,
			f.LatencyP50MS, f.LatencyP95MS, f.LatencyP99MS, f.TokensIn, f.TokensOut, f.Cost, score)
	}
	for _, g := range rep.Groups {
		name := cell(g.Key)
		if rep.By == "version" {
			name = "v" + g.Key
		}
		row(name, g.Figures)
	}
	row("all", rep.Total)
	tw.Flush()
}

func newEventsCmd(a *app) *cobra.Command {
	c := &cobra.Command{
		Use:   "events",
		Short: "Maintain raw production events",
		Args:  exactArgs(0, "verso events prune --older-than 90d"),
	}
	var older string
	prune := &cobra.Command{
		Use:     "prune --older-than AGE",
		Short:   "Delete raw events older than AGE (rollups, and so stats, are kept)",
		Example: "  verso events prune --older-than 90d",
		Args:    exactArgs(0, "verso events prune --older-than 90d"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if older == "" {
				return usageErr("--older-than is required (like 90d)")
			}
			d, err := serve.ParseAge(older)
			if err != nil {
				return usageErr("--older-than: %s", userMessage(err))
			}
			st, err := a.open(false)
			if err != nil {
				return err
			}
			defer st.Close()
			n, err := st.PruneEvents(cmd.Context(), time.Now().Add(-d))
			if err != nil {
				return classify(err)
			}
			fmt.Fprintf(a.stdout, "pruned %d events older than %s (rollups kept)\n", n, older)
			return nil
		},
	}
	prune.Flags().StringVar(&older, "older-than", "", "age of the oldest event to keep: 30d, 90d, 12w, ...")
	c.AddCommand(prune)
	return c
}
