package serve

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/seed94f0f622/verso/store"
)

// TestOpenTelemetrySDKExporter is the README's OpenTelemetry example: an
// application instrumented with the OpenTelemetry Go SDK exports its model
// call spans over OTLP/HTTP to `verso serve`, and they show up in the stats.
func TestOpenTelemetrySDKExporter(t *testing.T) {
	st := fixture(t)
	base, _ := start(t, st, Options{})
	ctx := context.Background()

	// README: OpenTelemetry
	exporter, err := otlptracehttp.New(ctx,
		otlptracehttp.WithEndpointURL(base+"/v1/traces"), // verso serve's OTLP/HTTP receiver
	)
	if err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exporter))
	tracer := tp.Tracer("my-app")

	_, span := tracer.Start(ctx, "chat gpt-4o-mini")
	span.SetAttributes(
		attribute.String("gen_ai.request.model", "gpt-4o-mini"),
		attribute.Int("gen_ai.usage.input_tokens", 120),
		attribute.Int("gen_ai.usage.output_tokens", 48),
		attribute.String("verso.prompt.name", "greet"),
		attribute.Int("verso.prompt.version", 1),
		attribute.String("verso.prompt.label", "production"),
	)
	// ... call the model; on failure: span.SetStatus(codes.Error, "rate limited")
	span.End()

	tp.Shutdown(ctx) // flushes the batch
	// README: end

	_ = codes.Error
	rep, err := st.Stats(ctx, store.StatsQuery{Prompt: "greet", Since: time.Now().Add(-time.Hour), By: "label"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Total.Requests != 1 || rep.Total.TokensIn != 120 || rep.Total.TokensOut != 48 || len(rep.Groups) != 1 || rep.Groups[0].Key != "production" {
		t.Fatalf("%+v %+v", rep.Total, rep.Groups)
	}
}
