package tui

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/seed94f0f622/verso/tui/common"
	ct "github.com/seed94f0f622/verso/tui/common/commontest"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) tail() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.b.String()
	return s[max(len(s)-400, 0):]
}

// TestScreenComesBackAfterTheEditor runs the real program and opens the
// editor three times; the editor is not on $PATH (a typo in $EDITOR), so
// it "returns" at once without starting, the case in which Bubble Tea's renderer stopped for good and the pane stayed
// blank (what TestE2E once saw on a loaded machine; see common.Terminal).
// Each time the screen must come back: the alternate screen is entered
// again and the frame drawn.
func TestScreenComesBackAfterTheEditor(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	o := options(st, "dark")
	o.Editor = "verso-test-no-such-editor"
	o.Ctx = t.Context()
	m := New(o)
	out := &lockedBuffer{}
	term := common.NewTerminal(out)
	m.c.Terminal = term
	p := tea.NewProgram(m, tea.WithContext(t.Context()), tea.WithInput(nil), tea.WithOutput(term), tea.WithWindowSize(100, 30))
	done := make(chan struct{})
	go func() { defer close(done); _, _ = p.Run() }()
	t.Cleanup(func() { p.Kill(); <-done })
	waitEntered := func(n int64, what string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for term.Entered() < n {
			if time.Now().After(deadline) {
				t.Fatalf("%s: the screen did not come back (alternate screen entered %d times, want %d); last output: %q", what, term.Entered(), n, out.tail())
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitEntered(1, "start")
	v, err := st.Lookup(context.Background(), ct.Support+"@latest")
	if err != nil {
		t.Fatal(err)
	}
	// The next edit can only start once the last one has finished (the
	// root refuses a second edit while one is open), which on a loaded
	// machine may be after the screen came back: ask again until it runs.
	for i := int64(1); i <= 3; i++ {
		deadline := time.Now().Add(10 * time.Second)
		for term.Entered() < 1+i && time.Now().Before(deadline) {
			p.Send(common.EditMsg{Base: v})
			for wait := time.Now().Add(time.Second); term.Entered() < 1+i && time.Now().Before(wait); {
				time.Sleep(5 * time.Millisecond)
			}
		}
		waitEntered(1+i, "after the editor")
	}
}

// TestRepaintRestartsAFrozenRenderer: when the alternate screen was not
// entered again after a process ran in the terminal, the root runs a pause
// in the terminal (which restarts Bubble Tea's renderer), a few times at
// most; once the screen is back it does nothing.
func TestRepaintRestartsAFrozenRenderer(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	m := New(options(st, "dark"))
	m.c.Terminal = common.NewTerminal(&lockedBuffer{})
	if m.repaint(repaintCheckMsg{entered: 0}) == nil {
		t.Fatal("a screen that did not come back is left blank")
	}
	if m.repaint(repaintCheckMsg{entered: 0, try: repaintTries}) != nil {
		t.Fatal("restarts without end")
	}
	m.c.Terminal.Write([]byte("\x1b[?1049h"))
	if m.repaint(repaintCheckMsg{entered: 0}) != nil {
		t.Fatal("restarted a screen that came back")
	}
	// Without a program (tests, goldens) there is nothing to watch.
	m.c.Terminal = nil
	if m.checkRepaint(0, 0) != nil {
		t.Fatal("watching without a terminal")
	}
}
