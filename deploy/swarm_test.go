//go:build linux

package deploy_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// docker runs the docker CLI and returns its trimmed standard output.
func docker(ctx context.Context, env []string, args ...string) (string, error) {
	c := exec.CommandContext(ctx, "docker", args...)
	if env != nil {
		c.Env = append(os.Environ(), env...)
	}
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	if err := c.Run(); err != nil {
		return out.String(), fmt.Errorf("docker %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(errb.String()))
	}
	return strings.TrimSpace(out.String()), nil
}

// requireDocker skips the test when this machine cannot run containers,
// and fails it instead when LOCUST_REQUIRE_DOCKER=1 (.ci/run sets it).
func requireDocker(t *testing.T) {
	t.Helper()
	why := ""
	if _, err := exec.LookPath("docker"); err != nil {
		why = "the docker command is not installed (apt-get install docker.io)"
	} else {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if _, err := docker(ctx, nil, "info", "--format", "{{.ServerVersion}}"); err != nil {
			why = "the Docker engine does not answer (start dockerd): " + err.Error()
		}
	}
	if why == "" {
		return
	}
	if os.Getenv("LOCUST_REQUIRE_DOCKER") == "1" {
		t.Fatalf("LOCUST_REQUIRE_DOCKER=1 but %s", why)
	}
	t.Skipf("cannot run containers here: %s", why)
}

// freePort returns a port free on 127.0.0.1 now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// swarmView is what the test reads of the master's GET /stats/requests.
type swarmView struct {
	State       string `json:"state"`
	UserCount   int    `json:"user_count"`
	WorkerCount int    `json:"worker_count"`
	Stats       []struct {
		Name        string `json:"name"`
		NumRequests int64  `json:"num_requests"`
	} `json:"stats"`
}

func (v swarmView) total() int64 {
	for _, e := range v.Stats {
		if e.Name == "Aggregated" {
			return e.NumRequests
		}
	}
	return -1
}

// TestSwarmStack deploys deploy/swarm/stack.test.yml on the local Docker
// engine (a single-node swarm on 127.0.0.1, host networking so that all
// traffic stays on loopback): a master behind web credentials and two
// workers authenticating with a cluster token from a Docker secret run
// against a counting target on this machine's loopback. During the run
// the workers are scaled from 2 to 4, one worker container is stopped
// with SIGTERM as an orchestrator does (swarm replaces it), and the
// service is scaled down to 3; the users are back to their number each
// time, and after the stop the master's total equals the target's count.
// Everything is removed afterwards, even on failure.
func TestSwarmStack(t *testing.T) {
	requireDocker(t)
	if testing.Short() {
		t.Skip("builds an image and runs a swarm; skipped with -short")
	}
	prefix := "golocust-swarmtest-" + randHex(4)
	image := prefix + ":latest"
	stack := strings.ReplaceAll(prefix, "-", "_")

	// The counting target, on loopback.
	var hits atomic.Int64
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = w.Write([]byte("ok"))
	}))
	defer target.Close()

	// The image of the test suite, built as users build theirs. The first
	// CGO_ENABLED=0 -trimpath build compiles the standard library again:
	// minutes on a busy machine.
	bctx, bcancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer bcancel()
	start := time.Now()
	build := exec.CommandContext(bctx, "deploy/build-image.sh", "./testdata/distbin", image)
	build.Dir = ".."
	// On timeout, kill the script and the go build it runs.
	build.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	build.Cancel = func() error { return syscall.Kill(-build.Process.Pid, syscall.SIGKILL) }
	build.WaitDelay = 10 * time.Second
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("deploy/build-image.sh: %v\n%s", err, out)
	} else {
		t.Logf("%s (%v)", strings.TrimSpace(string(out)), time.Since(start).Round(time.Second))
	}
	t.Cleanup(func() { _, _ = docker(context.Background(), nil, "image", "rm", "-f", image) })
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	// Non-root, the suite as the entry point, /tmp the only volume.
	if cfg, err := docker(ctx, nil, "image", "inspect", "-f", "{{.Config.User}} {{json .Config.Entrypoint}} {{json .Config.Volumes}}", image); err != nil {
		t.Fatal(err)
	} else if want := `65532:65532 ["/loadtest"] {"/tmp":{}}`; cfg != want {
		t.Errorf("image config %s, want %s", cfg, want)
	}

	// A swarm of our own, unless one is active already (then it is left
	// as it was found).
	state, err := docker(ctx, nil, "info", "--format", "{{.Swarm.LocalNodeState}}")
	if err != nil {
		t.Fatal(err)
	}
	if state != "active" {
		if _, err := docker(ctx, nil, "swarm", "init", "--advertise-addr", "127.0.0.1", "--listen-addr", "127.0.0.1:"+strconv.Itoa(freePort(t))); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if _, err := docker(context.Background(), nil, "swarm", "leave", "--force"); err != nil {
				t.Errorf("leaving the swarm: %v", err)
			}
		})
	}

	// The secrets.
	token, user, pass := randHex(16), "admin", randHex(8)
	tokenSecret, authSecret := prefix+"-token", prefix+"-auth"
	for name, value := range map[string]string{tokenSecret: token, authSecret: user + ":" + pass} {
		c := exec.CommandContext(ctx, "docker", "secret", "create", name, "-")
		c.Stdin = strings.NewReader(value + "\n")
		if out, err := c.CombinedOutput(); err != nil {
			t.Fatalf("docker secret create %s: %v\n%s", name, err, out)
		}
		t.Cleanup(func() { _, _ = docker(context.Background(), nil, "secret", "rm", name) })
	}

	// The stack.
	masterPort, webPort := freePort(t), freePort(t)
	const users = 8
	env := []string{
		"GOLOCUST_IMAGE=" + image, "GOLOCUST_TARGET=" + target.URL,
		"GOLOCUST_MASTER_PORT=" + strconv.Itoa(masterPort), "GOLOCUST_WEB_PORT=" + strconv.Itoa(webPort),
		"GOLOCUST_TOKEN_SECRET=" + tokenSecret, "GOLOCUST_AUTH_SECRET=" + authSecret,
		"GOLOCUST_USERS=" + strconv.Itoa(users),
	}
	t.Cleanup(func() { swarmRemoveStack(t, stack) })
	if _, err := docker(ctx, env, "stack", "deploy", "--resolve-image", "never", "-c", "swarm/stack.test.yml", stack); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if t.Failed() {
			for _, svc := range []string{"master", "worker"} {
				logs, _ := docker(context.Background(), nil, "service", "logs", "--raw", stack+"_"+svc)
				t.Logf("%s logs:\n%s", svc, logs)
			}
		}
	}()

	web := "http://127.0.0.1:" + strconv.Itoa(webPort)
	view := func() (swarmView, error) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, web+"/stats/requests", nil)
		req.SetBasicAuth(user, pass)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return swarmView{}, err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return swarmView{}, fmt.Errorf("GET /stats/requests: %s", resp.Status)
		}
		var v swarmView
		return v, json.NewDecoder(resp.Body).Decode(&v)
	}
	waitFor := func(what string, d time.Duration, cond func(v swarmView) bool) swarmView {
		t.Helper()
		deadline := time.Now().Add(d)
		var last swarmView
		var lastErr error
		for time.Now().Before(deadline) {
			if last, lastErr = view(); lastErr == nil && cond(last) {
				return last
			}
			time.Sleep(200 * time.Millisecond)
		}
		t.Fatalf("timed out after %v waiting for %s; last view %+v, error %v", d, what, last, lastErr)
		return last
	}

	// The UI is behind the credentials, its health endpoints are not.
	waitFor("the master's web UI", 60*time.Second, func(swarmView) bool { return true })
	if resp, err := http.Get(web + "/stats/requests"); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET /stats/requests without credentials: %v %v, want 401", resp.Status, err)
	}
	if resp, err := http.Get(web + "/readyz"); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("GET /readyz: %v, want 200", err)
	}

	waitFor("2 workers running the users", 60*time.Second, func(v swarmView) bool {
		return v.WorkerCount == 2 && v.UserCount == users && v.State == "running" && hits.Load() > 0
	})
	if _, err := docker(ctx, nil, "service", "scale", "--detach", stack+"_worker=4"); err != nil {
		t.Fatal(err)
	}
	waitFor("4 workers and every user", 60*time.Second, func(v swarmView) bool { return v.WorkerCount == 4 && v.UserCount == users })

	// Stop one worker container as an orchestrator does; swarm replaces
	// it and the users come back.
	ids, err := docker(ctx, nil, "ps", "-q", "--filter", "label=com.docker.swarm.service.name="+stack+"_worker")
	if err != nil || ids == "" {
		t.Fatalf("worker containers: %q %v", ids, err)
	}
	victim := strings.Fields(ids)[0]
	before := hits.Load()
	if _, err := docker(ctx, nil, "kill", "--signal", "TERM", victim); err != nil {
		t.Fatal(err)
	}
	waitFor("the stopped worker to leave", 30*time.Second, func(v swarmView) bool { return v.WorkerCount < 4 })
	waitFor("a replacement worker and every user", 60*time.Second, func(v swarmView) bool {
		return v.WorkerCount == 4 && v.UserCount == users && hits.Load() > before
	})
	if _, err := docker(ctx, nil, "service", "scale", "--detach", stack+"_worker=3"); err != nil {
		t.Fatal(err)
	}
	waitFor("3 workers and every user", 60*time.Second, func(v swarmView) bool { return v.WorkerCount == 3 && v.UserCount == users })

	// Stop the test; the stop timeout lets requests in flight finish.
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, web+"/stop", nil)
	req.SetBasicAuth(user, pass)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /stop: %s", resp.Status)
	}
	waitFor("the stop", 30*time.Second, func(v swarmView) bool { return v.State == "stopped" })
	// The workers' final reports arrive with or just after their stopped
	// messages: wait for the totals to settle, then compare.
	deadline := time.Now().Add(10 * time.Second)
	var got int64
	for {
		v, err := view()
		if err != nil {
			t.Fatal(err)
		}
		if got = v.total(); got == hits.Load() || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if sent := hits.Load(); got <= 0 || got != sent {
		t.Errorf("the master counted %d requests, the target %d", got, sent)
	} else {
		t.Logf("%d requests, counted exactly", got)
	}
}

// swarmRemoveStack removes the stack and waits until its containers are
// gone (secrets in use cannot be removed before).
func swarmRemoveStack(t *testing.T, stack string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := docker(ctx, nil, "stack", "rm", stack); err != nil {
		t.Errorf("docker stack rm: %v", err)
	}
	for ctx.Err() == nil {
		out, err := docker(ctx, nil, "ps", "-aq", "--filter", "label=com.docker.stack.namespace="+stack)
		if err == nil && out == "" {
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Errorf("the containers of stack %s were not removed within a minute", stack)
}
