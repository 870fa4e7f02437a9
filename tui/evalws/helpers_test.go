package evalws

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/seed94f0f622/verso/demo/modelserver"
	"github.com/seed94f0f622/verso/eval/config"
	"github.com/seed94f0f622/verso/eval/provider"
	"github.com/seed94f0f622/verso/eval/runner"
	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/themes"
	"github.com/seed94f0f622/verso/tui/common"
)

// clock is the fixed "now" of the tests.
var clock = time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC)

type env struct {
	c   *common.Common
	st  *store.Store
	db  string // st's file
	srv *modelserver.Server
}

// newEnv opens a t.TempDir() store with the fixture prompt and the demo
// model server behind a real engine.
func newEnv(t testing.TB, o modelserver.Options) *env {
	t.Helper()
	path := filepath.Join(t.TempDir(), "verso.db")
	st, err := store.OpenWith(path, store.Options{Clock: func() time.Time { return clock.Add(-2 * time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	srv, err := modelserver.Start("127.0.0.1:0", o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	reg := provider.NewRegistry(config.Config{})
	reg.SetBaseURL("demo", srv.URL())
	c := common.NewCommon(st, "tester", themes.MustGet("dark", true))
	c.Engine = runner.New(st, reg)
	c.Providers = reg
	c.Now = func() time.Time { return clock }
	c.Editor = "true"
	fixture(t, st, 3)
	return &env{c: c, st: st, db: path, srv: srv}
}

// fixture: prompt "greet" with two versions (v1 production), and a
// default suite of n cases (the last one misses its variable).
func fixture(t testing.TB, st *store.Store, n int) {
	t.Helper()
	ctx := context.Background()
	for _, tpl := range []string{"Say hello to {{name}}.", "Write one short, warm sentence greeting {{name}} by name."} {
		if _, err := st.Commit(ctx, store.CommitInput{Name: "greet", Kind: store.KindText, Template: tpl, Author: "ada",
			Message: "greeting " + tpl[:5], Config: store.Config{Model: "demo/demo-small"}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.SetLabel(ctx, store.LabelInput{Prompt: "greet", Label: "production", Version: 1, Actor: "ada", Reason: "first", Force: true}); err != nil {
		t.Fatal(err)
	}
	names := []string{"Ada", "Bob", "Grace", "Linus", "Margaret", "Alan", "Barbara", "Ken", "Dennis", "Radia"}
	var cases []store.Case
	for i := range n {
		name := names[i%len(names)]
		c := store.Case{Name: fmt.Sprintf("greets %s", name), Vars: map[string]any{"name": name},
			Assertions: []store.Assertion{{Type: "icontains", Value: name}, {Type: "icontains", Value: "hello"}}}
		if i >= len(names) {
			c.Name = fmt.Sprintf("greets %s %d", name, i)
		}
		if i == n-1 && n > 2 {
			c = store.Case{Name: "no name given", Vars: map[string]any{}, Assertions: []store.Assertion{{Type: "contains", Value: "!"}}}
		}
		cases = append(cases, c)
	}
	if _, err := st.SaveSuite(ctx, "greet", store.Suite{Name: "default", Cases: cases}); err != nil {
		t.Fatal(err)
	}
}

// driver runs commands and routes their messages: messages for the model
// under test (by ID) go to its Update, the others are collected.
type driver struct {
	t      testing.TB
	id     func() int
	update func(tea.Msg) tea.Cmd
	other  []tea.Msg
	// after is called after each message delivered to the model.
	after func(tea.Msg)
}

func screenDriver(t testing.TB, s common.Screen) *driver {
	d := &driver{t: t}
	d.id = func() int { return s.ID() }
	d.update = func(m tea.Msg) tea.Cmd {
		var cmd tea.Cmd
		s, cmd = s.Update(m)
		return cmd
	}
	return d
}

func tabDriver(t testing.TB, tab common.Tab) *driver {
	d := &driver{t: t}
	d.id = func() int { return tab.ID() }
	d.update = func(m tea.Msg) tea.Cmd {
		var cmd tea.Cmd
		tab, cmd = tab.Update(m)
		return cmd
	}
	return d
}

// run executes cmd and everything it leads to, until no command is left.
func (d *driver) run(cmd tea.Cmd) {
	d.t.Helper()
	queue := []tea.Cmd{cmd}
	deadline := time.Now().Add(30 * time.Second)
	for len(queue) > 0 {
		if time.Now().After(deadline) {
			d.t.Fatal("commands did not settle in 30s")
		}
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		msg := c()
		switch m := msg.(type) {
		case nil:
		case tea.BatchMsg:
			queue = append(queue, m...)
		case common.Addressed:
			if m.ScreenID() != d.id() {
				d.other = append(d.other, msg)
				continue
			}
			queue = append(queue, d.update(msg))
			if d.after != nil {
				d.after(msg)
			}
		default:
			d.other = append(d.other, msg)
		}
	}
}

// send delivers a message to the model and runs what it returns.
func (d *driver) send(msg tea.Msg) {
	d.t.Helper()
	cmd := d.update(msg)
	d.run(cmd)
}

// statuses are the status messages collected so far.
func (d *driver) statuses() []common.StatusMsg {
	var out []common.StatusMsg
	for _, m := range d.other {
		if s, ok := m.(common.StatusMsg); ok {
			out = append(out, s)
		}
	}
	return out
}
