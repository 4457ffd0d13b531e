package locust

// The master's side of the web UI bridge (webui_bridge.go): its workers
// for the Workers tab and the target host the start form may change.

import "github.com/golocust/locust/webui"

// webuiWorkers returns the master's workers as the web UI's Workers tab
// shows them: id, state, users, CPU, memory and last heartbeat, by index.
func (r *MasterRunner) webuiWorkers() []webui.WorkerView {
	ws := r.m.Workers()
	out := make([]webui.WorkerView, len(ws))
	for i, w := range ws {
		out[i] = webui.WorkerView{ID: w.ID, State: w.State, UserCount: w.Users, CPUUsage: outputFinite(w.CPU),
			MemoryUsage: int64(min(w.Memory, 1<<62)), LastHeartbeat: webuiUnix(w.LastSeen)}
	}
	return out
}

// webuiHost returns the host the next test sends to the workers.
func (r *MasterRunner) webuiHost() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cfg.Host
}

// webuiSetHost sets the host of the next test: the bridge calls it only
// while no test runs, and a test's targets read it under the same lock
// when the test starts (or after, in the goroutine the start begins).
func (r *MasterRunner) webuiSetHost(host string) {
	r.mu.Lock()
	r.cfg.Host = host
	r.mu.Unlock()
}

// webuiSetOptions sets the program options (Program.Flags) the workers
// get with the next test: the bridge calls it only while no test runs.
func (r *MasterRunner) webuiSetOptions(vals map[string]string) {
	r.options.Store(&vals)
}
