package locust

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golocust/locust/internal/cli"
)

// TestOptionsSecretFiles: the cluster token and the web UI credentials
// can come from mounted files, by option, LOCUST_* variable or
// locust.conf; surrounding white space (a trailing newline) is dropped.
func TestOptionsSecretFiles(t *testing.T) {
	dir := t.TempDir()
	tok := filepath.Join(dir, "token")
	auth := filepath.Join(dir, "auth")
	if err := os.WriteFile(tok, []byte("s3cret-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(auth, []byte("  admin:pa ss\n\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		conf string
		env  map[string]string
		args []string
	}{
		{name: "options", args: []string{"--cluster-token-file", tok, "--web-auth-file", auth}},
		{name: "env", env: map[string]string{"LOCUST_CLUSTER_TOKEN_FILE": tok, "LOCUST_WEB_AUTH_FILE": auth}},
		{name: "locust.conf", conf: "cluster-token-file = " + tok + "\nweb-auth-file = " + auth + "\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o, _ := optParse(t, tt.conf, tt.env, append([]string{"--master"}, tt.args...)...)
			if _, err := o.config(optTestClasses("Browser")); err != nil {
				t.Fatal(err)
			}
			if o.clusterToken != "s3cret-token" || o.webAuth != "admin:pa ss" {
				t.Errorf("token %q, auth %q", o.clusterToken, o.webAuth)
			}
		})
	}
}

func TestOptionsDeployErrors(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	lines := filepath.Join(dir, "lines")
	big := filepath.Join(dir, "big")
	_ = os.WriteFile(empty, []byte(" \n"), 0o600)
	_ = os.WriteFile(lines, []byte("a\nb\n"), 0o600)
	_ = os.WriteFile(big, []byte(strings.Repeat("x", secretFileLimit+1)), 0o600)
	missing := filepath.Join(dir, "missing")
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{name: "both token and file", env: map[string]string{"LOCUST_CLUSTER_TOKEN": "x"}, args: []string{"--cluster-token-file", lines},
			want: "--cluster-token-file and --cluster-token cannot both be set: keep the secret in the file only"},
		{name: "missing file", args: []string{"--cluster-token-file", missing}, want: "--cluster-token-file: cannot read the secret file: open " + missing + ": no such file or directory"},
		{name: "empty file", args: []string{"--web-auth-file", empty}, want: "--web-auth-file: the secret file " + empty + " is empty"},
		{name: "two lines", args: []string{"--web-auth-file", lines}, want: "--web-auth-file: the secret file " + lines + " holds more than one line"},
		{name: "too big", args: []string{"--cluster-token-file", big}, want: "--cluster-token-file: the secret file " + big + " is larger than 65536 bytes: it should hold one line"},
		{name: "health port", args: []string{"--health-port", "70000"}, want: "--health-port must be a port number 0..65535 (0: no listener), got 70000"},
		{name: "negative lost exit", args: []string{"--worker", "--master-lost-exit", "-1s"}, want: `invalid value "-1s" for --master-lost-exit: negative timespan "-1s": use seconds (20) or a duration with units h, m, s, ms (20s, 3m, 1h30m, 1h30m15s, 1.5s)`},
		{name: "lost exit before lost timeout", args: []string{"--worker", "--master-lost-exit", "5s"},
			want: "--master-lost-exit (5s) must not be shorter than --master-lost-timeout (15s): the users stop first, then the worker exits"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, _, err := optTryParse(t, "", tt.env, append([]string{"--headless"}, tt.args...)...)
			if err == nil {
				_, err = o.config(optTestClasses("Browser"))
			}
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			if !cli.IsUsage(err) {
				t.Errorf("error %T is not a usage error", err)
			}
			if err.Error() != tt.want {
				t.Errorf("error\n got: %s\nwant: %s", err, tt.want)
			}
			if strings.Contains(err.Error(), "pa ss") || strings.Contains(err.Error(), "xxxx") {
				t.Errorf("the error shows the secret: %s", err)
			}
		})
	}
}

func TestOptionsDeployDefaults(t *testing.T) {
	o, _ := optParse(t, "", nil, "--worker")
	if _, err := o.config(optTestClasses("Browser")); err != nil {
		t.Fatal(err)
	}
	if o.deploy.masterLostExit != 60*time.Second || o.deploy.health.port != 0 || o.deploy.health.host != "127.0.0.1" {
		t.Errorf("defaults: %+v", o.deploy)
	}
}
