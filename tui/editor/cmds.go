package editor

import (
	"os"
	"os/exec"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/seed94f0f622/verso/tui/common"
)

// PreparedMsg reports the temp file Prepare wrote (Err: nothing to edit).
type PreparedMsg struct {
	common.To
	Path string
	Err  error
}

// EditedMsg reports that the editor exited. Err is the editor's failure
// (not found, non-zero exit): the file may still hold a usable edit.
type EditedMsg struct {
	common.To
	Path string
	Err  error
}

// LoadedMsg is the edited file read back. Raw is the bytes as saved. Err
// wraps ErrEmpty when the author emptied the file (cancel); another Err is
// a read or parse error, and the file is kept so it can be reopened.
type LoadedMsg struct {
	common.To
	Path string
	Doc  Doc
	Raw  []byte
	Err  error
}

// Editor is the command to edit files with: $VISUAL, then $EDITOR, then vi
// (the order git and most shells' tools use).
func Editor(getenv func(string) string) string {
	for _, k := range []string{"VISUAL", "EDITOR"} {
		if e := strings.TrimSpace(getenv(k)); e != "" {
			return e
		}
	}
	return "vi"
}

// Prepare writes d to a new temp file (0600: prompts may be private) named
// after the prompt, so the editor's title bar and syntax highlighting
// (markdown) help.
func Prepare(to common.To, d Doc) tea.Cmd {
	return func() tea.Msg {
		f, err := os.CreateTemp("", "verso-"+fileStem(d.Name)+"-*.md")
		if err != nil {
			return PreparedMsg{To: to, Err: err}
		}
		_, err = f.Write(Marshal(d))
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(f.Name())
			return PreparedMsg{To: to, Err: err}
		}
		return PreparedMsg{To: to, Path: f.Name()}
	}
}

// fileStem turns a prompt name into a safe file-name part.
func fileStem(name string) string {
	if name == Placeholder || name == "" {
		return "new-prompt"
	}
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-' {
			return r
		}
		return '-'
	}, name)
}

// Command builds the editor process. The editor string may hold arguments
// ("code --wait"); it is split on white space (no shell-words library is
// in the module, and a shell would need quoting of the path), so an editor
// whose path has spaces must be reached through a wrapper script or $PATH.
func Command(editor, path string) *exec.Cmd {
	args := strings.Fields(editor)
	if len(args) == 0 {
		args = []string{"vi"}
	}
	return exec.Command(args[0], append(args[1:], path)...)
}

// Edit suspends the TUI, runs c's editor on path with the terminal, and
// resumes it when the editor exits (common.Exec).
func Edit(c *common.Common, to common.To, path string) tea.Cmd {
	return c.Exec(Command(c.Editor, path), func(err error) tea.Msg {
		return EditedMsg{To: to, Path: path, Err: err}
	})
}

// Load reads the edited file and parses it.
func Load(to common.To, path string) tea.Cmd {
	return func() tea.Msg {
		raw, err := os.ReadFile(path)
		if err != nil {
			return LoadedMsg{To: to, Path: path, Err: err}
		}
		d, err := Parse(raw)
		return LoadedMsg{To: to, Path: path, Doc: d, Raw: raw, Err: err}
	}
}

// Cleanup removes a temp file made by Prepare (once committed, cancelled,
// or abandoned). Errors are ignored: it is a temp file.
func Cleanup(path string) {
	if path != "" {
		_ = os.Remove(path)
	}
}
