//go:build linux

package locust_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/golocust/locust"
)

func netnsRun(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		t.Fatalf("ip %v: %v\n%s", args, err, out)
	}
}

// netnsListen opens a TCP listener on the loopback of network namespace
// ns: the socket stays in that namespace after the thread switches back.
func netnsListen(t *testing.T, ns string) net.Listener {
	t.Helper()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	self, err := os.Open(fmt.Sprintf("/proc/self/task/%d/ns/net", syscall.Gettid()))
	if err != nil {
		t.Fatal(err)
	}
	defer self.Close()
	target, err := os.Open("/var/run/netns/" + ns)
	if err != nil {
		t.Fatal(err)
	}
	defer target.Close()
	setns := func(fd uintptr) {
		if err := unix.Setns(int(fd), unix.CLONE_NEWNET); err != nil {
			t.Fatalf("setns: %v", err)
		}
	}
	setns(target.Fd())
	ln, lerr := net.Listen("tcp", "127.0.0.1:0")
	setns(self.Fd())
	if lerr != nil {
		t.Fatal(lerr)
	}
	return ln
}

// TestDistPartition puts two worker processes in their own network
// namespace, joined to the master by a veth pair; the link is cut long
// enough for the master to mark them missing, then restored: the workers
// reconnect, re-send the reports the master never acknowledged, and the
// master's totals still equal the server's count exactly.
func TestDistPartition(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to create network namespaces (ip netns); skipped")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs the ip command (iproute2); skipped")
	}
	bin := distBuild(t)
	var rb [3]byte
	_, _ = rand.Read(rb[:])
	id := hex.EncodeToString(rb[:])
	ns, vm, vw := "glns"+id, "glm"+id, "glw"+id
	subnet := fmt.Sprintf("10.213.%d", 1+int(rb[0])%250)
	netnsRun(t, "netns", "add", ns)
	t.Cleanup(func() {
		_ = exec.Command("ip", "netns", "del", ns).Run()
		_ = exec.Command("ip", "link", "del", vm).Run()
	})
	netnsRun(t, "link", "add", vm, "type", "veth", "peer", "name", vw)
	netnsRun(t, "link", "set", vw, "netns", ns)
	netnsRun(t, "addr", "add", subnet+".1/24", "dev", vm)
	netnsRun(t, "link", "set", vm, "up")
	netnsRun(t, "netns", "exec", ns, "ip", "addr", "add", subnet+".2/24", "dev", vw)
	netnsRun(t, "netns", "exec", ns, "ip", "link", "set", vw, "up")
	netnsRun(t, "netns", "exec", ns, "ip", "link", "set", "lo", "up")

	// The target runs on the workers' own loopback.
	target := &distTarget{}
	target.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		target.hits.Add(1)
		_, _ = w.Write([]byte("ok"))
	}))
	target.Listener = netnsListen(t, ns)
	target.Start()
	t.Cleanup(target.Close)

	ln, err := net.Listen("tcp", subnet+".1:0")
	if err != nil {
		t.Fatal(err)
	}
	const token = "partition-test-token"
	m, err := locust.NewMasterRunner(locust.Config{Classes: []locust.UserClass{distHitClass()}, Host: target.URL, StopTimeout: 5 * time.Second},
		locust.MasterOptions{Listener: ln, Token: token})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = m.Quit(ctx)
	})
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	for range 2 {
		distProc(t, "ip", nil, "netns", "exec", ns, bin, "--worker", "--master-host", subnet+".1", "--master-port", port,
			"--cluster-token", token, "--allow-insecure-token", "--report-interval", "0.2", "--master-lost-timeout", "30s", "Hitter")
	}
	distWaitWorkers(t, m, 2)
	if err := m.Start(4, 100); err != nil {
		t.Fatal(err)
	}
	distWaitFor(t, "4 users", 10*time.Second, func() bool { return m.UserCount() == 4 })
	time.Sleep(time.Second)

	netnsRun(t, "link", "set", vm, "down")
	distWaitFor(t, "both workers missing", 10*time.Second, func() bool { return m.LiveWorkers() == 0 })
	during := target.hits.Load()
	time.Sleep(time.Second)
	if target.hits.Load() == during {
		t.Fatal("the workers stopped their load during a short partition")
	}
	netnsRun(t, "link", "set", vm, "up")
	distWaitFor(t, "both workers back", 20*time.Second, func() bool { return m.LiveWorkers() == 2 && m.UserCount() == 4 })
	time.Sleep(time.Second)
	distStop(t, m)
	if got, want := m.Snapshot().Total.Requests, target.hits.Load(); got != want {
		t.Fatalf("after the partition the master counted %d requests, the server %d", got, want)
	}
}
