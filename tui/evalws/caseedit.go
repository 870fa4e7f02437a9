package evalws

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/seed94f0f622/verso/eval/assert"
	"github.com/seed94f0f622/verso/eval/prompt"
	"github.com/seed94f0f622/verso/eval/suitefile"
	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/tui/common"
)

// Editing a case: the case is written as a promptfoo-style YAML file (one
// test under tests:), opened in $EDITOR through common.Exec, read back
// with eval/suitefile (the parser and validation of `verso suite import`)
// and saved. A file that does not parse is kept: the tab offers to reopen
// it with the edit in it.

// edit is a case edit in progress.
type edit struct {
	path     string
	original []byte // what was written: an unchanged file is no edit
	suiteID  int64  // 0: create the suite
	suite    string
	old      *store.Case // nil when adding cases
	err      string      // why the last save was refused
}

type (
	// editFileMsg: the file is written; open the editor on it.
	editFileMsg struct {
		to
		e   *edit
		cmd *exec.Cmd
		err error
	}
	// editorDoneMsg: the editor exited.
	editorDoneMsg struct {
		to
		e   *edit
		err error
	}
	// editParsedMsg: the file was read back.
	editParsedMsg struct {
		to
		e     *edit
		cases []store.Case
		same  bool
		err   error
	}
	// savedMsg: a change was written (or failed).
	savedMsg struct {
		to
		text string
		err  error
	}
)

// editHeader heads the file of cases: the shape, and every assertion type
// from the assert package's table.
var editHeader = func() string {
	b := strings.Builder{}
	b.WriteString("# %s\n")
	for _, l := range wrap("promptfoo shape: description, vars, assert (type, value, threshold, weight), "+
		"expected, tags, threshold. Assertion types: "+strings.Join(assert.Types, ", ")+
		" (each also with not-). Save and quit to apply.", 74) {
		b.WriteString("# " + strings.TrimRight(l, " ") + "\n")
	}
	return b.String()
}()

// caseFile is the YAML of cases to edit.
func caseFile(title string, cases []store.Case) ([]byte, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, editHeader, title)
	if err := suitefile.Write(&b, store.Suite{Cases: cases}, suitefile.YAML); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// newCaseTemplate is the file a new case starts from: the prompt's
// variables with empty values and one assertion to fill in.
func newCaseTemplate(v store.Version) store.Case {
	c := store.Case{Name: "new case", Vars: map[string]any{}}
	for _, name := range prompt.Variables(v) {
		c.Vars[name] = ""
	}
	return c
}

// startEdit writes the file and returns the editor command (in a command:
// files and PATH lookups are I/O).
func startEdit(c *common.Common, id int, e *edit, data []byte) tea.Cmd {
	editor := c.Editor
	prev := e
	return func() tea.Msg {
		e := new(edit) // a copy: commands never write to the model
		*e = *prev
		if e.path == "" {
			f, err := os.CreateTemp("", "verso-case-*.yaml")
			if err != nil {
				return editFileMsg{to: to{ID: id}, e: e, err: err}
			}
			e.path = f.Name()
			_, err = f.Write(data)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return editFileMsg{to: to{ID: id}, e: e, err: err}
			}
			e.original = data
		}
		args := strings.Fields(editor)
		if len(args) == 0 {
			args = []string{"vi"}
		}
		cmd := exec.Command(args[0], append(args[1:], e.path)...)
		return editFileMsg{to: to{ID: id}, e: e, cmd: cmd}
	}
}

// runEditor suspends the program while the editor runs.
func runEditor(c *common.Common, id int, msg editFileMsg) tea.Cmd {
	e := msg.e
	return c.Exec(msg.cmd, func(err error) tea.Msg { return editorDoneMsg{to: to{ID: id}, e: e, err: err} })
}

// readEdit reads the edited file back and validates it.
func readEdit(id int, e *edit) tea.Cmd {
	return func() tea.Msg {
		msg := editParsedMsg{to: to{ID: id}, e: e}
		data, err := os.ReadFile(e.path)
		if err != nil {
			msg.err = err
			return msg
		}
		if bytes.Equal(data, e.original) {
			msg.same = true
			os.Remove(e.path)
			return msg
		}
		if len(bytes.TrimSpace(stripComments(data))) == 0 {
			msg.same = true // an emptied file cancels
			os.Remove(e.path)
			return msg
		}
		su, err := suitefile.Parse(data, suitefile.YAML)
		if err != nil {
			msg.err = err
			return msg
		}
		if e.old != nil && len(su.Cases) != 1 {
			msg.err = fmt.Errorf("the file has %d test cases: an edit keeps exactly one (add more with a)", len(su.Cases))
			return msg
		}
		msg.cases = su.Cases
		return msg
	}
}

func stripComments(data []byte) []byte {
	var out [][]byte
	for _, l := range bytes.Split(data, []byte("\n")) {
		if !bytes.HasPrefix(bytes.TrimSpace(l), []byte("#")) {
			out = append(out, l)
		}
	}
	return bytes.Join(out, []byte("\n"))
}

// saveEdit writes the parsed cases.
func saveEdit(c *common.Common, id int, prompt string, e *edit, cases []store.Case) tea.Cmd {
	return func() tea.Msg {
		ctx := c.Ctx
		var err error
		var text string
		switch {
		case e.old != nil:
			nc := cases[0]
			nc.ID, nc.Position = e.old.ID, e.old.Position
			if nc.Expected == "" && keepsExpected(nc, e.old.Expected) {
				nc.Expected = e.old.Expected
			}
			_, err = c.Store.SaveCase(ctx, e.suiteID, nc)
			text = fmt.Sprintf("saved case %s", common.CleanLine(nc.Name))
		case e.suiteID == 0:
			_, err = c.Store.SaveSuite(ctx, prompt, store.Suite{Name: e.suite, Cases: cases})
			text = fmt.Sprintf("created suite %s with %s", common.CleanLine(e.suite), common.Plural(len(cases), "case"))
		default:
			for _, cs := range cases {
				if _, err = c.Store.SaveCase(ctx, e.suiteID, cs); err != nil {
					break
				}
			}
			text = fmt.Sprintf("added %d %s to suite %s", len(cases), plural(len(cases), "case"), common.CleanLine(e.suite))
		}
		if err == nil {
			os.Remove(e.path)
		}
		return savedMsg{to: to{ID: id}, text: text, err: err}
	}
}

// keepsExpected: suitefile leaves out an expected output that an equals
// assertion already carries; reading the file back must not lose it.
func keepsExpected(c store.Case, expected string) bool {
	for _, a := range c.Assertions {
		if a.Type == "equals" {
			if s, ok := a.Value.(string); ok && s == expected {
				return true
			}
			if b, err := json.Marshal(a.Value); err == nil && string(b) == expected {
				return true
			}
		}
	}
	return false
}

func plural(n int, s string) string {
	if n == 1 {
		return s
	}
	return s + "s"
}

// importSuite reads a suite file and saves it as suite name.
func importSuite(c *common.Common, id int, prompt, path, name string) tea.Cmd {
	return func() tea.Msg {
		p := strings.TrimSpace(path)
		if p == "" {
			return savedMsg{to: to{ID: id}, err: errors.New("type the path of a suite file (.yaml, .jsonl or .csv)")}
		}
		if rest, ok := strings.CutPrefix(p, "~/"); ok {
			if home, err := os.UserHomeDir(); err == nil {
				p = filepath.Join(home, rest)
			}
		}
		f, err := suitefile.FormatOf(p)
		if err != nil {
			return savedMsg{to: to{ID: id}, err: err}
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return savedMsg{to: to{ID: id}, err: fmt.Errorf("cannot read %s: %w", p, err)}
		}
		su, err := suitefile.Parse(data, f)
		if err != nil {
			return savedMsg{to: to{ID: id}, err: fmt.Errorf("%s: %w", filepath.Base(p), err)}
		}
		su.Name = strings.TrimSpace(name)
		saved, err := c.Store.SaveSuite(c.Ctx, prompt, su)
		if err != nil {
			return savedMsg{to: to{ID: id}, err: err}
		}
		return savedMsg{to: to{ID: id}, text: fmt.Sprintf("imported %s into suite %s", common.Plural(len(saved.Cases), "case"), common.CleanLine(saved.Name))}
	}
}

// deleteCmd deletes a case, or a whole suite when caseID is 0.
func deleteCmd(c *common.Common, id int, prompt, suite string, caseID int64, what string) tea.Cmd {
	return func() tea.Msg {
		var err error
		if caseID != 0 {
			err = c.Store.DeleteCase(c.Ctx, caseID)
		} else {
			err = c.Store.DeleteSuite(c.Ctx, prompt, suite)
		}
		return savedMsg{to: to{ID: id}, text: "deleted " + what, err: err}
	}
}
