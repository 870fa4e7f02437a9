package serve

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/seed94f0f622/verso/internal/pgtest"
	"github.com/seed94f0f622/verso/store"
)

// BenchmarkGetPrompt: GET /v1/prompts/greet over loopback HTTP, 4 clients
// per core.
func BenchmarkGetPrompt(b *testing.B) {
	base, _ := start(b, fixture(b), Options{})
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	c := &http.Client{Transport: tr}
	b.SetParallelism(4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := c.Get(base + "/v1/prompts/greet")
			if err != nil || resp.StatusCode != 200 {
				b.Error(err)
				return
			}
			// Read as a client does: the body, and the connection reused.
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// BenchmarkGetPromptUnit: GET /v1/prompts/greet?unit=KEY over loopback
// HTTP, 4 clients per core, each request a new unit, on a split label
// (what it gives is cached until the file changes) and on a label under a
// rollout (read from the file on every request, so that an abort takes
// effect at once).
func BenchmarkGetPromptUnit(b *testing.B) {
	for _, c := range []struct {
		name string
		set  func(*store.Store) error
	}{
		{"split", func(st *store.Store) error {
			sp, err := store.ParseSplit("1=75,2=25")
			if err == nil {
				_, err = st.SetLabel(context.Background(), store.LabelInput{Prompt: "greet", Label: "production", Split: &sp, Force: true, Reason: "bench"})
			}
			return err
		}},
		{"rollout", func(st *store.Store) error {
			_, err := st.StartRollout(context.Background(), store.RolloutInput{Prompt: "greet", To: 2, Force: true, Reason: "bench"})
			return err
		}},
	} {
		b.Run(c.name, func(b *testing.B) {
			st := fixture(b)
			if err := c.set(st); err != nil {
				b.Fatal(err)
			}
			base, _ := start(b, st, Options{})
			tr := &http.Transport{MaxIdleConnsPerHost: 64}
			cl := &http.Client{Transport: tr}
			var next atomic.Int64
			b.SetParallelism(4)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					resp, err := cl.Get(base + "/v1/prompts/greet?unit=user-" + strconv.FormatInt(next.Add(1), 10))
					if err != nil || resp.StatusCode != 200 {
						b.Fatal(err)
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
		})
	}
}

// BenchmarkPostEvents: NDJSON batches of 1,000 events over loopback HTTP.
func BenchmarkPostEvents(b *testing.B) { postEvents(b, fixture(b)) }

// BenchmarkPostEventsSideBySide: BenchmarkPostEvents on a SQLite file and
// on PostgreSQL in one run (target on PostgreSQL: >= 30,000 events/s on 2
// cores); the postgres half is skipped without a server
// ($VERSO_TEST_POSTGRES, see internal/pgtest).
func BenchmarkPostEventsSideBySide(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) {
		b.Setenv(pgtest.BackendEnv, "sqlite")
		postEvents(b, fixture(b))
	})
	b.Run("postgres", func(b *testing.B) {
		pgtest.Admin(b)
		b.Setenv(pgtest.BackendEnv, "postgres")
		postEvents(b, fixture(b))
	})
}

func postEvents(b *testing.B, st *store.Store) {
	base, _ := start(b, st, Options{})
	t0 := time.Now().Add(-time.Hour).UTC()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var sb strings.Builder
		for j := range 1000 {
			k := i*1000 + j
			fmt.Fprintf(&sb, `{"id":"b%d","prompt":"greet","version":%d,"label":"production","model":"gpt-4o-mini","time":%q,"latency_ms":%d,"tokens_in":300,"tokens_out":90,"cost":0.0002}`+"\n",
				k, 1+k%2, t0.Add(time.Duration(k)*time.Millisecond).Format(time.RFC3339Nano), 100+k%700)
		}
		resp, err := http.Post(base+"/v1/events", "application/x-ndjson", strings.NewReader(sb.String()))
		if err != nil || resp.StatusCode != 200 {
			b.Fatal(err, resp.StatusCode)
		}
		resp.Body.Close()
	}
	b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkPostTraces: OTLP protobuf exports of 1,000 spans.
func BenchmarkPostTraces(b *testing.B) {
	base, _ := start(b, fixture(b), Options{})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		req := traceRequest(time.Now().Add(-time.Minute), 1000)
		for j, sp := range req.ResourceSpans[0].ScopeSpans[0].Spans {
			sp.TraceId = []byte(fmt.Sprintf("t%07d-%08d", i, j))
		}
		body, _ := proto.Marshal(req)
		b.StartTimer()
		resp, err := http.Post(base+"/v1/traces", "application/x-protobuf", strings.NewReader(string(body)))
		if err != nil || resp.StatusCode != 200 {
			b.Fatal(err)
		}
		resp.Body.Close()
	}
	b.ReportMetric(float64(b.N*1002)/b.Elapsed().Seconds(), "spans/s")
}

// BenchmarkPostEventsParallel: what TestLoadWithWrk does, in process: 4
// clients post the same NDJSON body of 1,000 events without ids (each
// stored anew) over loopback HTTP.
func BenchmarkPostEventsParallel(b *testing.B) {
	base, _ := start(b, fixture(b), Options{})
	var sb strings.Builder
	at := time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)
	for i := range 1000 {
		fmt.Fprintf(&sb, `{"prompt":"greet","version":%d,"label":"production","model":"gpt-4o-mini","time":%q,"latency_ms":%d,"tokens_in":300,"tokens_out":90,"cost":0.0002}`+"\n",
			1+i%2, at, 100+i%700)
	}
	body := sb.String()
	c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
	b.SetParallelism(2) // 4 clients on 2 cores
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := c.Post(base+"/v1/events", "application/x-ndjson", strings.NewReader(body))
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "events/s")
}
