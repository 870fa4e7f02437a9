package inlineedit

import (
	"context"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/tui/common"
	ct "github.com/seed94f0f622/verso/tui/common/commontest"
)

func version(t *testing.T, st *store.Store, ref string) store.Version {
	t.Helper()
	v, err := st.Lookup(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// open starts the editor on ref ("" = a new prompt) with drafts in dir.
func open(t *testing.T, st *store.Store, ref, dir string, w, h int) (*Model, []tea.Msg) {
	t.Helper()
	c := ct.NewCommon(t, st, ct.Dark())
	var base store.Version
	if ref != "" {
		base = version(t, st, ref)
	}
	s, out := ct.Start(t, New(c, base, Options{DraftDir: dir}), w, h)
	return s.(*Model), out
}

func drive(t *testing.T, m *Model, msgs ...tea.Msg) []tea.Msg {
	t.Helper()
	_, out := ct.Drive(t, m, msgs...)
	return out
}

func view(m *Model) string { return ansi.Strip(m.View()) }

// The whole loop without a file or an external editor: type, see the
// diff one key away, commit with a message through the commit dialog.
func TestEditTypeDiffCommit(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	m, _ := open(t, st, ct.Support+"@latest", t.TempDir(), 140, 40)
	if m.Changed() {
		t.Fatal("changed before typing")
	}
	drive(t, m, ct.Keys("ctrl+end")...)
	drive(t, m, ct.Type("Mention the refund policy.")...)
	if !m.Changed() || !strings.Contains(view(m), "● modified") {
		t.Fatalf("typing is not shown as a change:\n%s", view(m))
	}

	out := drive(t, m, ct.Key("ctrl+d"))
	d, ok := ct.Find[common.OpenDiffMsg](out)
	if !ok || !strings.HasSuffix(d.Spec.Right, "Mention the refund policy.") || strings.Contains(d.Spec.Left, "refund") {
		t.Fatalf("ctrl+d: %+v", out)
	}

	out = drive(t, m, ct.Key("ctrl+s"))
	push, ok := ct.Find[common.PushMsg](out)
	if !ok {
		t.Fatalf("ctrl+s opened no commit dialog: %v", out)
	}
	dlg := push.Screen
	dlg.SetSize(140, 40)
	if !strings.Contains(ansi.Strip(dlg.View()), "Mention the refund policy.") {
		t.Fatalf("the commit dialog does not show the diff:\n%s", ansi.Strip(dlg.View()))
	}
	_, out = ct.Drive(t, dlg, append(ct.Type("Mention refunds"), ct.Key("enter"))...)
	done, ok := ct.Find[committedMsg](out)
	if !ok {
		t.Fatalf("commit did not finish: %v", out)
	}
	latest := version(t, st, ct.Support+"@latest")
	if latest.Number != 5 || !strings.HasSuffix(latest.Template, "Mention the refund policy.") || latest.Message != "Mention refunds" || latest.Parent != 4 {
		t.Fatalf("committed: v%d %q parent %d", latest.Number, latest.Message, latest.Parent)
	}
	out = drive(t, m, done)
	if _, ok := ct.Find[common.PopMsg](out); !ok {
		t.Fatalf("the editor stays open after the commit: %v", out)
	}
}

func TestEditNoChangeNothingToCommit(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	m, _ := open(t, st, ct.Support+"@latest", "", 80, 24)
	out := drive(t, m, ct.Key("ctrl+s"))
	if s, ok := ct.Find[common.StatusMsg](out); !ok || !strings.Contains(s.Text, "no change") {
		t.Fatalf("ctrl+s without a change: %v", out)
	}
}

// Leaving with changes asks; esc stays, y discards; leaving without
// changes does not ask.
func TestLeaveAsks(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	m, _ := open(t, st, ct.Support+"@latest", t.TempDir(), 80, 24)
	if out := drive(t, m, ct.Key("esc")); len(out) == 0 {
		t.Fatal("esc without changes did not leave")
	} else if _, ok := ct.Find[common.PopMsg](out); !ok {
		t.Fatalf("esc without changes: %v", out)
	}
	drive(t, m, ct.Type("x")...)
	out := drive(t, m, ct.Key("esc"))
	if _, ok := ct.Find[common.PopMsg](out); ok || !strings.Contains(view(m), "Leave without committing?") {
		t.Fatalf("esc with changes left without asking:\n%s", view(m))
	}
	drive(t, m, ct.Key("esc"))
	if m.ask != askNone || !m.Changed() {
		t.Fatal("esc on the question did not keep editing")
	}
	drive(t, m, ct.Key("esc"))
	out = drive(t, m, ct.Key("y"))
	if _, ok := ct.Find[common.PopMsg](out); !ok {
		t.Fatalf("y did not leave: %v", out)
	}
}

// A change is written as a draft (0600) a moment later; the next open of
// the same prompt offers it, and r restores it.
func TestDraftKeptAndRestored(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	dir := t.TempDir()
	m, _ := open(t, st, ct.Support+"@latest", dir, 80, 24)
	drive(t, m, ct.Type("Draft words ")...)
	drive(t, m, tickMsg{To: m.to(), gen: m.gen}) // the debounce fired
	fi, err := os.Stat(m.draftPath())
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("draft file: %v %v", fi, err)
	}

	again, _ := open(t, st, ct.Support+"@latest", dir, 80, 24)
	if again.ask != askDraft || !strings.Contains(view(again), "An unsaved draft from just now was kept") {
		t.Fatalf("no draft offered:\n%s", view(again))
	}
	drive(t, again, ct.Key("r"))
	if !strings.HasPrefix(again.input().Template, "Draft words # Support reply") {
		t.Fatalf("restored: %q", again.input().Template)
	}

	// x discards it: the file is gone and the next open offers nothing.
	third, _ := open(t, st, ct.Support+"@latest", dir, 80, 24)
	drive(t, third, ct.Key("x"))
	if _, err := os.Stat(m.draftPath()); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("discarded draft still there: %v", err)
	}
	if fourth, _ := open(t, st, ct.Support+"@latest", dir, 80, 24); fourth.ask != askNone {
		t.Fatal("a discarded draft is offered")
	}
}

// SaveDraft (what the root calls when the program ends, ctrl+c included)
// writes unsaved work at once, without waiting for the debounce.
func TestSaveDraftOnQuit(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	dir := t.TempDir()
	m, _ := open(t, st, ct.Support+"@latest", dir, 80, 24)
	drive(t, m, ct.Type("Quit ")...)
	if err := m.SaveDraft(); err != nil {
		t.Fatal(err)
	}
	d, ok, err := LoadDraft(m.draftPath())
	if err != nil || !ok || !strings.HasPrefix(d.Template, "Quit ") || d.Base != 4 || d.Prompt != ct.Support {
		t.Fatalf("draft: %+v %v %v", d, ok, err)
	}
}

// Chat messages: add, type into, reorder, change the role, remove.
func TestChatMessages(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	m, _ := open(t, st, ct.Sales+"@latest", "", 140, 40)
	drive(t, m, ct.Key("shift+tab")) // to the messages
	if m.focus != paneMessages {
		t.Fatalf("focus %v", m.focus)
	}
	drive(t, m, ct.Key("j"), ct.Key("a")) // add after the user message
	drive(t, m, ct.Type("Sure, here it is.")...)
	msgs := m.input().Messages
	if len(msgs) != 3 || msgs[2].Role != "assistant" || msgs[2].Content != "Sure, here it is." {
		t.Fatalf("added: %+v", msgs)
	}
	drive(t, m, ct.Key("shift+tab"), ct.Key("K"), ct.Key("r"))
	msgs = m.input().Messages
	if msgs[1].Content != "Sure, here it is." || msgs[1].Role != "developer" || msgs[2].Role != "user" {
		t.Fatalf("moved and re-roled: %+v", msgs)
	}
	drive(t, m, ct.Key("x"))
	if msgs = m.input().Messages; len(msgs) != 2 || msgs[1].Role != "user" {
		t.Fatalf("removed: %+v", msgs)
	}
	if !strings.Contains(view(m), "Message 2 of 2 · user") {
		t.Fatalf("title:\n%s", view(m))
	}
}

// The settings form checks as you type and stops a commit it cannot make.
func TestSettingsValidateAsTyped(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	m, _ := open(t, st, ct.Support+"@latest", "", 140, 40)
	drive(t, m, ct.Key("tab"), ct.Key("down")) // settings, temperature
	drive(t, m, ct.Keys("ctrl+e", "backspace", "backspace", "backspace")...)
	drive(t, m, ct.Type("5")...)
	if !strings.Contains(view(m), "✗ a number from 0 to 2") {
		t.Fatalf("bad temperature not named:\n%s", view(m))
	}
	out := drive(t, m, ct.Key("ctrl+s"))
	if _, ok := ct.Find[common.PushMsg](out); ok {
		t.Fatal("committed a bad temperature")
	}
	drive(t, m, ct.Key("backspace"))
	drive(t, m, ct.Type("0.9")...)
	if got := m.input().Config.Temperature; got == nil || *got != 0.9 {
		t.Fatalf("temperature %v", got)
	}
	out = drive(t, m, ct.Key("ctrl+s"))
	if _, ok := ct.Find[common.PushMsg](out); !ok {
		t.Fatalf("a parameter change does not commit: %v", out)
	}
}

// A new prompt needs a name; the name is checked as typed.
func TestNewPrompt(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	m, _ := open(t, st, "", "", 80, 24)
	drive(t, m, ct.Type("Say hello to {{name}}.")...)
	out := drive(t, m, ct.Key("ctrl+s"))
	if _, ok := ct.Find[common.PushMsg](out); ok || !strings.Contains(view(m), "Name: required") {
		t.Fatalf("committed without a name:\n%s", view(m))
	}
	drive(t, m, ct.Key("tab"))
	drive(t, m, ct.Type("greet/hello")...)
	out = drive(t, m, ct.Key("ctrl+s"))
	push, ok := ct.Find[common.PushMsg](out)
	if !ok {
		t.Fatalf("no commit dialog: %v\n%s", out, view(m))
	}
	_, out = ct.Drive(t, push.Screen, append(ct.Type("first"), ct.Key("enter"))...)
	if _, ok := ct.Find[committedMsg](out); !ok {
		t.Fatalf("commit: %v", out)
	}
	if v := version(t, st, "greet/hello@latest"); v.Template != "Say hello to {{name}}." {
		t.Fatalf("%q", v.Template)
	}
}

// The preview fills variables with sample values (‹name› when there are
// none) and follows the text after the pause.
func TestPreview(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	m, _ := open(t, st, ct.Summary+"@latest", "", 140, 40)
	if v := view(m); !strings.Contains(v, "‹sentences›") || !strings.Contains(v, "variables shown as ‹name›") {
		t.Fatalf("preview:\n%s", v)
	}
	drive(t, m, ct.Type("Be brief. ")...)
	drive(t, m, tickMsg{To: m.to(), gen: m.gen})
	if !strings.Contains(view(m), "Be brief. Summarize") {
		t.Fatalf("preview did not follow:\n%s", view(m))
	}
}

func TestTokenCount(t *testing.T) {
	for model, want := range map[string]string{"gpt-4o-mini": "o200k_base", "openai/gpt-4": "cl100k_base", "gpt-3.5-turbo": "cl100k_base"} {
		if got, exact := EncodingFor(model); got != want || !exact {
			t.Errorf("%s: %s %v", model, got, exact)
		}
	}
	if got, exact := EncodingFor("demo/demo-small"); got != DefaultEncoding || exact {
		t.Errorf("unknown model: %s %v", got, exact)
	}
	st, _ := ct.FixtureStore(t)
	m, _ := open(t, st, ct.Support+"@latest", "", 140, 40)
	want := m.counter.Exact(m.area.Value())
	if m.tokens != want || !strings.Contains(view(m), "o200k_base") {
		t.Fatalf("tokens %d, exact %d", m.tokens, want)
	}
	drive(t, m, ct.Type("one two three ")...)
	if m.tokens != m.counter.Exact(m.area.Value()) || m.tokens <= want {
		t.Fatalf("after typing: %d, exact %d", m.tokens, m.counter.Exact(m.area.Value()))
	}
}

// Counting line by line gives the whole text's count on real prompts.
func TestCounterMatchesWholeText(t *testing.T) {
	enc, err := LoadEncoding("cl100k_base")
	if err != nil {
		t.Fatal(err)
	}
	c := NewCounter(enc)
	st := ct.DemoStore(t)
	list, err := st.ListPrompts(context.Background(), store.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	total, exact := 0, 0
	for _, p := range list {
		v := version(t, st, p.Name+"@latest")
		for _, text := range append([]string{v.Template}, contents(v.Messages)...) {
			total += c.Count(strings.Split(text, "\n"))
			exact += c.Exact(text)
		}
	}
	if total != exact {
		t.Fatalf("line by line %d, whole text %d", total, exact)
	}
}

func contents(ms []store.Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Content)
	}
	return out
}

type noNetwork struct{ calls int }

func (n *noNetwork) RoundTrip(*http.Request) (*http.Response, error) {
	n.calls++
	return nil, errors.New("no network in tests")
}

// The tokenizers load from tables compiled into the binary: no request is
// made even with an empty cache.
func TestTokenizerIsOffline(t *testing.T) {
	nn := &noNetwork{}
	old := http.DefaultTransport
	http.DefaultTransport = nn
	t.Cleanup(func() { http.DefaultTransport = old })
	t.Setenv("TIKTOKEN_CACHE_DIR", t.TempDir())
	encoders.Lock()
	saved := encoders.m
	encoders.m = nil
	encoders.Unlock()
	t.Cleanup(func() { encoders.Lock(); encoders.m = saved; encoders.Unlock() })
	for _, name := range []string{"cl100k_base", "o200k_base"} {
		enc, err := LoadEncoding(name)
		if err != nil || len(enc.EncodeOrdinary("hello world")) != 2 {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if nn.calls != 0 {
		t.Fatalf("%d network calls", nn.calls)
	}
}

func TestGolden(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	ct.EachLayout(t, func(t *testing.T, l ct.Layout) {
		c := ct.NewCommon(t, st, ct.Themes()[l.Theme])
		start := func(ref string) *Model {
			var base store.Version
			if ref != "" {
				base = version(t, st, ref)
			}
			s, _ := ct.Start(t, New(c, base, Options{}), l.W, l.H)
			return s.(*Model)
		}
		m := start(ct.Support + "@latest")
		l.Shot(t, "text", m.View())
		drive(t, m, ct.Type("Hi {{customer}}, ")...)
		drive(t, m, tickMsg{To: m.to(), gen: m.gen})
		l.Shot(t, "text-typed", m.View())
		drive(t, m, ct.Key("esc"))
		l.Shot(t, "leave", m.View())

		chat := start(ct.Sales + "@latest")
		drive(t, chat, ct.Key("shift+tab"))
		l.Shot(t, "chat-messages", chat.View())
		drive(t, chat, ct.Key("tab"), ct.Key("tab"))
		l.Shot(t, "chat-settings", chat.View())
	})
}

func TestHostileAndResizes(t *testing.T) {
	st, _ := ct.OpenFixedStore(t)
	ct.Hostile(t, st)
	for _, name := range []string{ct.EvilText, ct.EvilChat} {
		m, _ := open(t, st, name+"@latest", "", 140, 40)
		for _, sz := range ct.Resizes() {
			m.SetSize(sz[0], sz[1])
			for range 3 {
				v := m.View()
				if bad := ct.Unclean(v); bad != "" {
					t.Fatalf("%s at %v focus %v: %s", name, sz, m.focus, bad)
				}
				ct.CheckFrame(t, v, sz[0], sz[1])
				drive(t, m, ct.Key("tab"))
			}
		}
	}
}
