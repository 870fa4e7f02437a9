package common

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"sync/atomic"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// Terminal is the program's output, watched: it counts the times the
// alternate screen is entered, which is how the root knows the screen
// came back after a process (an editor) ran in the terminal.
//
// Bubble Tea v2.1.1 can leave the screen blank after tea.Exec: stopping
// the renderer signals its goroutine without waiting, so that goroutine's
// ticker.Stop() can land after the restart's ticker.Reset(), and nothing
// is drawn again while the program runs on (charmbracelet/bubbletea#1778).
// The shorter the process, the likelier; on a loaded machine even an
// editor is short enough. Exec waits a moment after the process, which
// makes it rare, and the root restarts the renderer when the screen did
// not come back (see tui/repaint.go).
//
// A Terminal on a file is still that file to Bubble Tea and its colour
// detection (Read, Fd and Close reach the file), so a terminal stays one.
type Terminal struct {
	w       io.Writer
	f       *os.File // w, when it is a file
	entered atomic.Int64
}

// NewTerminal watches w (nil: standard output).
func NewTerminal(w io.Writer) *Terminal {
	if w == nil {
		w = os.Stdout
	}
	t := &Terminal{w: w}
	t.f, _ = w.(*os.File)
	return t
}

// Read reads the file (term.File).
func (t *Terminal) Read(p []byte) (int, error) {
	if t.f == nil {
		return 0, io.EOF
	}
	return t.f.Read(p)
}

// Fd is the file's descriptor, or an invalid one (not a terminal).
func (t *Terminal) Fd() uintptr {
	if t.f == nil {
		return ^uintptr(0)
	}
	return t.f.Fd()
}

// Close does nothing: the program's output outlives the program.
func (t *Terminal) Close() error { return nil }

var altScreenOn = []byte(ansi.SetModeAltScreenSaveCursor)

func (t *Terminal) Write(p []byte) (int, error) {
	if n := bytes.Count(p, altScreenOn); n > 0 {
		t.entered.Add(int64(n))
	}
	return t.w.Write(p)
}

// Entered is how many times the alternate screen was entered (0 for a nil
// Terminal: tests without a program).
func (t *Terminal) Entered() int64 {
	if t == nil {
		return 0
	}
	return t.entered.Load()
}

// ExecDoneMsg is the message of a process run with Exec, for the root: it
// delivers Msg as if it came alone, and checks that the screen came back.
type ExecDoneMsg struct {
	Msg tea.Msg
	// Entered is Terminal.Entered when the process had ended and the
	// program was about to take the terminal back.
	Entered int64
}

// execSettle is how long Exec waits after the process before the program
// takes the terminal back: time for the stopped renderer's goroutine to
// finish (see Terminal).
const execSettle = 20 * time.Millisecond

// Exec suspends the program, runs cmd with the terminal (an editor), and
// resumes it; fn's message then reaches the root inside an ExecDoneMsg.
func (c *Common) Exec(cmd *exec.Cmd, fn func(error) tea.Msg) tea.Cmd {
	tc := &TerminalCommand{Cmd: cmd, Terminal: c.Terminal, Settle: execSettle}
	return tea.Exec(tc, func(err error) tea.Msg { return ExecDoneMsg{Msg: fn(err), Entered: tc.Entered} })
}

// TerminalCommand is a process run with the terminal (tea.ExecCommand),
// or with no Cmd a pause that only restarts the renderer. After it ends
// it waits Settle, then notes Terminal.Entered.
type TerminalCommand struct {
	Cmd      *exec.Cmd
	Terminal *Terminal
	Settle   time.Duration
	Entered  int64 // set when Run returns
}

// Run runs the process, then waits Settle.
func (t *TerminalCommand) Run() error {
	var err error
	if t.Cmd != nil {
		err = t.Cmd.Run()
	}
	time.Sleep(t.Settle)
	t.Entered = t.Terminal.Entered()
	return err
}

func (t *TerminalCommand) SetStdin(r io.Reader) {
	if t.Cmd != nil && t.Cmd.Stdin == nil {
		t.Cmd.Stdin = r
	}
}

func (t *TerminalCommand) SetStdout(w io.Writer) {
	if t.Cmd != nil && t.Cmd.Stdout == nil {
		t.Cmd.Stdout = w
	}
}

func (t *TerminalCommand) SetStderr(w io.Writer) {
	if t.Cmd != nil && t.Cmd.Stderr == nil {
		t.Cmd.Stderr = w
	}
}
