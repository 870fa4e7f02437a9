// Package demo builds Verso's demo registry (a product team's prompts with
// a believable history, labels and test suites) and synthetic registries of
// any size for performance work. The offline demo model the suites run
// against lives in demo/modelserver.
package demo

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/seed94f0f622/verso/store"
)

// A demo prompt: its versions (oldest first), the label moves made on it
// and its default suite.
type demoPrompt struct {
	name, description string
	tags              []string
	versions          []demoVersion
	moves             []labelMove
	suite             store.Suite
}

type demoVersion struct {
	ago      time.Duration // age relative to the build time
	author   string
	message  string
	template string          // text prompts
	messages []store.Message // chat prompts
	config   store.Config
	parent   int // 0 = edited from the previous version
}

// labelMove is one entry of a prompt's label history. version 0 with
// rollback set moves the label back with store.Rollback.
type labelMove struct {
	ago      time.Duration
	label    string
	version  int
	actor    string
	reason   string
	rollback bool
}

const day = 24 * time.Hour

// Build writes the demo registry into st, which should be empty: prompts,
// versions spread over the last six weeks, labels with their history (one
// rollback included) and a "default" suite per prompt. The history has its
// own cast of authors; actor (the person building the demo, "you" if empty)
// makes the most recent label moves, so the tour starts from their own work.
func Build(ctx context.Context, st *store.Store, actor string) error {
	if actor == "" {
		actor = "you"
	}
	now := time.Now().UTC().Truncate(time.Second)
	prompts := demoPrompts()

	// Replay commits and label moves in time order, so every label event
	// happens after the version it points at and the history reads
	// naturally. Each move carries its own time (At).
	type event struct {
		at   time.Time
		p    *demoPrompt
		v    int // version number to commit (1-based), or 0 for a move
		move labelMove
	}
	var events []event
	for i := range prompts {
		p := &prompts[i]
		for j, v := range p.versions {
			events = append(events, event{at: now.Add(-v.ago), p: p, v: j + 1})
		}
		for _, m := range p.moves {
			events = append(events, event{at: now.Add(-m.ago), p: p, move: m})
		}
	}
	sort.SliceStable(events, func(i, j int) bool { return events[i].at.Before(events[j].at) })

	// The team turned the production gate on today: the history was made
	// without it. Suites are saved after the replay for the same reason.
	if err := st.SetGate(ctx, store.GateSettings{MinPassRate: 1, DefaultSuite: "default"}); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	for _, e := range events {
		p := e.p
		if e.v > 0 {
			v := p.versions[e.v-1]
			in := store.CommitInput{
				Name: p.name, Description: p.description, Tags: p.tags,
				Template: v.template, Messages: v.messages, Config: v.config,
				Message: v.message, Author: v.author, Parent: v.parent, CreatedAt: e.at,
			}
			if v.messages != nil {
				in.Kind = store.KindChat
			} else {
				in.Kind = store.KindText
			}
			got, err := st.Commit(ctx, in)
			if err != nil {
				return fmt.Errorf("demo: commit %s v%d: %w", p.name, e.v, err)
			}
			if got.Number != e.v {
				return fmt.Errorf("demo: commit %s: got v%d, want v%d (is the database empty?)", p.name, got.Number, e.v)
			}
			continue
		}
		m := e.move
		if m.actor == "" {
			m.actor = actor
		}
		var err error
		if m.rollback {
			_, err = st.Rollback(ctx, store.RollbackInput{Prompt: p.name, Label: m.label, Actor: m.actor, Reason: m.reason, At: e.at})
		} else {
			_, err = st.SetLabel(ctx, store.LabelInput{Prompt: p.name, Label: m.label, Version: m.version, Actor: m.actor, Reason: m.reason, At: e.at})
		}
		if err != nil {
			return fmt.Errorf("demo: label %s %s: %w", p.name, m.label, err)
		}
	}
	for i := range prompts {
		p := &prompts[i]
		su := p.suite
		su.Name = "default"
		if _, err := st.SaveSuite(ctx, p.name, su); err != nil {
			return fmt.Errorf("demo: suite of %s: %w", p.name, err)
		}
	}
	gate := store.DefaultGate
	gate.UpdatedBy = actor
	if err := st.SetGate(ctx, gate); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	return nil
}

// Names lists the demo prompts' names, sorted.
func Names() []string {
	var out []string
	for _, p := range demoPrompts() {
		out = append(out, p.name)
	}
	sort.Strings(out)
	return out
}

func f64(f float64) *float64 { return &f }
