package evalws

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/seed94f0f622/verso/eval/report"
	"github.com/seed94f0f622/verso/eval/runner"
	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/tui/common"
)

// Messages of the matrix screen.
type (
	// loadedMsg carries a run, its results and what the matrix needs to
	// show them; feed is set when the run is live in this process.
	loadedMsg struct {
		to
		run      store.Run
		cols     []report.Column
		cases    []store.Case
		versions map[int]store.Version
		results  []store.Result
		feed     *runner.Feed
		prog     runner.Progress
		live     bool
		err      error
	}
	// resumedMsg: a cancelled run was resumed in this process.
	resumedMsg struct {
		to
		feed    *runner.Feed
		results []store.Result
		prog    runner.Progress
		err     error
	}
)

// Row filters and orders of the matrix.
const (
	filterAll = iota
	filterFailures
	filterChanged
	nFilters
)

var filterNames = [nFilters]string{"all cases", "failures only", "changed only"}

const (
	sortSuite = iota
	sortFailures
	sortSlowest
	sortName
	nSorts
)

var sortNames = [nSorts]string{"suite order", "failures first", "slowest first", "name"}

// cell is one (case, column) of the matrix: its results by repeat.
type cell struct {
	res      []int // index into Matrix.results by repeat, -1 when missing
	n        int   // results present
	pass     int
	fail     int
	errs     int
	distinct int // distinct outputs among the results without error
	latency  float64
	score    float64
}

func (c *cell) verdict() report.Verdict {
	switch {
	case c.n == 0:
		return report.Missing
	case c.pass == c.n:
		return report.Pass
	case c.errs == c.n:
		return report.Error
	}
	return report.Fail
}

// row is one case of the matrix.
type row struct {
	caseID int64
	name   string
	pos    int
	cas    *store.Case // nil when the case is no longer in the suite
	cells  []cell
}

// Matrix is the results matrix of a run: stored, or live in this process.
type Matrix struct {
	c      *common.Common
	id     int
	prompt string
	runID  int64
	then   *common.PromoteMsg // the promotion to reopen when the run passes
	keys   MatrixKeys

	loaded   bool
	err      error
	run      store.Run
	cols     []report.Column
	versions map[int]store.Version
	repeat   int
	results  []store.Result
	byKey    map[runner.Key]int
	rows     []row
	rowIdx   map[int64]int
	colIdx   map[report.Column]int

	view    []int // rows shown, filtered and sorted
	viewOK  bool
	sum     report.Summary
	sumOK   bool
	sumDone int

	// Live state.
	feed     *runner.Feed
	running  bool
	prog     runner.Progress
	produced int // results produced by this process's handle (calls/s)
	streams  map[runner.Key]string
	retry    string

	cursor, off, col, colOff int
	marked                   bool // a cell is marked for comparison
	markCol                  int
	markID                   int64 // case of the marked cell
	filter, sort             int

	width, height int
}

// OpenRun returns the results matrix of run runID of prompt: live when the
// run is in flight in this process (started by the new-run form or
// resumed), stored otherwise.
func OpenRun(c *common.Common, prompt string, runID int64) common.Screen {
	return newMatrix(c, prompt, runID)
}

func newMatrix(c *common.Common, prompt string, runID int64) *Matrix {
	m := &Matrix{c: c, id: common.NewID(), prompt: prompt, runID: runID, keys: DefaultMatrixKeys(), streams: map[runner.Key]string{}}
	m.keys.ListKeys = c.List
	return m
}

// RunID is the run this matrix shows.
func (m *Matrix) RunID() int64 { return m.runID }

func (m *Matrix) ID() int         { return m.id }
func (m *Matrix) Init() tea.Cmd   { return m.load() }
func (m *Matrix) Capturing() bool { return false }

// Running reports that the run is live on this screen: the root then
// delivers ctrl+c to the screen (it cancels the run) instead of quitting.
func (m *Matrix) Running() bool { return m.running }

// Title is the breadcrumb.
func (m *Matrix) Title() string { return fmt.Sprintf("run #%d", m.runID) }

// Reload re-reads a stored run; a live run updates itself.
func (m *Matrix) Reload() tea.Cmd {
	if m.running {
		return nil
	}
	return m.load()
}

// SetSize sets the rectangle the matrix draws in.
func (m *Matrix) SetSize(w, h int) { m.width, m.height = w, h }

// load reads the run (attaching to it when it is live here).
func (m *Matrix) load() tea.Cmd {
	c, id, runID, prompt := m.c, m.id, m.runID, m.prompt
	return func() tea.Msg {
		return loadRun(c.Ctx, c.Store, c.Engine, id, prompt, runID)
	}
}

func loadRun(ctx context.Context, st *store.Store, eng *runner.Engine, id int, prompt string, runID int64) loadedMsg {
	msg := loadedMsg{to: to{ID: id}}
	// Live first: a run that is not live here any more has its final row
	// written (the engine writes it before it lets go), so the row read
	// next is the final one.
	var live *runner.Run
	if eng != nil {
		live = eng.Live(runID)
	}
	run, err := st.Run(ctx, runID)
	if err != nil {
		msg.err = err
		return msg
	}
	msg.run = run
	stored, err := st.Results(ctx, runID)
	if err != nil {
		msg.err = err
		return msg
	}
	if live != nil {
		snap, feed, _ := live.Subscribe()
		msg.cols, msg.cases = live.Columns, live.Cases
		msg.results = mergeResults(stored, snap.Results)
		msg.prog = snap.Progress
		if !snap.Ended {
			msg.feed, msg.live = feed, true
		} else if snap.Progress.Status != "" {
			// Ended after the row was read: the row still says running.
			msg.run.Status = snap.Progress.Status
		}
	} else {
		msg.results = stored
		if spec, err := runner.ReadSpec(run); err == nil {
			msg.cols = spec.Columns
		}
		if len(msg.cols) == 0 {
			msg.cols = report.ColumnsOf(stored)
		}
		if su, err := st.Suite(ctx, run.Prompt, run.Suite); err == nil {
			msg.cases = su.Cases
		}
	}
	msg.versions = map[int]store.Version{}
	for _, col := range msg.cols {
		if _, ok := msg.versions[col.Version]; ok {
			continue
		}
		if v, err := st.Version(ctx, run.Prompt, col.Version); err == nil {
			msg.versions[col.Version] = v
		}
	}
	return msg
}

// mergeResults: live results replace stored ones of the same key.
func mergeResults(stored, live []store.Result) []store.Result {
	idx := map[runner.Key]int{}
	out := slices.Clone(stored)
	for i, r := range out {
		idx[keyOf(r)] = i
	}
	for _, r := range live {
		if i, ok := idx[keyOf(r)]; ok {
			out[i] = r
			continue
		}
		idx[keyOf(r)] = len(out)
		out = append(out, r)
	}
	return out
}

func keyOf(r store.Result) runner.Key {
	return runner.Key{Version: r.Version, Model: r.Model, CaseID: r.CaseID, Repeat: r.Repeat}
}

// setData lays out the matrix from a loaded run.
func (m *Matrix) setData(msg loadedMsg) {
	m.loaded, m.err = true, nil
	m.run = msg.run
	m.cols = msg.cols
	m.versions = msg.versions
	m.repeat = max(1, msg.run.Repeat)
	m.colIdx = map[report.Column]int{}
	for i, c := range m.cols {
		m.colIdx[c] = i
	}
	m.rows, m.rowIdx = nil, map[int64]int{}
	m.results, m.byKey = nil, map[runner.Key]int{}
	have := map[int64]bool{}
	for _, r := range msg.results {
		have[r.CaseID] = true
	}
	// A finished run shows the cases it ran; an unfinished one also the
	// cases still to run.
	all := msg.live || msg.run.Status != store.RunDone
	for i := range msg.cases {
		cs := &msg.cases[i]
		if all || have[cs.ID] {
			m.addRow(cs.ID, cs.Name, cs)
		}
	}
	for _, r := range msg.results {
		m.addResult(r)
	}
	m.viewOK, m.sumOK = false, false
	m.clampCursor()
}

func (m *Matrix) addRow(id int64, name string, cs *store.Case) *row {
	r := row{caseID: id, name: name, pos: len(m.rows), cas: cs, cells: make([]cell, len(m.cols))}
	for i := range r.cells {
		r.cells[i].res = make([]int, m.repeat)
		for j := range r.cells[i].res {
			r.cells[i].res[j] = -1
		}
	}
	m.rowIdx[id] = len(m.rows)
	m.rows = append(m.rows, r)
	return &m.rows[len(m.rows)-1]
}

// addResult puts a result in its cell (replacing one of the same key: a
// resumed run redoing an error).
func (m *Matrix) addResult(r store.Result) {
	k := keyOf(r)
	if i, ok := m.byKey[k]; ok {
		m.results[i] = r
	} else {
		m.byKey[k] = len(m.results)
		m.results = append(m.results, r)
	}
	ci, ok := m.colIdx[report.Column{Version: r.Version, Model: r.Model}]
	if !ok {
		ci = len(m.cols)
		m.cols = append(m.cols, report.Column{Version: r.Version, Model: r.Model})
		m.colIdx[m.cols[ci]] = ci
		for i := range m.rows {
			m.rows[i].cells = append(m.rows[i].cells, newCell(m.repeat))
		}
	}
	ri, ok := m.rowIdx[r.CaseID]
	if !ok {
		m.addRow(r.CaseID, r.CaseName, nil)
		ri = len(m.rows) - 1
	}
	c := &m.rows[ri].cells[ci]
	for r.Repeat >= len(c.res) {
		c.res = append(c.res, -1)
	}
	c.res[r.Repeat] = m.byKey[k]
	m.recount(c)
	m.viewOK, m.sumOK = false, false
}

func newCell(repeat int) cell {
	c := cell{res: make([]int, repeat)}
	for j := range c.res {
		c.res[j] = -1
	}
	return c
}

func (m *Matrix) recount(c *cell) {
	*c = cell{res: c.res}
	var outs []string
	var lat, score float64
	for _, i := range c.res {
		if i < 0 {
			continue
		}
		r := &m.results[i]
		c.n++
		score += r.Score
		switch {
		case r.Error != "":
			c.errs++
			continue
		case r.Pass:
			c.pass++
		default:
			c.fail++
		}
		lat += float64(r.LatencyMS)
		if !slices.Contains(outs, r.Output) {
			outs = append(outs, r.Output)
		}
	}
	c.distinct = len(outs)
	if ok := c.n - c.errs; ok > 0 {
		c.latency = lat / float64(ok)
	}
	if c.n > 0 {
		c.score = score / float64(c.n)
	}
}

// Update handles keys, loads and the live run's events.
func (m *Matrix) Update(msg tea.Msg) (common.Screen, tea.Cmd) {
	switch msg := msg.(type) {
	case loadedMsg:
		if msg.err != nil {
			m.err = msg.err
			m.loaded = true
			return m, common.Error(msg.err)
		}
		m.setData(msg)
		m.prog = msg.prog
		if msg.live {
			m.feed, m.running = msg.feed, true
			m.produced = 0
			return m, readFeed(m.c.Ctx, m.id, m.feed, 0)
		}
		// A run that ended before its matrix was read (a quick one).
		return m, m.promoteAgain()
	case feedMsg:
		if msg.feed != m.feed {
			return m, nil // a feed this screen no longer reads
		}
		m.apply(msg.events)
		if msg.more && m.running {
			return m, readFeed(m.c.Ctx, m.id, m.feed, frame)
		}
		m.running = false
		return m, tea.Batch(m.finished(), m.promoteAgain())
	case resumedMsg:
		if msg.err != nil {
			return m, common.Error(msg.err)
		}
		for _, r := range msg.results {
			m.addResult(r)
		}
		m.prog, m.feed, m.running, m.produced = msg.prog, msg.feed, true, len(msg.results)
		m.run.Status = store.RunRunning
		return m, tea.Batch(readFeed(m.c.Ctx, m.id, m.feed, 0), common.Info(fmt.Sprintf("run #%d resumed", m.runID)))
	case tea.KeyPressMsg:
		return m, m.key(msg)
	case tea.MouseWheelMsg:
		switch msg.Button {
		case tea.MouseWheelUp:
			m.move(-3)
		case tea.MouseWheelDown:
			m.move(3)
		}
	}
	return m, nil
}

// apply folds a batch of events into the matrix.
func (m *Matrix) apply(evs []runner.Event) {
	for _, ev := range evs {
		m.prog = ev.Progress
		switch ev.Kind {
		case runner.Started:
			m.streams[ev.Key] = ""
		case runner.Token:
			m.streams[ev.Key] += ev.Text
		case runner.Retried:
			m.retry = fmt.Sprintf("retry %d of %s: %s", ev.Attempt, common.CleanLine(ev.Case), common.CleanLine(ev.Text))
		case runner.Finished, runner.Failed:
			delete(m.streams, ev.Key)
			if ev.Result != nil {
				m.addResult(*ev.Result)
				m.produced++
			}
		case runner.Done:
			m.running = false
			m.run.Status = ev.Progress.Status
			clear(m.streams)
		}
	}
}

// promoteAgain reopens the promotion the run was started for (ctrl+r in
// a refused promotion) when the version passed every case: the run is its
// evidence. Otherwise it says why not.
func (m *Matrix) promoteAgain() tea.Cmd {
	if m.then == nil || m.run.Status != store.RunDone {
		return nil
	}
	then := *m.then
	m.then = nil
	var passed, total int
	for _, s := range m.summary().Columns {
		if s.Version == then.Version {
			passed += s.Passed
			total += s.Total
		}
	}
	if total == 0 || passed < total {
		return common.Warn(fmt.Sprintf("v%d passed %d of %d cases: the promotion to %s stays refused (fix the failures, or p then ctrl+f to force it)", then.Version, passed, total, then.Label))
	}
	then.RunID = m.runID
	then.Evidence = append(then.Evidence, fmt.Sprintf("Run #%d: v%d passed %d/%d cases.", m.runID, then.Version, passed, total))
	return m.c.Flow(then)
}

// finished says how the run ended.
func (m *Matrix) finished() tea.Cmd {
	p := m.prog
	text := fmt.Sprintf("run #%d %s: %d passed, %d failed, %s of %d", m.runID, p.Status, p.Passed, p.Failed, common.Plural(p.Errors, "error"), p.Total)
	switch p.Status {
	case store.RunDone:
		if p.Failed+p.Errors == 0 {
			return common.Success(text)
		}
		return common.Warn(text)
	case store.RunCancelled, store.RunInterrupted:
		return common.Warn(text + " · R resumes")
	}
	return common.Warn(text)
}

// HandlesEsc: esc clears the mark before it goes back.
func (m *Matrix) HandlesEsc() bool { return m.marked }

func (m *Matrix) key(msg tea.KeyPressMsg) tea.Cmd {
	k := m.keys
	if msg.String() == "esc" && m.marked {
		m.marked = false
		return common.Info("mark cleared")
	}
	switch {
	case key.Matches(msg, k.Cancel):
		if m.running {
			// Cancelling is a context's cancel function: no I/O here.
			if r := m.c.Engine.Live(m.runID); r != nil {
				r.Cancel()
			}
			return common.Info(fmt.Sprintf("cancelling run #%d: finished results are kept", m.runID))
		}
	case key.Matches(msg, k.ListKeys.Bindings()...):
		m.ensureView()
		m.cursor, _ = k.Move(msg, m.cursor, len(m.view), max(1, m.rowsHeight()))
	case key.Matches(msg, k.Left):
		m.col = max(0, m.col-1)
	case key.Matches(msg, k.Right):
		m.col = min(max(0, len(m.cols)-1), m.col+1)
	case key.Matches(msg, k.Filter):
		m.filter = (m.filter + 1) % nFilters
		m.viewOK = false
		m.clampCursor()
		return common.Info("showing " + filterNames[m.filter])
	case key.Matches(msg, k.Sort):
		m.sort = (m.sort + 1) % nSorts
		m.viewOK = false
		return common.Info("sorted: " + sortNames[m.sort])
	case key.Matches(msg, k.Mark):
		r := m.current()
		if r == nil {
			return nil
		}
		if m.marked && m.markID == r.caseID && m.markCol == m.col {
			m.marked = false
			return nil
		}
		m.marked, m.markCol, m.markID = true, m.col, r.caseID
		return common.Info("marked: d on another cell of this row compares the outputs")
	case key.Matches(msg, k.Diff):
		return m.diff()
	case key.Matches(msg, k.Detail):
		r := m.current()
		if r == nil || len(m.cols) == 0 {
			return nil
		}
		return common.Push(m.detail(r, m.col))
	case key.Matches(msg, k.Promote):
		return m.promote()
	case key.Matches(msg, k.Resume):
		return m.resume()
	}
	return nil
}

func (m *Matrix) move(d int) {
	m.ensureView()
	m.cursor = max(0, min(len(m.view)-1, m.cursor+d))
}

func (m *Matrix) clampCursor() {
	m.ensureView()
	m.cursor = max(0, min(len(m.view)-1, m.cursor))
	m.col = max(0, min(len(m.cols)-1, m.col))
}

// current is the row under the cursor.
func (m *Matrix) current() *row {
	m.ensureView()
	if m.cursor < 0 || m.cursor >= len(m.view) {
		return nil
	}
	return &m.rows[m.view[m.cursor]]
}

// ensureView recomputes the shown rows after a change of data, filter or
// order, keeping the cursor on the same case.
func (m *Matrix) ensureView() {
	if m.viewOK {
		return
	}
	var keep int64 = -1
	if m.cursor >= 0 && m.cursor < len(m.view) && m.view[m.cursor] < len(m.rows) {
		keep = m.rows[m.view[m.cursor]].caseID
	}
	m.view = m.view[:0]
	for i := range m.rows {
		if m.keepRow(&m.rows[i]) {
			m.view = append(m.view, i)
		}
	}
	if m.sort != sortSuite {
		slices.SortStableFunc(m.view, func(a, b int) int { return m.cmpRows(&m.rows[a], &m.rows[b]) })
	}
	m.viewOK = true
	if keep >= 0 {
		for i, ri := range m.view {
			if m.rows[ri].caseID == keep {
				m.cursor = i
				break
			}
		}
	}
	m.cursor = max(0, min(len(m.view)-1, m.cursor))
}

func (m *Matrix) keepRow(r *row) bool {
	switch m.filter {
	case filterFailures:
		for i := range r.cells {
			if r.cells[i].fail+r.cells[i].errs > 0 {
				return true
			}
		}
		return false
	case filterChanged:
		var first report.Verdict
		for i := range r.cells {
			v := r.cells[i].verdict()
			if v == report.Missing {
				continue
			}
			if first == "" {
				first = v
			} else if v != first {
				return true
			}
		}
		return false
	}
	return true
}

func (m *Matrix) cmpRows(a, b *row) int {
	switch m.sort {
	case sortFailures:
		fa, fb := 0, 0
		for i := range a.cells {
			fa += a.cells[i].fail + a.cells[i].errs
		}
		for i := range b.cells {
			fb += b.cells[i].fail + b.cells[i].errs
		}
		if fa != fb {
			return fb - fa
		}
	case sortSlowest:
		la, lb := 0.0, 0.0
		for i := range a.cells {
			la = max(la, a.cells[i].latency)
		}
		for i := range b.cells {
			lb = max(lb, b.cells[i].latency)
		}
		if la != lb {
			return cmp.Compare(lb, la)
		}
	case sortName:
		if c := strings.Compare(a.name, b.name); c != 0 {
			return c
		}
	}
	return a.pos - b.pos
}

// summary is the run's figures per column (recomputed after a change).
func (m *Matrix) summary() report.Summary {
	if !m.sumOK {
		planned := m.run.Total
		if m.prog.Total > 0 {
			planned = m.prog.Total
		}
		m.sum = report.Summarize(m.results, m.cols, planned)
		m.sumOK = true
	}
	return m.sum
}

// results of a cell, by repeat (present ones only).
func (m *Matrix) cellResults(r *row, ci int) []store.Result {
	if ci < 0 || ci >= len(r.cells) {
		return nil
	}
	var out []store.Result
	for _, i := range r.cells[ci].res {
		if i >= 0 {
			out = append(out, m.results[i])
		}
	}
	return out
}

func (m *Matrix) detail(r *row, ci int) *Detail {
	col := m.cols[ci]
	d := newDetail(m.c, m.prompt, m.runID, col, r.name, r.cas, m.versions[col.Version], m.cellResults(r, ci))
	if rs := d.results; len(rs) == 0 {
		// Still running: show what streamed so far.
		for k, s := range m.streams {
			if k.CaseID == r.caseID && k.Version == col.Version && k.Model == col.Model {
				d.streamed = s
			}
		}
	}
	return d
}

// diff compares the marked cell with the focused one (same row).
func (m *Matrix) diff() tea.Cmd {
	r := m.current()
	if r == nil || len(m.cols) < 2 {
		return common.Warn("nothing to compare: the run has one column")
	}
	a, b := -1, m.col
	switch {
	case m.marked && m.markID == r.caseID && m.markCol != m.col:
		a = m.markCol
	case m.marked && m.markID != r.caseID:
		return common.Warn("the marked cell is on another row: compare two cells of the same case")
	case len(m.cols) == 2:
		a, b = 0, 1
	default:
		return common.Warn("mark a cell with space, then press d on another cell of the same row")
	}
	if a > b {
		a, b = b, a
	}
	left, right := m.cellResults(r, a), m.cellResults(r, b)
	if len(left) == 0 || len(right) == 0 {
		return common.Warn("both cells need a result to compare")
	}
	name := common.CleanLine(r.name)
	spec := common.DiffSpec{
		Title:      fmt.Sprintf("%s · %s ↔ %s", name, colTitle(m.cols[a]), colTitle(m.cols[b])),
		LeftTitle:  colTitle(m.cols[a]),
		RightTitle: colTitle(m.cols[b]),
		Header: []string{
			fmt.Sprintf("run #%d · case %s", m.runID, name),
			colTitle(m.cols[a]) + ": " + resultLine(left[0]),
			colTitle(m.cols[b]) + ": " + resultLine(right[0]),
		},
		Left:  outputOf(left[0]),
		Right: outputOf(right[0]),
	}
	return func() tea.Msg { return common.OpenDiffMsg{Spec: spec} }
}

func outputOf(r store.Result) string {
	if r.Error != "" {
		return "error: " + r.Error
	}
	return r.Output
}

func resultLine(r store.Result) string {
	v := report.VerdictOf(r)
	s := fmt.Sprintf("%s %s · score %.2f", verdictSym(v), v, r.Score)
	if r.Error == "" {
		s += " · " + ms(float64(r.LatencyMS))
	}
	return s
}

// Evidence is the line a promotion records for a column of a run.
func Evidence(runID int64, st report.Stats, status string) string {
	s := fmt.Sprintf("run #%d: %d/%d passed, p95 %s, %s", runID, st.Passed, st.Total, strings.ReplaceAll(ms(st.LatencyP95MS), "ms", " ms"), money(st.Cost))
	if status != "" && status != store.RunDone {
		s += " (" + status + ")"
	}
	return s
}

func (m *Matrix) promote() tea.Cmd {
	if len(m.cols) == 0 {
		return nil
	}
	if m.running {
		return common.Warn("the run is still going: promote when it has finished")
	}
	col := m.cols[m.col]
	sum := m.summary()
	var st report.Stats
	for _, s := range sum.Columns {
		if s.Version == col.Version && s.Model == col.Model {
			st = s
		}
	}
	msg := common.PromoteMsg{Prompt: m.prompt, Version: col.Version, RunID: m.runID,
		Evidence: []string{Evidence(m.runID, st, m.run.Status)}}
	return m.c.Flow(msg)
}

func (m *Matrix) resume() tea.Cmd {
	if m.running || !m.loaded {
		return nil
	}
	sum := m.summary()
	if m.run.Status == store.RunDone && sum.Errors == 0 {
		return common.Info(fmt.Sprintf("run #%d is complete: nothing to resume", m.runID))
	}
	if m.c.Engine == nil {
		return common.Warn("evals are unavailable: no model providers are configured")
	}
	eng, ctx, id, runID := m.c.Engine, m.c.Ctx, m.id, m.runID
	return func() tea.Msg {
		h, err := eng.Resume(ctx, runID, runner.Options{Stream: true})
		if err != nil {
			return resumedMsg{to: to{ID: id}, err: err}
		}
		snap, feed, _ := h.Subscribe()
		return resumedMsg{to: to{ID: id}, feed: feed, results: snap.Results, prog: snap.Progress}
	}
}

// ShortHelp is the one-line help.
func (m *Matrix) ShortHelp() []key.Binding {
	k := m.keys
	if m.running {
		return []key.Binding{k.Detail, k.Cancel, k.Filter, k.Sort}
	}
	out := []key.Binding{k.Detail, k.Mark, k.Diff, k.Promote, k.Filter, k.Sort}
	if m.run.Status == store.RunCancelled || m.run.Status == store.RunFailed || m.run.Status == store.RunInterrupted {
		out = append(out, k.Resume)
	}
	return out
}

// FullHelp lists every matrix key.
func (m *Matrix) FullHelp() [][]key.Binding {
	k := m.keys
	return [][]key.Binding{
		append(k.Bindings(), k.Left, k.Right),
		{k.Detail, k.Mark, k.Diff, k.Filter, k.Sort},
		{k.Promote, k.Cancel, k.Resume},
	}
}

var errNoEngine = errors.New("evals are unavailable: no model providers are configured")

// elapsed of a live run (for calls/s).
func (m *Matrix) rate() float64 {
	if s := m.prog.Elapsed.Seconds(); s > 0 && m.produced > 0 {
		return float64(m.produced) / s
	}
	return 0
}
