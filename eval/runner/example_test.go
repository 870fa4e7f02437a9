package runner_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/seed94f0f622/verso/demo/modelserver"
	"github.com/seed94f0f622/verso/eval/config"
	"github.com/seed94f0f622/verso/eval/provider"
	"github.com/seed94f0f622/verso/eval/runner"
	"github.com/seed94f0f622/verso/store"
)

// A UI starts a run, reads its events in batches (one Next per frame:
// streamed tokens of a result arrive joined) and can cancel it at any time.
func ExampleFeed() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "verso-example-")
	defer os.RemoveAll(dir)
	st, _ := store.Open(filepath.Join(dir, "verso.db"))
	defer st.Close()
	srv, _ := modelserver.Start("127.0.0.1:0", modelserver.Options{})
	defer srv.Close()

	v, _ := st.Commit(ctx, store.CommitInput{Name: "greet", Kind: store.KindText, Template: "Say hello to {{name}}.", Author: "ex"})
	su, _ := st.SaveSuite(ctx, "greet", store.Suite{Name: "default", Cases: []store.Case{
		{Name: "ada", Vars: map[string]any{"name": "Ada"}, Assertions: []store.Assertion{{Type: "icontains", Value: "ada"}}},
		{Name: "bob", Vars: map[string]any{"name": "Bob"}, Assertions: []store.Assertion{{Type: "icontains", Value: "bob"}}},
	}})

	reg := provider.NewRegistry(config.Config{})
	reg.SetBaseURL("demo", srv.URL())
	eng := runner.New(st, reg)
	feed := runner.NewFeed()
	h, err := eng.Start(ctx, runner.Plan{Suite: su, Versions: []store.Version{v}, Models: []string{"demo/demo-small"}},
		runner.Options{Stream: true, OnEvent: feed.Push})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("run", h.ID, "of", h.Total, "results")
	finished := 0
	for {
		events, ok := feed.Next(ctx) // in a TUI: a tea.Cmd returning them as a message
		if !ok {
			break
		}
		for _, ev := range events {
			switch ev.Kind {
			case runner.Finished, runner.Failed:
				finished++
			case runner.Done:
				fmt.Println(ev.Progress.Status, ev.Progress.Done, "done")
			}
		}
	}
	out, _ := h.Wait()
	fmt.Println(finished, "finished;", out.Summary.Passed, "passed")
	// Output:
	// run 1 of 2 results
	// done 2 done
	// 2 finished; 2 passed
}
