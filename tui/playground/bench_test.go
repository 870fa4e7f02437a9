package playground

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/seed94f0f622/verso/eval/config"
	"github.com/seed94f0f622/verso/eval/provider"
	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/themes"
	"github.com/seed94f0f622/verso/tui/common"
	"github.com/seed94f0f622/verso/tui/common/commontest"
)

// BenchmarkFirstTokenShown measures the time from the model server
// flushing the first piece of an answer to the playground's frame showing
// it (the target: under 50 ms). The server waits 100 ms after the first
// piece before the rest, so only the first piece can be on screen.
func BenchmarkFirstTokenShown(b *testing.B) {
	var firstAt atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		chunk := func(content, finish string) {
			fin := "null"
			if finish != "" {
				fin = `"` + finish + `"`
			}
			fmt.Fprintf(w, "data: {\"id\":\"x\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":%q},\"finish_reason\":%s}]}\n\n", content, fin)
			w.(http.Flusher).Flush()
		}
		firstAt.Store(time.Now().UnixNano())
		chunk("FIRSTPIECE", "")
		time.Sleep(100 * time.Millisecond)
		chunk(" and the rest.", "stop")
		fmt.Fprint(w, "data: [DONE]\n\n")
	}))
	defer srv.Close()
	st, _ := commontest.OpenStore(b)
	reg := provider.NewRegistry(config.Config{})
	reg.SetBaseURL("demo", srv.URL)
	c := common.NewCommon(st, "bench", themes.MustGet("dark", true))
	c.Providers = reg
	v, err := st.Commit(b.Context(), store.CommitInput{Name: "b", Kind: store.KindText, Template: "Say {{x}}", Author: "a", Message: "m", Config: store.Config{Model: "demo/demo-small"}})
	if err != nil {
		b.Fatal(err)
	}
	m := New(c, v, Options{})
	m.SetSize(120, 40)
	var total time.Duration
	for i := 0; b.Loop(); i++ {
		m.inputs[0].SetValue(fmt.Sprint("value ", i)) // no cached answer
		batch, ok := m.run()().(tea.BatchMsg)
		if !ok {
			b.Fatal("run did not start")
		}
		batch[0]() // start the call; the loop below reads what it sends
		for !strings.Contains(m.View(), "FIRSTPIECE") {
			msg := listen(m.to(), m.gen, m.ch)()
			m.Update(msg)
		}
		total += time.Since(time.Unix(0, firstAt.Load()))
		m.stop()
	}
	b.ReportMetric(float64(total.Microseconds())/float64(b.N)/1000, "ms/first-token")
}
