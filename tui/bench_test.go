package tui_test

// Benchmarks for the figures of issue 3 (first frame, filter keystroke,
// 5,000-line diff, memory on the 10,000 x 10 synthetic registry) and issue
// 5 (a stored run of 1,000 cases x 4 columns in the results matrix), all
// through the root model as the binary runs it.
//
//	go test ./tui/ -run '^$' -bench . -benchmem

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/seed94f0f622/verso/demo"
	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/tui"
	"github.com/seed94f0f622/verso/tui/common"
)

const (
	benchW, benchH = 120, 35
	bigPrompts     = 10000
	bigVersions    = 10
)

// driver runs a root model the way the Bubble Tea runtime does, minus the
// terminal: commands run in goroutines and their messages are fed back to
// Update in order of arrival. Timer commands (the spinner) are left to
// finish on their own.
type driver struct {
	m    *tui.Model
	msgs chan tea.Msg
	done chan struct{}
}

func newDriver(m *tui.Model) *driver {
	return &driver{m: m, msgs: make(chan tea.Msg, 64), done: make(chan struct{})}
}

func (d *driver) exec(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	go func() {
		msg := cmd()
		if batch, ok := msg.(tea.BatchMsg); ok {
			for _, c := range batch {
				d.exec(c)
			}
			return
		}
		if msg == nil {
			return
		}
		select {
		case d.msgs <- msg:
		case <-d.done:
		}
	}()
}

func (d *driver) update(msg tea.Msg) {
	_, cmd := d.m.Update(msg)
	d.exec(cmd)
}

// until feeds messages to the model until ok(frame) holds; it returns
// that frame.
func (d *driver) until(tb testing.TB, ok func(frame string) bool) string {
	timeout := time.After(10 * time.Second)
	for {
		select {
		case msg := <-d.msgs:
			d.update(msg)
			if f := d.m.Render(); ok(f) {
				return f
			}
		case <-timeout:
			tb.Fatalf("timed out; the model is %s and the frame:\n%s", d.m, d.m.Render())
			return ""
		}
	}
}

func (d *driver) close() { close(d.done) }

func benchOptions(st *store.Store, path string) tui.Options {
	return tui.Options{Store: st, DBPath: path, Author: "bench", Poll: -1, Getenv: func(string) string { return "" }}
}

// listReady is the first full frame: the list loaded and the preview of
// the selected prompt drawn.
func listReady(frame string) bool {
	return strings.Contains(frame, fmt.Sprintf("%d prompts", bigPrompts)) && !strings.Contains(frame, "loading")
}

// openList is the first frame: open the store, build the root, size it,
// run Init's commands until the list and the preview are loaded, render.
func openList(tb testing.TB, path string) (*driver, *store.Store, string) {
	st, err := store.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	d := newDriver(tui.New(benchOptions(st, path)))
	d.update(tea.WindowSizeMsg{Width: benchW, Height: benchH})
	d.exec(d.m.Init())
	frame := d.until(tb, listReady)
	return d, st, frame
}

// BenchmarkRegistry10k holds the figures on the 10,000 prompts x 10
// versions synthetic registry (built once, in a temp dir).
func BenchmarkRegistry10k(b *testing.B) {
	dir := b.TempDir()
	path := filepath.Join(dir, "big.db")
	start := time.Now()
	st, err := store.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := demo.Synthetic(context.Background(), st, bigPrompts, bigVersions, nil); err != nil {
		b.Fatal(err)
	}
	if err := st.Close(); err != nil {
		b.Fatal(err)
	}
	if fi, err := os.Stat(path); err == nil {
		b.Logf("synthetic registry %dx%d built in %s (%.0f MB)", bigPrompts, bigVersions, time.Since(start).Round(time.Millisecond), float64(fi.Size())/(1<<20))
	}

	// First full frame: store.Open to the first Render with the list and
	// the preview loaded (target < 150 ms). heap-MB is the live heap then.
	b.Run("FirstFrame", func(b *testing.B) {
		b.ReportAllocs()
		var d *driver
		var st *store.Store
		for i := 0; i < b.N; i++ {
			if d != nil {
				b.StopTimer()
				d.close()
				st.Close()
				b.StartTimer()
			}
			d, st, _ = openList(b, path)
		}
		b.StopTimer()
		b.ReportMetric(liveHeapMB(), "heap-MB")
		d.close()
		st.Close()
	})

	// A keystroke in the filter: Update with the key, then Render (target
	// < 10 ms). It types "prompt" and erases it, so every op refilters the
	// 10,000 names.
	b.Run("FilterKeystroke", func(b *testing.B) {
		d, st, _ := openList(b, path)
		defer st.Close()
		defer d.close()
		d.m.Update(tea.KeyPressMsg{Code: '/', Text: "/"})
		var keys []tea.KeyPressMsg
		for _, r := range "prompt" {
			keys = append(keys, tea.KeyPressMsg{Code: r, Text: string(r)})
		}
		for range "prompt" {
			keys = append(keys, tea.KeyPressMsg{Code: tea.KeyBackspace})
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			d.m.Update(keys[i%len(keys)]) // its command (the preview read) is async: not run
			_ = d.m.Render()
		}
		b.StopTimer()
		if !strings.Contains(d.m.Render(), "/ ") {
			b.Fatalf("not filtering: %s", d.m)
		}
	})

	// Scrolling the list one row down (and the preview it loads is async).
	b.Run("ListScroll", func(b *testing.B) {
		d, st, _ := openList(b, path)
		defer st.Close()
		defer d.close()
		down := tea.KeyPressMsg{Code: tea.KeyDown}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			d.m.Update(down)
			_ = d.m.Render()
		}
	})

	// The real binary: process start to the first full frame on the
	// screen, timed in tmux (polling capture-pane every few ms, so the
	// figure includes a few ms of tmux), and the process's peak RSS then.
	b.Run("BinaryFirstFrame", func(b *testing.B) {
		if _, err := exec.LookPath("tmux"); err != nil {
			b.Skip("tmux is not installed")
		}
		bin := buildVerso(b)
		tmp := b.TempDir()
		env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + tmp, "TERM=xterm-256color", "LANG=C.UTF-8",
			"XDG_CONFIG_HOME=" + tmp, "XDG_DATA_HOME=" + tmp, "XDG_CACHE_HOME=" + tmp, "VERSO_AUTHOR=bench"}
		s := startTmux(b, env, benchW, benchH, "sleep 3600")
		var frames, peaks []float64
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			name := fmt.Sprintf("run%d", i)
			t0 := time.Now()
			if out, err := s.run("new-session", "-d", "-s", name, "-x", strconv.Itoa(benchW), "-y", strconv.Itoa(benchH),
				fmt.Sprintf("exec '%s' --db '%s'", bin, path)); err != nil {
				b.Fatalf("tmux new-session: %v\n%s", err, out)
			}
			for {
				out, _ := s.run("capture-pane", "-p", "-t", name)
				if listReady(out) && strings.Contains(out, "enter open") {
					break
				}
				if time.Since(t0) > 10*time.Second {
					b.Fatalf("no first frame after 10s:\n%s", out)
				}
				time.Sleep(2 * time.Millisecond)
			}
			frames = append(frames, float64(time.Since(t0).Microseconds())/1000)
			b.StopTimer()
			if pid, err := s.run("display-message", "-p", "-t", name, "#{pane_pid}"); err == nil {
				if kb := procStatusKB(strings.TrimSpace(pid), "VmHWM"); kb > 0 {
					peaks = append(peaks, float64(kb)/1024)
				}
			}
			s.run("kill-session", "-t", name)
			b.StartTimer()
		}
		b.StopTimer()
		b.ReportMetric(median(frames), "ms-to-frame")
		if len(peaks) > 0 {
			b.ReportMetric(slices.Max(peaks), "peakRSS-MB")
		}
	})
}

func liveHeapMB() float64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return float64(ms.HeapInuse) / (1 << 20)
}

// procStatusKB reads a "Name: N kB" field of /proc/PID/status (0 when
// unavailable).
func procStatusKB(pid, field string) int {
	data, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			return n
		}
	}
	return 0
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// bigText is a prompt of n lines; changed lines differ every step lines.
func bigText(n, step int, edited bool) string {
	var b strings.Builder
	for i := range n {
		if edited && i%step == step/2 {
			fmt.Fprintf(&b, "Line %d: the assistant now answers in %d words and cites the section of the docs it used.\n", i, 40+i%60)
			continue
		}
		fmt.Fprintf(&b, "Line %d: the assistant answers in %d words with {{var%d}} and a plain, friendly tone.\n", i, 40+i%60, i%7)
	}
	return b.String()
}

// BenchmarkDiff5000 opens the diff of two 5,000-line versions (300 changed
// lines) from the History tab's message and renders the first frame
// (target < 50 ms): side-by-side at 120x35, unified under 100 columns.
func BenchmarkDiff5000(b *testing.B) {
	now := time.Now()
	old := store.Version{Prompt: "big/prompt", Number: 1, Kind: store.KindText, Template: bigText(5000, 17, false),
		Config: store.Config{Model: "demo/demo-small"}, Message: "first", Author: "bench", CreatedAt: now}
	nw := old
	nw.Number, nw.Template, nw.Message = 2, bigText(5000, 17, true), "cite the docs"
	nw.Config.Model = "demo/demo-large"
	for _, size := range []struct {
		name string
		w, h int
	}{{"side-by-side-120x35", 120, 35}, {"unified-80x24", 80, 24}} {
		b.Run(size.name, func(b *testing.B) {
			m := tui.New(benchOptions(nil, "bench.db"))
			m.Update(tea.WindowSizeMsg{Width: size.w, Height: size.h})
			b.ReportAllocs()
			b.ResetTimer()
			var frame string
			for i := 0; i < b.N; i++ {
				spec := common.VersionDiff(m.Common(), old, nw)
				m.Update(common.OpenDiffMsg{Spec: spec})
				frame = m.Render()
				b.StopTimer()
				m.Update(common.PopMsg{})
				b.StartTimer()
			}
			b.StopTimer()
			if !strings.Contains(frame, "@@") {
				b.Fatalf("the diff frame has no hunk:\n%s", frame)
			}
		})
	}
}

// BenchmarkRunMatrix1000x4 is a stored run of 1,000 cases x 4 versions:
// opening it from the Runs tab's message (load from SQLite, build the
// matrix, first frame), and moving the cursor one row per frame.
func BenchmarkRunMatrix1000x4(b *testing.B) {
	const cases, cols = 1000, 4
	path := filepath.Join(b.TempDir(), "run.db")
	st, err := store.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	runID := seedRun(b, st, cases, cols)
	open := func() *driver {
		d := newDriver(tui.New(benchOptions(st, path)))
		d.update(tea.WindowSizeMsg{Width: 140, Height: 40})
		d.update(common.OpenRunMsg{Prompt: "bench/matrix", RunID: runID})
		d.until(b, func(f string) bool { return strings.Contains(f, "case 0000") && strings.Contains(f, "pass rate") })
		return d
	}
	b.Run("Open", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			open().close()
		}
	})
	b.Run("ScrollFrame", func(b *testing.B) {
		d := open()
		defer d.close()
		down, top := tea.KeyPressMsg{Code: 'j', Text: "j"}, tea.KeyPressMsg{Code: 'g', Text: "g"}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if i%(cases-1) == cases-2 {
				d.m.Update(top)
			}
			d.m.Update(down)
			_ = d.m.Render()
		}
	})
	b.Run("ColumnFrame", func(b *testing.B) {
		d := open()
		defer d.close()
		right, left := tea.KeyPressMsg{Code: 'l', Text: "l"}, tea.KeyPressMsg{Code: 'h', Text: "h"}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if (i/(cols-1))%2 == 0 {
				d.m.Update(right)
			} else {
				d.m.Update(left)
			}
			_ = d.m.Render()
		}
	})
}

// seedRun writes a prompt with cols versions, a suite of n cases and a
// finished run of every case on every version.
func seedRun(b *testing.B, st *store.Store, n, cols int) int64 {
	ctx := context.Background()
	const name = "bench/matrix"
	for v := 1; v <= cols; v++ {
		if _, err := st.Commit(ctx, store.CommitInput{Name: name, Kind: store.KindText, Author: "bench", Message: fmt.Sprintf("v%d", v),
			Template: fmt.Sprintf("Answer {{q}} in at most %d words.", 100-v*10), Config: store.Config{Model: "demo/demo-small"}}); err != nil {
			b.Fatal(err)
		}
	}
	su := store.Suite{Name: "default"}
	for i := range n {
		su.Cases = append(su.Cases, store.Case{Name: fmt.Sprintf("case %04d", i), Vars: map[string]any{"q": fmt.Sprintf("question %d", i)},
			Assertions: []store.Assertion{{Type: "icontains", Value: "answer"}}})
	}
	su, err := st.SaveSuite(ctx, name, su)
	if err != nil {
		b.Fatal(err)
	}
	type column struct {
		Version int    `json:"version"`
		Model   string `json:"model"`
	}
	var settings struct {
		Columns []column `json:"columns"`
	}
	var versions []int
	for v := 1; v <= cols; v++ {
		versions = append(versions, v)
		settings.Columns = append(settings.Columns, column{v, "demo/demo-small"})
	}
	raw, _ := json.Marshal(settings)
	run, err := st.CreateRun(ctx, store.Run{Prompt: name, Suite: su.Name, SuiteID: su.ID, Versions: versions,
		Models: []string{"demo/demo-small"}, Repeat: 1, Settings: raw, Total: n * cols})
	if err != nil {
		b.Fatal(err)
	}
	var results []store.Result
	for _, cs := range su.Cases {
		for v := 1; v <= cols; v++ {
			pass := (int(cs.ID)+v)%7 != 0
			results = append(results, store.Result{RunID: run.ID, Version: v, Model: "demo/demo-small", CaseID: cs.ID, CaseName: cs.Name,
				Output: fmt.Sprintf("Here is the answer to %s from version %d, in a few words.", cs.Name, v), Pass: pass, Score: map[bool]float64{true: 1}[pass],
				Assertions: []store.AssertionResult{{Type: "icontains", Pass: pass, Score: map[bool]float64{true: 1}[pass]}},
				LatencyMS:  int64(100 + (int(cs.ID)*31+v*17)%900), TokensIn: 40, TokensOut: 120, Cost: 0.0001})
		}
	}
	if err := st.SaveBatch(ctx, results, nil); err != nil {
		b.Fatal(err)
	}
	if err := st.FinishRun(ctx, run.ID, store.RunDone, nil); err != nil {
		b.Fatal(err)
	}
	return run.ID
}
