package playground

import (
	"context"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/seed94f0f622/verso/eval/provider"
	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/tui/common"
)

// event is one thing a model call reports: a piece of the answer, or its
// end (with the answer's figures or the error).
type event struct {
	col  int
	text string // a streamed piece
	done bool
	resp provider.Response
	cost float64
	// cached: the answer came from the response cache (no call was made).
	cached bool
	err    error
	at     time.Time // when the piece arrived from the model
}

// eventsMsg carries the events that arrived since the last one was read
// (streamed tokens are coalesced: one redraw for many pieces). closed: every
// call of the run has ended.
type eventsMsg struct {
	common.To
	gen    int
	events []event
	closed bool
}

// call is one model's part of a run.
type call struct {
	col   int
	model string // "provider/model"
}

// maxBatch bounds how many events one message carries.
const maxBatch = 512

// runner starts the calls of one run and feeds their events to ch, which
// it closes when every call has ended. It is used from a command.
type runner struct {
	reg    *provider.Registry
	st     *store.Store
	msgs   []store.Message
	cfg    store.Config
	policy provider.Policy
}

func (r runner) start(ctx context.Context, calls []call, ch chan<- event) {
	var wg sync.WaitGroup
	for _, cl := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.one(ctx, cl, ch)
		}()
	}
	go func() {
		wg.Wait()
		close(ch)
	}()
}

// one calls one model: the cache first (a cached answer is marked), else
// the model, streaming; the live answer joins the cache, so the same
// question asked again (here or by a suite run) is answered from it.
func (r runner) one(ctx context.Context, cl call, ch chan<- event) {
	send := func(e event) {
		e.col = cl.col
		select {
		case ch <- e:
		case <-ctx.Done():
		}
	}
	pname, mname := r.reg.Split(cl.model)
	p, err := r.reg.Provider(pname)
	if err != nil {
		send(event{done: true, err: err})
		return
	}
	req := provider.Request(mname, r.msgs, r.cfg)
	key := provider.CacheKey(p.CacheID, req, 0)
	if c, ok, err := r.st.CacheGet(ctx, key); err == nil && ok {
		resp := provider.Response{Output: c.Output, TokensIn: c.TokensIn, TokensOut: c.TokensOut,
			Latency: time.Duration(c.LatencyMS) * time.Millisecond, FinishReason: c.FinishReason, UsageUnknown: c.UsageUnknown}
		send(event{done: true, cached: true, resp: resp, cost: p.Cost(mname, c.TokensIn, c.TokensOut)})
		return
	}
	resp, err := provider.Do(ctx, r.policy, func(ctx context.Context) (provider.Response, error) {
		return p.Chat(ctx, req, func(s string) { send(event{text: s, at: time.Now()}) })
	}, nil)
	if err != nil {
		if ctx.Err() == nil {
			send(event{done: true, err: err})
		}
		return
	}
	if !r.st.ReadOnly() {
		_ = r.st.SaveBatch(ctx, nil, []store.CachedResponse{{Key: key, Output: resp.Output, TokensIn: resp.TokensIn, TokensOut: resp.TokensOut,
			LatencyMS: resp.Latency.Milliseconds(), FinishReason: resp.FinishReason, UsageUnknown: resp.UsageUnknown}})
	}
	send(event{done: true, resp: resp, cost: p.Cost(mname, resp.TokensIn, resp.TokensOut)})
}

// listen reads the next events of run gen: it waits for one, then takes
// whatever else has arrived meanwhile (re-armed after each message).
func listen(to common.To, gen int, ch <-chan event) tea.Cmd {
	return func() tea.Msg {
		e, ok := <-ch
		if !ok {
			return eventsMsg{To: to, gen: gen, closed: true}
		}
		batch := []event{e}
		for len(batch) < maxBatch {
			select {
			case e, ok := <-ch:
				if !ok {
					return eventsMsg{To: to, gen: gen, events: batch, closed: true}
				}
				batch = append(batch, e)
			default:
				return eventsMsg{To: to, gen: gen, events: batch}
			}
		}
		return eventsMsg{To: to, gen: gen, events: batch}
	}
}
