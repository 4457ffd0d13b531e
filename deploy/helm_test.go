package deploy_test

import (
	"bytes"
	"fmt"
	"os"
	"path"
	"slices"
	"sort"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"sigs.k8s.io/yaml"
)

const chartDir = "helm/golocust"

// manifestsFile holds the chart rendered with its default values, for
// kubectl apply without Helm (TestManifestsMatchChart keeps it current).
const manifestsFile = "kubernetes/golocust.yaml"

// render renders the chart with values (YAML, over the chart's defaults)
// as Helm install would, and returns the documents in template order.
func render(t *testing.T, release, values string) ([]string, error) {
	t.Helper()
	ch, err := loader.Load(chartDir)
	if err != nil {
		t.Fatal(err)
	}
	vals, err := chartutil.ReadValues([]byte(values))
	if err != nil {
		t.Fatal(err)
	}
	caps := chartutil.DefaultCapabilities.Copy()
	caps.APIVersions = append(caps.APIVersions, "monitoring.coreos.com/v1")
	rv, err := chartutil.ToRenderValues(ch, vals, chartutil.ReleaseOptions{Name: release, Namespace: "default", IsInstall: true, Revision: 1}, caps)
	if err != nil {
		t.Fatal(err)
	}
	out, err := engine.Render(ch, rv)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(out))
	for n := range out {
		if strings.HasSuffix(n, ".yaml") {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	var docs []string
	for _, n := range names {
		for _, d := range strings.Split("\n"+out[n], "\n---\n") {
			if strings.TrimSpace(stripComments(d)) != "" {
				docs = append(docs, "# Source: "+n+"\n"+strings.TrimSpace(d)+"\n")
			}
		}
	}
	return docs, nil
}

func stripComments(doc string) string {
	var b strings.Builder
	for _, l := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "#") {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

// serviceMonitor is the part of the Prometheus Operator's type the chart
// renders (its Go types would pull the operator in).
type serviceMonitor struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Metadata   map[string]any    `json:"metadata"`
	Spec       serviceMonitorSpc `json:"spec"`
}

type serviceMonitorSpc struct {
	Selector  map[string]any `json:"selector"`
	Endpoints []struct {
		Port      string         `json:"port"`
		Path      string         `json:"path"`
		Interval  string         `json:"interval"`
		BasicAuth map[string]any `json:"basicAuth,omitempty"`
	} `json:"endpoints"`
}

// objects are the rendered objects by kind and name.
type objects struct {
	deployments map[string]*appsv1.Deployment
	jobs        map[string]*batchv1.Job
	services    map[string]*corev1.Service
	configMaps  map[string]*corev1.ConfigMap
	hpas        map[string]*autoscalingv2.HorizontalPodAutoscaler
	pdbs        map[string]*policyv1.PodDisruptionBudget
	netpols     map[string]*networkingv1.NetworkPolicy
	monitors    map[string]*serviceMonitor
}

// decode decodes every document strictly into its Kubernetes API type:
// an unknown or misspelt field, or an unknown kind, fails the test.
func decode(t *testing.T, docs []string) *objects {
	t.Helper()
	o := &objects{map[string]*appsv1.Deployment{}, map[string]*batchv1.Job{}, map[string]*corev1.Service{},
		map[string]*corev1.ConfigMap{}, map[string]*autoscalingv2.HorizontalPodAutoscaler{},
		map[string]*policyv1.PodDisruptionBudget{}, map[string]*networkingv1.NetworkPolicy{}, map[string]*serviceMonitor{}}
	for _, d := range docs {
		var tm struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Metadata   struct {
				Name string `json:"name"`
			} `json:"metadata"`
		}
		if err := yaml.Unmarshal([]byte(d), &tm); err != nil {
			t.Fatalf("not YAML: %v\n%s", err, d)
		}
		var obj any
		switch tm.APIVersion + " " + tm.Kind {
		case "apps/v1 Deployment":
			obj = put(o.deployments, tm.Metadata.Name)
		case "batch/v1 Job":
			obj = put(o.jobs, tm.Metadata.Name)
		case "v1 Service":
			obj = put(o.services, tm.Metadata.Name)
		case "v1 ConfigMap":
			obj = put(o.configMaps, tm.Metadata.Name)
		case "autoscaling/v2 HorizontalPodAutoscaler":
			obj = put(o.hpas, tm.Metadata.Name)
		case "policy/v1 PodDisruptionBudget":
			obj = put(o.pdbs, tm.Metadata.Name)
		case "networking.k8s.io/v1 NetworkPolicy":
			obj = put(o.netpols, tm.Metadata.Name)
		case "monitoring.coreos.com/v1 ServiceMonitor":
			obj = put(o.monitors, tm.Metadata.Name)
		default:
			t.Fatalf("unexpected object %s %s:\n%s", tm.APIVersion, tm.Kind, d)
		}
		if err := yaml.UnmarshalStrict([]byte(d), obj); err != nil {
			t.Fatalf("%s %s does not decode strictly: %v\n%s", tm.Kind, tm.Metadata.Name, err, d)
		}
	}
	return o
}

func put[T any](m map[string]*T, name string) *T {
	v := new(T)
	m[name] = v
	return v
}

func (o *objects) count() int {
	return len(o.deployments) + len(o.jobs) + len(o.services) + len(o.configMaps) + len(o.hpas) + len(o.pdbs) + len(o.netpols) + len(o.monitors)
}

func envOf(c corev1.Container) map[string]corev1.EnvVar {
	m := map[string]corev1.EnvVar{}
	for _, e := range c.Env {
		m[e.Name] = e
	}
	return m
}

// checkPod asserts what every pod of the chart must have: pod security,
// probes on the health endpoints, GOMAXPROCS and GOMEMLIMIT from the
// limits, /tmp as an emptyDir and the token from its Secret as a file.
func checkPod(t *testing.T, what string, spec corev1.PodSpec, tokenSecret string, memLimitBytes int64) {
	t.Helper()
	if spec.AutomountServiceAccountToken == nil || *spec.AutomountServiceAccountToken {
		t.Errorf("%s: automountServiceAccountToken is not false", what)
	}
	psc := spec.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser == 0 ||
		psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("%s: pod security context %+v", what, psc)
	}
	if len(spec.Containers) != 1 {
		t.Fatalf("%s: %d containers, want 1", what, len(spec.Containers))
	}
	c := spec.Containers[0]
	sc := c.SecurityContext
	if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem || sc.AllowPrivilegeEscalation == nil ||
		*sc.AllowPrivilegeEscalation || sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) ||
		len(sc.Capabilities.Add) != 0 || sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault ||
		sc.Privileged == nil || *sc.Privileged {
		t.Errorf("%s: container security context %+v", what, sc)
	}
	ports := map[string]bool{}
	for _, p := range c.Ports {
		ports[p.Name] = true
	}
	for probe, p := range map[string]*corev1.Probe{"/healthz": c.LivenessProbe, "/readyz": c.ReadinessProbe} {
		if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != probe || !ports[p.HTTPGet.Port.StrVal] {
			t.Errorf("%s: probe %s is %+v (ports %v)", what, probe, p, ports)
		}
	}
	env := envOf(c)
	if c.Resources.Limits.Cpu().IsZero() {
		if _, ok := env["GOMAXPROCS"]; ok {
			t.Errorf("%s: GOMAXPROCS without a CPU limit", what)
		}
	} else if e := env["GOMAXPROCS"]; e.ValueFrom == nil || e.ValueFrom.ResourceFieldRef == nil || e.ValueFrom.ResourceFieldRef.Resource != "limits.cpu" {
		t.Errorf("%s: GOMAXPROCS is %+v, want limits.cpu", what, e)
	}
	if memLimitBytes == 0 {
		if _, ok := env["GOMEMLIMIT"]; ok {
			t.Errorf("%s: GOMEMLIMIT without a memory limit", what)
		}
	} else if got, want := env["GOMEMLIMIT"].Value, fmt.Sprint(memLimitBytes*90/100); got != want {
		t.Errorf("%s: GOMEMLIMIT %q, want %q (90%% of %d)", what, got, want, memLimitBytes)
	}
	vols := map[string]corev1.Volume{}
	for _, v := range spec.Volumes {
		vols[v.Name] = v
	}
	mounts := map[string]corev1.VolumeMount{}
	for _, m := range c.VolumeMounts {
		mounts[m.MountPath] = m
		if _, ok := vols[m.Name]; !ok {
			t.Errorf("%s: mount %s of unknown volume %s", what, m.MountPath, m.Name)
		}
	}
	if m, ok := mounts["/tmp"]; !ok || vols[m.Name].EmptyDir == nil {
		t.Errorf("%s: /tmp is not an emptyDir", what)
	}
	tokenFile := env["LOCUST_CLUSTER_TOKEN_FILE"].Value
	m, ok := mounts[path.Dir(tokenFile)]
	if !ok || vols[m.Name].Secret == nil || vols[m.Name].Secret.SecretName != tokenSecret {
		t.Errorf("%s: LOCUST_CLUSTER_TOKEN_FILE %q is not in a mount of Secret %s", what, tokenFile, tokenSecret)
	}
}

const mi = 1 << 20

func TestChartDefaults(t *testing.T) {
	docs, err := render(t, "lt", "")
	if err != nil {
		t.Fatal(err)
	}
	o := decode(t, docs)
	master, worker := o.deployments["lt-golocust-master"], o.deployments["lt-golocust-worker"]
	if master == nil || worker == nil || o.count() != 7 || len(o.services) != 1 || len(o.pdbs) != 2 || len(o.netpols) != 2 {
		t.Fatalf("objects: %d deployments %v, %d in all", len(o.deployments), keys(o.deployments), o.count())
	}
	checkPod(t, "master", master.Spec.Template.Spec, "golocust-cluster-token", 512*mi)
	checkPod(t, "worker", worker.Spec.Template.Spec, "golocust-cluster-token", 512*mi)
	if master.Spec.Strategy.Type != appsv1.RecreateDeploymentStrategyType || *master.Spec.Replicas != 1 {
		t.Errorf("master strategy %v replicas %d", master.Spec.Strategy.Type, *master.Spec.Replicas)
	}
	if *worker.Spec.Replicas != 2 {
		t.Errorf("worker replicas %d", *worker.Spec.Replicas)
	}
	menv := envOf(master.Spec.Template.Spec.Containers[0])
	for k, v := range map[string]string{"LOCUST_MODE_MASTER": "true", "LOCUST_WEB_HOST": "*", "LOCUST_MASTER_BIND_HOST": "*",
		"LOCUST_WEB_AUTH_FILE": "/etc/golocust/secrets/web-auth/auth", "LOCUST_STOP_TIMEOUT": "10s"} {
		if menv[k].Value != v {
			t.Errorf("master %s = %q, want %q", k, menv[k].Value, v)
		}
	}
	if _, ok := menv["LOCUST_HOST"]; ok {
		t.Errorf("LOCUST_HOST set without a target")
	}
	wenv := envOf(worker.Spec.Template.Spec.Containers[0])
	for k, v := range map[string]string{"LOCUST_MODE_WORKER": "true", "LOCUST_MASTER_NODE_HOST": "lt-golocust-master",
		"LOCUST_MASTER_NODE_PORT": "5557", "LOCUST_HEALTH_PORT": "8090", "LOCUST_HEALTH_HOST": "*"} {
		if wenv[k].Value != v {
			t.Errorf("worker %s = %q, want %q", k, wenv[k].Value, v)
		}
	}
	if _, ok := wenv["LOCUST_WEB_AUTH_FILE"]; ok {
		t.Errorf("the workers get the web UI's credentials")
	}
	svc := o.services["lt-golocust-master"]
	if svc == nil || len(svc.Spec.Ports) != 2 || svc.Spec.Selector["app.kubernetes.io/component"] != "master" {
		t.Errorf("master service: %+v", svc)
	}
	// Only workers reach the cluster port; workers reach no target.
	mnp := o.netpols["lt-golocust-master"]
	if mnp == nil || len(mnp.Spec.Ingress) != 2 || mnp.Spec.Ingress[0].Ports[0].Port.IntVal != 5557 ||
		mnp.Spec.Ingress[0].From[0].PodSelector.MatchLabels["app.kubernetes.io/component"] != "worker" {
		t.Errorf("master network policy: %+v", mnp)
	}
	wnp := o.netpols["lt-golocust-worker"]
	if wnp == nil || !slices.Contains(wnp.Spec.PolicyTypes, networkingv1.PolicyTypeEgress) {
		t.Fatalf("worker network policy: %+v", wnp)
	}
	for _, e := range wnp.Spec.Egress {
		for _, p := range e.To {
			if p.IPBlock != nil {
				t.Errorf("workers may reach %s without targetCIDRs", p.IPBlock.CIDR)
			}
		}
	}
	if p := o.pdbs["lt-golocust-master"]; p == nil || p.Spec.MaxUnavailable.IntValue() != 0 {
		t.Errorf("master PDB: %+v", p)
	}
}

func TestChartJobMode(t *testing.T) {
	docs, err := render(t, "nightly", `
mode: job
target: https://staging.example
job: {runTime: 10m, users: 100, spawnRate: 10, activeDeadlineSeconds: 1200}
worker: {replicas: 3}
`)
	if err != nil {
		t.Fatal(err)
	}
	o := decode(t, docs)
	mj, wj := o.jobs["nightly-golocust-master"], o.jobs["nightly-golocust-worker"]
	if mj == nil || wj == nil || len(o.deployments) != 0 || len(o.hpas) != 0 || len(o.pdbs) != 0 {
		t.Fatalf("jobs %v deployments %v hpas %d pdbs %d", keys(o.jobs), keys(o.deployments), len(o.hpas), len(o.pdbs))
	}
	checkPod(t, "master job", mj.Spec.Template.Spec, "golocust-cluster-token", 512*mi)
	checkPod(t, "worker job", wj.Spec.Template.Spec, "golocust-cluster-token", 512*mi)
	// The verdict is the master's exit code: it runs once.
	if *mj.Spec.BackoffLimit != 0 || mj.Spec.Template.Spec.RestartPolicy != corev1.RestartPolicyNever || *mj.Spec.ActiveDeadlineSeconds != 1200 {
		t.Errorf("master job: backoffLimit %d restartPolicy %s", *mj.Spec.BackoffLimit, mj.Spec.Template.Spec.RestartPolicy)
	}
	if *wj.Spec.Parallelism != 3 || *wj.Spec.Completions != 3 || wj.Spec.Template.Spec.RestartPolicy != corev1.RestartPolicyOnFailure {
		t.Errorf("worker job: parallelism %d completions %d", *wj.Spec.Parallelism, *wj.Spec.Completions)
	}
	env := envOf(mj.Spec.Template.Spec.Containers[0])
	for k, v := range map[string]string{"LOCUST_HEADLESS": "true", "LOCUST_RUN_TIME": "10m", "LOCUST_USERS": "100", "LOCUST_SPAWN_RATE": "10",
		"LOCUST_EXPECT_WORKERS": "3", "LOCUST_HOST": "https://staging.example", "LOCUST_HEALTH_PORT": "8090", "LOCUST_HEALTH_HOST": "*"} {
		if env[k].Value != v {
			t.Errorf("master %s = %q, want %q", k, env[k].Value, v)
		}
	}
	for _, k := range []string{"LOCUST_WEB_AUTH_FILE", "LOCUST_WEB_HOST"} {
		if _, ok := env[k]; ok {
			t.Errorf("headless master has %s", k)
		}
	}
	if svc := o.services["nightly-golocust-master"]; svc == nil || len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Name != "cluster" {
		t.Errorf("master service in job mode: %+v", svc)
	}
}

func TestChartEverythingOn(t *testing.T) {
	docs, err := render(t, "golocust", `
target: http://shop.internal:8080
userClasses: [Shopper, Admin]
env: {LOCUST_USERS: 500, LOCUST_CSV: /tmp/run}
locustConf: |
  spawn-rate = 50
worker:
  autoscaling: {enabled: true, minReplicas: 3, maxReplicas: 30}
  resources: {limits: {cpu: "2", memory: 1Gi}}
networkPolicy:
  targetCIDRs: [10.20.0.0/16, 192.0.2.10/32]
  targetPorts: [8080]
serviceMonitor:
  enabled: true
  labels: {release: prom}
`)
	if err != nil {
		t.Fatal(err)
	}
	o := decode(t, docs)
	worker := o.deployments["golocust-worker"]
	if worker == nil || worker.Spec.Replicas != nil {
		t.Fatalf("worker deployment must leave replicas to the HPA: %+v", worker)
	}
	checkPod(t, "worker", worker.Spec.Template.Spec, "golocust-cluster-token", 1<<30)
	hpa := o.hpas["golocust-worker"]
	if hpa == nil || *hpa.Spec.MinReplicas != 3 || hpa.Spec.MaxReplicas != 30 || hpa.Spec.ScaleTargetRef.Name != "golocust-worker" {
		t.Errorf("hpa: %+v", hpa)
	}
	env := envOf(worker.Spec.Template.Spec.Containers[0])
	for k, v := range map[string]string{"LOCUST_USER_CLASSES": "Shopper Admin", "LOCUST_USERS": "500", "LOCUST_CSV": "/tmp/run", "LOCUST_CONFIG": "/etc/golocust/locust.conf"} {
		if env[k].Value != v {
			t.Errorf("worker %s = %q, want %q", k, env[k].Value, v)
		}
	}
	if cm := o.configMaps["golocust-config"]; cm == nil || cm.Data["locust.conf"] != "spawn-rate = 50\n" {
		t.Errorf("config map: %+v", cm)
	}
	var cidrs []string
	for _, e := range o.netpols["golocust-worker"].Spec.Egress {
		for _, p := range e.To {
			if p.IPBlock != nil {
				cidrs = append(cidrs, p.IPBlock.CIDR)
				if len(e.Ports) != 1 || e.Ports[0].Port.IntVal != 8080 {
					t.Errorf("target ports %+v", e.Ports)
				}
			}
		}
	}
	if !slices.Equal(cidrs, []string{"10.20.0.0/16", "192.0.2.10/32"}) {
		t.Errorf("worker egress CIDRs %v", cidrs)
	}
	sm := o.monitors["golocust-master"]
	if sm == nil || len(sm.Spec.Endpoints) != 1 || sm.Spec.Endpoints[0].Port != "web" || sm.Spec.Endpoints[0].Path != "/metrics" ||
		sm.Metadata["labels"].(map[string]any)["release"] != "prom" {
		t.Errorf("service monitor: %+v", sm)
	}
}

func TestChartOff(t *testing.T) {
	docs, err := render(t, "lt", `
networkPolicy: {enabled: false}
podDisruptionBudget: {enabled: false}
master: {resources: {limits: null}}
`)
	if err != nil {
		t.Fatal(err)
	}
	o := decode(t, docs)
	if len(o.netpols) != 0 || len(o.pdbs) != 0 || o.count() != 3 {
		t.Errorf("network policies %d, PDBs %d, objects %d", len(o.netpols), len(o.pdbs), o.count())
	}
	checkPod(t, "master", o.deployments["lt-golocust-master"].Spec.Template.Spec, "golocust-cluster-token", 0)
}

// TestChartErrors: bad values fail the rendering with a message naming
// the value.
func TestChartErrors(t *testing.T) {
	for _, tt := range []struct{ values, want string }{
		{"mode: batch", `mode must be distributed or job, got "batch"`},
		{"mode: job", "job.runTime is required in job mode"},
		{"worker: {replicas: 0}", "worker.replicas must be 1 or more, got 0"},
		{"clusterToken: {secretName: ''}", "clusterToken.secretName is required"},
		{"webAuth: {secretName: ''}", "webAuth.secretName is required in distributed mode"},
		{"worker: {resources: {limits: {memory: lots}}}", `memory limit "lots": use a whole number`},
		{"worker: {autoscaling: {enabled: true, minReplicas: 5, maxReplicas: 2}}", "worker.autoscaling.minReplicas (5) is more than maxReplicas (2)"},
	} {
		_, err := render(t, "lt", tt.values)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want %q", tt.values, err, tt.want)
		}
	}
}

// TestManifestsMatchChart: deploy/kubernetes/golocust.yaml is the chart
// rendered with its defaults (UPDATE_MANIFESTS=1 rewrites it).
func TestManifestsMatchChart(t *testing.T) {
	docs, err := render(t, "golocust", "")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	b.WriteString("# The golocust Helm chart (deploy/helm/golocust) rendered with its default values,\n" +
		"# for kubectl apply without Helm. Generated by deploy/helm_test.go: do not edit;\n" +
		"# run UPDATE_MANIFESTS=1 go test -run TestManifestsMatchChart ./... in deploy/.\n")
	for _, d := range docs {
		b.WriteString("---\n" + d)
	}
	decode(t, docs)
	if os.Getenv("UPDATE_MANIFESTS") != "" {
		if err := os.WriteFile(manifestsFile, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(manifestsFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, b.Bytes()) {
		t.Errorf("%s differs from the chart rendered with its defaults: run UPDATE_MANIFESTS=1 go test -run TestManifestsMatchChart ./... in deploy/", manifestsFile)
	}
}

func keys[T any](m map[string]T) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
