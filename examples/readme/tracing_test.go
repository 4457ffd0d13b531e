package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/golocust/locust"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

type tracedUser struct{ locust.HTTPUser }

// docs/metrics.md's "Tracing: a span per request" from Go: one span per
// request, and the target sees each one's traceparent.
func TestDocsTracing(t *testing.T) {
	var withParent atomic.Int64
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("traceparent") != "" {
			withParent.Add(1)
		}
	}))
	defer target.Close()
	classes := []locust.UserClass{&locust.Class[*tracedUser]{Name: "Traced", Host: target.URL,
		New: func() *tracedUser { return &tracedUser{} },
		Tasks: []locust.Task[*tracedUser]{{Name: "home", Weight: 1, Fn: func(u *tracedUser, ctx context.Context) error {
			return u.Client.Get(ctx, "/").Err
		}}}}}
	exporter := tracetest.NewInMemoryExporter()
	ctx := t.Context()

	// From docs/metrics.md:
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exporter))
	defer tp.Shutdown(context.Background())
	res, err := locust.RunTest(ctx, locust.Config{Classes: classes, Users: 10, SpawnRate: 100,
		Iterations: 200, Tracing: &locust.Tracing{Provider: tp}})

	require.NoError(t, err)
	require.NoError(t, tp.ForceFlush(ctx))
	require.Equal(t, int64(200), res.Stats.Total.Requests)
	require.Equal(t, int64(200), withParent.Load())
	require.Len(t, exporter.GetSpans(), 200)
}
