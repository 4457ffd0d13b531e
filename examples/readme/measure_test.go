package main

import (
	"context"
	"errors"
	"testing"

	"github.com/golocust/locust"
	"github.com/stretchr/testify/require"
)

// userService stands for a generated gRPC client.
type userService struct{ down bool }

type getUserRequest struct{ ID int }

func (s userService) GetUser(ctx context.Context, req *getUserRequest) (string, error) {
	if s.down {
		return "", errors.New("unavailable")
	}
	return "demo", nil
}

// The README's "Recording any protocol": a success and a failure.
func TestREADMEMeasure(t *testing.T) {
	st := locust.NewStats("")
	ctx := locust.ContextWithStats(context.Background(), st) // a task's ctx already has it
	req := &getUserRequest{ID: 7}
	for _, client := range []userService{{}, {down: true}} {
		// From the README:
		err := locust.Measure(ctx, "grpc", "GetUser", func(ctx context.Context) error {
			_, err := client.GetUser(ctx, req)
			return err // non-nil: a failure with this error text
		})
		require.Equal(t, client.down, err != nil)
	}
	s := st.Snapshot()
	require.Equal(t, int64(2), s.Total.Requests)
	require.Equal(t, int64(1), s.Total.Failures)
	require.Equal(t, "unavailable", s.Failures[0].Error)
}
