// Package commontest is what the TUI's tests share: temporary stores with
// fixed-time data, a fixed clock, the two test themes, key and mouse
// messages, a command runner that flattens batches and sequences, a driver
// that feeds a screen the way the root would, and golden-file helpers.
// Only tests import it.
package commontest

import (
	"bytes"
	"context"
	"database/sql"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"

	"github.com/seed94f0f622/verso/demo"
	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/themes"
	"github.com/seed94f0f622/verso/tui/common"
)

// Update is the -update flag: golden files are rewritten instead of
// compared (go test ./tui/... -update).
var Update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// Now is the tests' fixed "now"; the fixture's times are relative to it.
var Now = time.Date(2025, time.March, 20, 15, 0, 0, 0, time.UTC)

// Clock is a fixed clock for Common.Now.
func Clock() time.Time { return Now }

// Author is the person running the tests.
const Author = "tester"

// DBPath is the database path the root's status bar shows in goldens.
const DBPath = "/srv/team/prompts.db"

// Dark and Light are the two themes tests render with.
func Dark() themes.Theme  { return themes.MustGet("dark", true) }
func Light() themes.Theme { return themes.MustGet("light", false) }

// Themes lists the golden themes by name.
func Themes() map[string]themes.Theme {
	return map[string]themes.Theme{"dark": Dark(), "light": Light()}
}

// ThemeNames is the order goldens are made in.
var ThemeNames = []string{"dark", "light"}

// Sizes are the golden sizes.
var Sizes = [][2]int{{80, 24}, {140, 40}}

// OpenStore opens an empty store in a temporary directory, on the real
// clock; it is closed when the test ends. It returns the file path too
// (for a second handle).
func OpenStore(t testing.TB) (*store.Store, string) {
	t.Helper()
	return openStore(t, nil)
}

// OpenFixedStore is OpenStore on the fixed Clock: everything the store
// records without a time of its own is recorded at Now.
func OpenFixedStore(t testing.TB) (*store.Store, string) {
	t.Helper()
	return openStore(t, Clock)
}

// OpenStoreAt is OpenStore on the given clock (the store records what it
// writes at clock(); it is given at open, see store.Options.Clock).
func OpenStoreAt(t testing.TB, clock func() time.Time) (*store.Store, string) {
	t.Helper()
	return openStore(t, clock)
}

// SQL opens a second, raw database/sql handle on the registry at path, for
// tests that change what no Verso call changes (a foreign writer, a killed
// process's leftovers); it is closed when the test ends.
func SQL(t testing.TB, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func openStore(t testing.TB, clock func() time.Time) (*store.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "verso.db")
	st, err := store.OpenWith(path, store.Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st, path
}

// DemoStore is a store holding the demo registry (times relative to the
// real clock: do not use it for goldens).
func DemoStore(t testing.TB) *store.Store {
	t.Helper()
	st, _ := OpenStore(t)
	if err := demo.Build(context.Background(), st, Author); err != nil {
		t.Fatal(err)
	}
	return st
}

// FixtureStore is a store with a small registry made at fixed times before
// Now (see Fixture): goldens and relative times are stable.
func FixtureStore(t testing.TB) (*store.Store, string) {
	t.Helper()
	st, path := OpenFixedStore(t)
	Fixture(t, st)
	return st, path
}

func f64(f float64) *float64 { return &f }

// The fixture's prompts.
const (
	Support = "support/reply"
	Sales   = "sales/outreach"
	Summary = "summarize"
	Welcome = "onboarding/welcome-email"
)

// Fixture writes a small registry: a text prompt with four versions and a
// label history (with a rollback), a chat prompt, a prompt without labels,
// and one in a folder with one version. Every time is fixed relative to
// Now. Give it a store opened on Clock (OpenFixedStore), so what tests
// write afterwards is recorded at Now too.
func Fixture(t testing.TB, st *store.Store) {
	t.Helper()
	ctx := context.Background()
	ago := func(d time.Duration) time.Time { return Now.Add(-d) }
	const day = 24 * time.Hour
	support := []string{
		"# Support reply\n\nYou are a support agent for **{{company}}**.\nAnswer the customer's question: {{question}}\n\n- Be polite.\n- Keep it short.\n",
		"# Support reply\n\nYou are a support agent for **{{company}}**.\nAnswer the customer's question: {{question}}\n\n- Be polite and warm.\n- Use the customer's name: {{name}}.\n- Keep it short.\n",
		"# Support reply\n\nYou are a support agent for **{{company}}**.\nAnswer the customer's question: {{question}}\n\n- Be polite and warm.\n- Use the customer's name: {{name}}.\n- Cite the help-center article that supports each claim.\n- Keep it short.\n",
		"# Support reply\n\nYou are a support agent for **{{company}}**.\nAnswer the customer's question: {{question}}\n\n- Be polite and warm.\n- Use the customer's name: {{name}}.\n- Cite the help-center article that supports each claim.\n- Keep it under 120 words.\n\nSign off with the team name.\n",
	}
	commits := []store.CommitInput{
		{Name: Support, Description: "Replies to customer tickets", Tags: []string{"support", "email"}, Template: support[0],
			Config: store.Config{Model: "gpt-4o-mini", Temperature: f64(0.7), MaxTokens: 300}, Message: "First draft", Author: "ana", CreatedAt: ago(20 * day)},
		{Name: Sales, Description: "Cold outreach", Tags: []string{"sales"}, Kind: store.KindChat, Messages: []store.Message{
			{Role: "system", Content: "You write short, friendly outreach emails for {{product}}."},
			{Role: "user", Content: "Write to {{lead}} at {{company}}."}},
			Config: store.Config{Model: "gpt-4o", Temperature: f64(0.5)}, Message: "Outreach v1", Author: "mei", CreatedAt: ago(15 * day)},
		{Name: Support, Template: support[1], Config: store.Config{Model: "gpt-4o-mini", Temperature: f64(0.7), MaxTokens: 300},
			Message: "Tighten tone", Author: "devon", CreatedAt: ago(12 * day)},
		{Name: Summary, Tags: []string{"internal"}, Template: "Summarize the following text in {{sentences}} sentences:\n\n{{text}}\n",
			Config: store.Config{Model: "gpt-4o-mini"}, Message: "Add a summarizer", Author: "bo", CreatedAt: ago(9 * day)},
		{Name: Sales, Kind: store.KindChat, Messages: []store.Message{
			{Role: "system", Content: "You write short, friendly outreach emails for {{product}}. Never promise discounts."},
			{Role: "user", Content: "Write to {{lead}} at {{company}}."}},
			Config: store.Config{Model: "gpt-4o", Temperature: f64(0.5), MaxTokens: 400}, Message: "No discounts", Author: "mei", CreatedAt: ago(7 * day)},
		{Name: Support, Template: support[2], Config: store.Config{Model: "gpt-4o-mini", Temperature: f64(0.3), MaxTokens: 300},
			Message: "Cite the help center", Author: "ana", CreatedAt: ago(5 * day)},
		{Name: Welcome, Tags: []string{"onboarding"}, Template: "Welcome {{name}} to {{company}}! Here is what to do in your first week.\n",
			Message: "Welcome email", Author: "bo", CreatedAt: ago(3 * day)},
		{Name: Support, Template: support[3], Config: store.Config{Model: "gpt-4o-mini", Temperature: f64(0.3), MaxTokens: 300},
			Message: "Shorter sign-off", Author: "devon", CreatedAt: ago(2 * time.Hour)},
	}
	for _, in := range commits {
		if _, err := st.Commit(ctx, in); err != nil {
			t.Fatalf("fixture: commit %s: %v", in.Name, err)
		}
	}
	moves := []struct {
		at                   time.Time
		prompt, label, actor string
		version              int
		reason               string
		rollback             bool
	}{
		{ago(11 * day), Support, "staging", "devon", 2, "ready for review", false},
		{ago(10 * day), Support, "production", "ana", 2, "reviewed with the support lead", false},
		{ago(6 * day), Sales, "development", "mei", 2, "try it on the team", false},
		{ago(4 * day), Support, "staging", "ana", 3, "cites sources", false},
		{ago(3 * day), Support, "production", "ana", 3, "approved", false},
		{ago(1 * day), Support, "production", "devon", 0, "v3 links to retired articles", true},
		{ago(1 * time.Hour), Support, "development", "devon", 4, "try the shorter sign-off", false},
	}
	for _, m := range moves {
		var err error
		if m.rollback {
			_, err = st.Rollback(ctx, store.RollbackInput{Prompt: m.prompt, Label: m.label, Actor: m.actor, Reason: m.reason, At: m.at})
		} else {
			_, err = st.SetLabel(ctx, store.LabelInput{Prompt: m.prompt, Label: m.label, Version: m.version, Actor: m.actor, Reason: m.reason, At: m.at})
		}
		if err != nil {
			t.Fatalf("fixture: label %s %s: %v", m.prompt, m.label, err)
		}
	}
}

// Traffic records two weeks of production traffic before Now on the
// fixture's support/reply (production v2, then v3 for two days, then
// rolled back to v2; staging on v3 from four days ago): v3 is slower and
// scores lower. The same every run, for goldens.
func Traffic(t testing.TB, st *store.Store) {
	t.Helper()
	_, err := demo.SeedTraffic(context.Background(), st, demo.TrafficOptions{
		Until: Now, Span: 14 * 24 * time.Hour, PerHour: 20, StagingShare: 0.2, FeedbackShare: 0.15, Seed: 1,
		Weights: map[string]float64{Support: 1},
		Profiles: map[string]map[int]demo.Profile{Support: {
			2: {LatencyMS: 800, ErrorRate: 0.02, TokensIn: 400, TokensOut: 120, Score: 0.85, Model: "gpt-4o-mini"},
			3: {LatencyMS: 1600, ErrorRate: 0.02, TokensIn: 520, TokensOut: 160, Score: 0.6, Model: "gpt-4o-mini"},
		}},
	})
	if err != nil {
		t.Fatalf("traffic: %v", err)
	}
}

// NewCommon returns the services screens get, on st, with the fixed clock
// and author and the test's context.
func NewCommon(t testing.TB, st *store.Store, th themes.Theme) *common.Common {
	c := common.NewCommon(st, Author, th)
	c.Now = Clock
	c.Editor = "true"
	if tt, ok := t.(interface{ Context() context.Context }); ok {
		c.Ctx = tt.Context()
	}
	return c
}

// Key is the key press a binding string names: "j", "R", "enter", "esc",
// "tab", "shift+tab", "space", "up", "pgdown", "ctrl+c", "ctrl+f", ...
func Key(s string) tea.KeyPressMsg {
	named := map[string]rune{
		"enter": tea.KeyEnter, "esc": tea.KeyEscape, "tab": tea.KeyTab, "space": tea.KeySpace,
		"up": tea.KeyUp, "down": tea.KeyDown, "left": tea.KeyLeft, "right": tea.KeyRight,
		"pgup": tea.KeyPgUp, "pgdown": tea.KeyPgDown, "home": tea.KeyHome, "end": tea.KeyEnd,
		"backspace": tea.KeyBackspace,
	}
	switch {
	case s == "space":
		return tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
	case s == "shift+tab":
		return tea.KeyPressMsg{Code: tea.KeyTab, Mod: tea.ModShift}
	case strings.HasPrefix(s, "ctrl+") && len(s) > 5:
		r := []rune(s[5:])
		if code, ok := named[s[5:]]; ok {
			return tea.KeyPressMsg{Code: code, Mod: tea.ModCtrl}
		}
		return tea.KeyPressMsg{Code: r[0], Mod: tea.ModCtrl}
	}
	if code, ok := named[s]; ok {
		return tea.KeyPressMsg{Code: code}
	}
	r := []rune(s)[0]
	k := tea.KeyPressMsg{Code: r, Text: s}
	if r >= 'A' && r <= 'Z' {
		k.Code, k.Mod, k.ShiftedCode = r+'a'-'A', tea.ModShift, r
	}
	return k
}

// Keys returns key presses, one per binding string.
func Keys(ss ...string) []tea.Msg {
	out := make([]tea.Msg, len(ss))
	for i, s := range ss {
		out[i] = Key(s)
	}
	return out
}

// Type returns one key press per character of s (as typed text).
func Type(s string) []tea.Msg {
	var out []tea.Msg
	for _, r := range s {
		if r == ' ' {
			out = append(out, Key("space"))
			continue
		}
		out = append(out, tea.KeyPressMsg{Code: r, Text: string(r)})
	}
	return out
}

// Click is a left click at x, y (relative to the screen).
func Click(x, y int) tea.MouseClickMsg {
	return tea.MouseClickMsg{X: x, Y: y, Button: tea.MouseLeft}
}

// IsTimer reports whether cmd waits for time to pass (tea.Tick, tea.Every,
// a cursor blink): Run does not run those, so tests never sleep.
func IsTimer(cmd tea.Cmd) bool {
	if cmd == nil {
		return false
	}
	name := runtime.FuncForPC(reflect.ValueOf(cmd).Pointer()).Name()
	return strings.Contains(name, "bubbletea/v2.Tick.") || strings.Contains(name, "bubbletea/v2.Every.") ||
		strings.Contains(name, "cursor.(*Model).Blink.")
}

var cmdType = reflect.TypeOf((*tea.Cmd)(nil)).Elem()

// commands returns the commands a batch or sequence message holds (in
// order), or false for any other message. tea.Sequence's message type is
// unexported: it is recognised as a slice of commands.
func commands(msg tea.Msg) ([]tea.Cmd, bool) {
	if b, ok := msg.(tea.BatchMsg); ok {
		return b, true
	}
	v := reflect.ValueOf(msg)
	if !v.IsValid() || v.Kind() != reflect.Slice || v.Type().Elem() != cmdType {
		return nil, false
	}
	out := make([]tea.Cmd, v.Len())
	for i := range out {
		out[i], _ = v.Index(i).Interface().(tea.Cmd)
	}
	return out, true
}

// Run executes cmd and returns the messages it produces, in order,
// flattening tea.Batch and tea.Sequence (a batch's commands run one after
// the other, in order, so results are deterministic). Timers (IsTimer) are
// not run.
func Run(t testing.TB, cmd tea.Cmd) []tea.Msg {
	t.Helper()
	var out []tea.Msg
	var run func(tea.Cmd, int)
	run = func(cmd tea.Cmd, depth int) {
		if cmd == nil || IsTimer(cmd) {
			return
		}
		if depth > 100 {
			t.Fatal("commands nest more than 100 deep")
		}
		msg := cmd()
		if cmds, ok := commands(msg); ok {
			for _, c := range cmds {
				run(c, depth+1)
			}
			return
		}
		if msg != nil {
			out = append(out, msg)
		}
	}
	run(cmd, 0)
	return out
}

// ForRoot reports whether the root, not the screen, handles msg: the
// shared flows and status messages of package common, messages addressed
// to another screen, quitting.
func ForRoot(s common.Screen, msg tea.Msg) bool {
	if a, ok := msg.(common.Addressed); ok {
		if a.ScreenID() == s.ID() {
			return false
		}
		if o, ok := s.(common.Owner); ok && o.Owns(a.ScreenID()) {
			return false
		}
		return true
	}
	if _, ok := msg.(tea.QuitMsg); ok {
		return true
	}
	t := reflect.TypeOf(msg)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t != nil && t.PkgPath() == reflect.TypeOf(common.To{}).PkgPath()
}

// Drive feeds msgs to s the way the root would: each message goes to s,
// the command it returns runs (Run), and what comes back goes to s again
// unless it is for the root (ForRoot): those are returned, in order.
func Drive(t testing.TB, s common.Screen, msgs ...tea.Msg) (common.Screen, []tea.Msg) {
	t.Helper()
	var out []tea.Msg
	queue := append([]tea.Msg{}, msgs...)
	for steps := 0; len(queue) > 0; steps++ {
		if steps > 10000 {
			t.Fatal("Drive: more than 10000 messages: a command loop?")
		}
		msg := queue[0]
		queue = queue[1:]
		var cmd tea.Cmd
		s, cmd = s.Update(msg)
		var back []tea.Msg
		for _, m := range Run(t, cmd) {
			if ForRoot(s, m) {
				out = append(out, m)
			} else {
				back = append(back, m)
			}
		}
		// Results of this message come before the next input, as they
		// would when a person types slower than the database answers.
		queue = append(back, queue...)
	}
	return s, out
}

// Start sizes s, runs its Init and delivers what it loads.
func Start(t testing.TB, s common.Screen, w, h int) (common.Screen, []tea.Msg) {
	t.Helper()
	s.SetSize(w, h)
	var out []tea.Msg
	var back []tea.Msg
	for _, m := range Run(t, s.Init()) {
		if ForRoot(s, m) {
			out = append(out, m)
		} else {
			back = append(back, m)
		}
	}
	s, more := Drive(t, s, back...)
	return s, append(out, more...)
}

// Find returns the first message of type T in msgs.
func Find[T any](msgs []tea.Msg) (T, bool) {
	for _, m := range msgs {
		if v, ok := m.(T); ok {
			return v, true
		}
	}
	var zero T
	return zero, false
}

// Pin downsamples rendered output to a fixed colour profile (ANSI 256), as
// tui/diffview's goldens do, so goldens do not depend on the terminal.
func Pin(t testing.TB, s string) string {
	t.Helper()
	var b bytes.Buffer
	w := &colorprofile.Writer{Forward: &b, Profile: colorprofile.ANSI256}
	if _, err := w.WriteString(s); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// Golden compares got (pinned by the caller) with testdata/NAME.golden,
// or rewrites it with -update.
func Golden(t testing.TB, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *Update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./tui/... -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file; plain text of what was rendered:\n%s\n(run with -update if the change is intended)", path, ansi.Strip(got))
	}
}

// CheckFrame asserts a view is exactly h lines of exactly w columns.
func CheckFrame(t testing.TB, v string, w, h int) {
	t.Helper()
	lines := strings.Split(v, "\n")
	if len(lines) != h {
		t.Fatalf("view has %d lines, want %d:\n%s", len(lines), h, ansi.Strip(v))
	}
	for i, l := range lines {
		if got := ansi.StringWidth(l); got != w {
			t.Fatalf("line %d is %d columns, want %d: %q", i, got, w, ansi.Strip(l))
		}
	}
}

// CheckClean asserts v holds no escape sequence but SGR styling (ESC [
// params m), no other control character than newline, and no C1 control.
func CheckClean(t testing.TB, v string) {
	t.Helper()
	if bad := Unclean(v); bad != "" {
		t.Fatalf("view holds %s", bad)
	}
}

// Unclean describes the first thing in v that must not reach a terminal,
// or returns "".
func Unclean(v string) string {
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == 0x1b:
			if i+1 >= len(v) || v[i+1] != '[' {
				end := min(i+12, len(v))
				return "a non-CSI escape sequence " + quote(v[i:end])
			}
			j := i + 2
			for j < len(v) && (v[j] >= '0' && v[j] <= '9' || v[j] == ';' || v[j] == ':') {
				j++
			}
			if j >= len(v) || v[j] != 'm' {
				end := min(j+1, len(v))
				return "a CSI sequence that is not SGR styling " + quote(v[i:end])
			}
			i = j
		case c == '\n':
		case c < 0x20 || c == 0x7f:
			return "the control character " + quote(string(c))
		}
	}
	for _, r := range v {
		if r >= 0x80 && r < 0xa0 {
			return "the C1 control " + quote(string(r))
		}
	}
	return ""
}

func quote(s string) string { return strconv.Quote(s) }

// Evil is text that must never reach the terminal as it is: a title change
// (OSC 0), a screen clear, a bare carriage return.
const Evil = "\x1b]0;pwned\x07\x1b[2J\r"

// The hostile fixture's prompts.
const (
	EvilText = "evil/prompt"
	EvilChat = "evil/chat"
)

// Hostile writes prompts whose every free-text field (template, chat
// messages, commit message, author, description, tags, label actors and
// reasons) holds Evil, other escapes (SGR, C1 CSI, cursor moves), and
// wide characters (CJK, emoji): what the sanitizing and width tests draw.
func Hostile(t testing.TB, st *store.Store) {
	t.Helper()
	ctx := context.Background()
	author := "mal" + Evil + "lory 日本"
	tmpl := func(n int) string {
		return fmt.Sprintf("# Title %d %s\n\nHello {{name}} 日本語のテキストです。👋🏽 emoji 🚀🎉 and more 漢字漢字漢字漢字漢字漢字漢字漢字漢字漢字漢字漢字漢字漢字漢字漢字漢字漢字\r\nbare\rreturn%s\n\x1b[31mred\x1b[0m \u009b2J c1 \x1b[10;10H moved \x1b]8;;http://x\x07link\x1b]8;;\x07\n\tindented\t{{日本}} see [the docs](https://example.com/docs) and <https://example.com>\n", n, Evil, Evil)
	}
	for i, at := range []time.Time{Now.Add(-48 * time.Hour), Now.Add(-3 * time.Hour)} {
		in := store.CommitInput{Name: EvilText, Description: "desc " + Evil, Tags: []string{"tag" + Evil, "日本"}, Template: tmpl(i + 1),
			Config:  store.Config{Model: "gpt" + Evil, Temperature: f64(0.2), Stop: []string{Evil}},
			Message: fmt.Sprintf("commit %d %s 日本語 🚀 message", i+1, Evil), Author: author, CreatedAt: at}
		if _, err := st.Commit(ctx, in); err != nil {
			t.Fatalf("hostile: %v", err)
		}
		chat := store.CommitInput{Name: EvilChat, Kind: store.KindChat, Messages: []store.Message{
			{Role: "system", Content: fmt.Sprintf("System %d %s 日本語 👋", i+1, Evil)},
			{Role: "user", Content: "Hi {{who}}" + Evil + "\r\n漢字🎉"}},
			Message: "chat " + Evil, Author: author, CreatedAt: at}
		if _, err := st.Commit(ctx, chat); err != nil {
			t.Fatalf("hostile: %v", err)
		}
	}
	for i, l := range []string{"production", "staging"} {
		at := Now.Add(-time.Duration(2-i) * time.Hour)
		for _, p := range []string{EvilText, EvilChat} {
			if _, err := st.SetLabel(ctx, store.LabelInput{Prompt: p, Label: l, Version: i + 1, Actor: author, Reason: "why " + Evil + " 日本🚀", At: at}); err != nil {
				t.Fatalf("hostile: label: %v", err)
			}
		}
	}
}

// Resizes are the terminal sizes resize tests walk: every size from 40x12
// to 140x40 in steps, plus the edges where layouts switch (side by side
// from 100 columns, one row or column more than the minimum).
func Resizes() [][2]int {
	var out [][2]int
	for w := 40; w <= 140; w += 7 {
		for h := 12; h <= 40; h += 4 {
			out = append(out, [2]int{w, h})
		}
	}
	return append(out, [2]int{140, 40}, [2]int{40, 12}, [2]int{41, 12}, [2]int{40, 13}, [2]int{41, 13},
		[2]int{99, 12}, [2]int{100, 12}, [2]int{99, 24}, [2]int{100, 24})
}

// Layout is one golden layout: a theme at a size.
type Layout struct {
	Name  string // "dark-80x24": the golden files' suffix
	Theme string
	W, H  int
}

// EachLayout runs f as a subtest for every golden layout: each theme of
// ThemeNames at each of Sizes.
func EachLayout(t *testing.T, f func(t *testing.T, l Layout)) {
	for _, theme := range ThemeNames {
		for _, size := range Sizes {
			l := Layout{Name: fmt.Sprintf("%s-%dx%d", theme, size[0], size[1]), Theme: theme, W: size[0], H: size[1]}
			t.Run(l.Name, func(t *testing.T) { f(t, l) })
		}
	}
}

// Shot checks that view fills the layout exactly and compares it, pinned,
// with testdata/GOLDEN-<layout>.golden.
func (l Layout) Shot(t testing.TB, golden, view string) {
	t.Helper()
	CheckFrame(t, view, l.W, l.H)
	Golden(t, golden+"-"+l.Name, Pin(t, view))
}

// MovingClock is a clock tests move by hand (safe across goroutines).
type MovingClock struct {
	mu sync.Mutex
	t  time.Time
}

// Now is the clock's time.
func (c *MovingClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set moves the clock to t.
func (c *MovingClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// RolloutStore is FixtureStore with a staged rollout live on support/reply:
// production from v2 to v4 (steps 5, 25, 50, 100 every 6h, the default
// guards, 50 events each), started 7 hours before Now, at 25 % since an
// hour before Now, with traffic of both arms (v4 slightly faster). Its
// store is on the returned clock, at Now; the same every run, for goldens.
func RolloutStore(t testing.TB) (*store.Store, string, *MovingClock) {
	t.Helper()
	ck := &MovingClock{t: Now.Add(-7 * time.Hour)}
	st, path := OpenStoreAt(t, ck.Now)
	Fixture(t, st)
	ctx := context.Background()
	if _, err := st.StartRollout(ctx, store.RolloutInput{Prompt: Support, To: 4, Every: 6 * time.Hour, MinRequests: 50, Salt: "fixed", UnitKey: "user_id",
		Actor: "devon", Reason: "shorter sign-off", Force: true}); err != nil {
		t.Fatalf("rollout fixture: %v", err)
	}
	n := 0
	traffic := func(from, to time.Time) {
		var evs []store.Event
		for at := from; at.Before(to); at = at.Add(time.Minute) {
			ck.Set(at)
			in, err := st.LabelInForce(ctx, Support, "production")
			if err != nil {
				t.Fatalf("rollout fixture: %v", err)
			}
			for k := range 10 {
				n++
				unit := fmt.Sprintf("user-%d", (n*7919)%5000)
				v, arm := in.Pick(unit)
				e := store.Event{ID: fmt.Sprintf("ro-%d", n), Prompt: Support, Version: v, Label: "production", Arm: arm, Unit: unit,
					Model: "gpt-4o-mini", Time: at.Add(time.Duration(k) * 5 * time.Second), LatencyMS: float64(700 + (n*37)%300), TokensIn: 400, TokensOut: 120, Cost: 0.0004}
				if v == 4 {
					e.LatencyMS -= 40
				}
				if n%53 == 0 {
					e.Status, e.ErrorKind = "error", "timeout"
				}
				evs = append(evs, e)
			}
		}
		if _, err := st.RecordEvents(ctx, evs); err != nil {
			t.Fatalf("rollout fixture: %v", err)
		}
	}
	traffic(Now.Add(-7*time.Hour), Now.Add(-time.Hour))
	ck.Set(Now.Add(-time.Hour))
	if c, _, err := st.CheckRollout(ctx, Support, "production"); err != nil || !c.Advanced {
		t.Fatalf("rollout fixture: the check at 5%% did not advance: %+v %v", c, err)
	}
	traffic(Now.Add(-time.Hour), Now)
	ck.Set(Now)
	return st, path, ck
}
