package evalws

import (
	"fmt"
	"testing"

	"github.com/seed94f0f622/verso/eval/report"
	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/themes"
	"github.com/seed94f0f622/verso/tui/common"
)

// benchMatrix is a finished run of n cases x k columns, in memory.
func benchMatrix(c *common.Common, n, k int) *Matrix {
	msg := loadedMsg{run: store.Run{ID: 1, Prompt: "support/reply", Suite: "default", Status: store.RunDone, Repeat: 1, Total: n * k}}
	for j := range k {
		msg.cols = append(msg.cols, report.Column{Version: j + 1, Model: "demo/demo-small"})
	}
	for i := range n {
		cs := store.Case{ID: int64(i + 1), Name: fmt.Sprintf("case %04d", i), Vars: map[string]any{"q": i}}
		msg.cases = append(msg.cases, cs)
		for j := range k {
			msg.results = append(msg.results, store.Result{RunID: 1, Version: j + 1, Model: "demo/demo-small", CaseID: cs.ID, CaseName: cs.Name,
				Output: fmt.Sprintf("answer %d of version %d", i, j+1), Pass: (i+j)%7 != 0, Score: 1, LatencyMS: int64(100 + (i*31+j*17)%900),
				TokensIn: 40, TokensOut: 120, Cost: 0.0001})
		}
	}
	m := newMatrix(c, "support/reply", 1)
	m.setData(msg)
	return m
}

// BenchmarkMatrixView draws a frame of a 1,000 cases x 4 columns run, the
// cursor moving every frame.
func BenchmarkMatrixView(b *testing.B) {
	c := common.NewCommon(nil, "bench", themes.MustGet("dark", true))
	m := benchMatrix(c, 1000, 4)
	m.SetSize(140, 40)
	m.View()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.move(1)
		if m.cursor == len(m.view)-1 {
			m.cursor = 0
		}
		_ = m.View()
	}
}

// BenchmarkMatrixLiveBatch folds a batch of 8 results into a 1,000 x 4
// run and draws the frame (what a live run costs per frame).
func BenchmarkMatrixLiveBatch(b *testing.B) {
	c := common.NewCommon(nil, "bench", themes.MustGet("dark", true))
	m := benchMatrix(c, 1000, 4)
	m.SetSize(140, 40)
	rs := append([]store.Result(nil), m.results[:8]...)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, r := range rs {
			m.addResult(r)
		}
		_ = m.View()
	}
}
