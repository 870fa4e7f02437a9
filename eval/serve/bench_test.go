package serve

import (
	"fmt"
	"net/http"
	"strings"
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
				b.Fatal(err)
			}
			resp.Body.Close()
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
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
