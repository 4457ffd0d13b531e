package locust_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/golocust/locust/history"
)

// In a distributed run the master saves the cluster's merged view, once
// (workers started with the same --history never write), with the
// workers as its nodes and the totals the server counted.
func TestHistoryDistributedMasterSavesOnce(t *testing.T) {
	bin := distBuild(t)
	target := newDistTarget(t)
	db := filepath.Join(t.TempDir(), "h.db")
	_, _, stderr, exited := distProc(t, bin, nil, "--headless", "--processes", "2", "-u", "4", "-r", "100", "-t", "2s", "-s", "5s",
		"-H", target.URL, "--report-interval", "0.2", "--history", db, "--label", "mode=dist", "Hitter")
	select {
	case <-exited:
	case <-time.After(40 * time.Second):
		t.Fatal("the master did not end")
	}
	s := histOpen(t, db)
	list, err := s.List(context.Background(), history.Filter{})
	if err != nil || len(list) != 1 {
		t.Fatalf("%d runs (%v), want exactly one (the master's); stderr:\n%s", len(list), err, stderr.String())
	}
	run, err := s.Get(context.Background(), list[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if run.Requests == 0 || run.Requests != target.hits.Load() || len(run.Nodes) != 2 || len(run.Workers) != 2 ||
		run.Nodes[0] == "local" || run.Labels["mode"] != "dist" || run.Status != history.Finished {
		t.Errorf("saved run: requests %d (server %d), nodes %v, workers %v, labels %v, status %s",
			run.Requests, target.hits.Load(), run.Nodes, run.Workers, run.Labels, run.Status)
	}
}
