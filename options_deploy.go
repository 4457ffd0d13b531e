package locust

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/golocust/locust/internal/cli"
)

// deployOptions are the options orchestrators need (options_deploy.go
// keeps them apart from Locust's own): a health listener, secrets read
// from mounted files, and how long a worker waits for a lost master.
type deployOptions struct {
	health           listenOption // --health-port, --health-host
	clusterTokenFile string
	webAuthFile      string
	masterLostExit   time.Duration

	// probe is the process's readiness, set once the runner exists.
	probe *healthProbe
}

// defaultMasterLostExit is how long a worker lives without its master
// before it exits 1, as Locust's worker (60 s without a heartbeat).
const defaultMasterLostExit = 60 * time.Second

// registerDeployOptions adds the options of o to s, in their own group.
func registerDeployOptions(s *cli.Set, o *deployOptions) {
	s.Group("Deployment options")
	o.health.register(s, "health", "Serve /healthz (alive) and /readyz (ready: running, listening for workers, or a worker connected to its master) on this port, for orchestrators' probes (0: no listener). The web UI serves both on its own port too.",
		"Interface of the --health-port listener; \"*\" means every interface (it answers only ok or not ready, without credentials).")
	s.String(&o.clusterTokenFile, "", "cluster-token-file", "FILE", "", "Read --cluster-token from this file (a mounted secret); surrounding white space is ignored.")
	s.String(&o.webAuthFile, "", "web-auth-file", "FILE", "", "Read --web-auth USER:PASS from this file (a mounted secret); surrounding white space is ignored.")
	o.masterLostExit = defaultMasterLostExit
	s.Var(cli.TimespanVar(&o.masterLostExit), "", "master-lost-exit", "TIME", "A worker exits with code 1 when it has had no master this long, so that an orchestrator restarts it (0: keep reconnecting forever).")
}

// secretFileLimit bounds a secret file: a token or credentials, not data.
const secretFileLimit = 64 << 10

// check validates the options and reads the secret files into o.
func (o *options) deployCheck() error {
	d := &o.deploy
	if err := d.health.check(o.optDisplay); err != nil {
		return err
	}
	if d.masterLostExit < 0 {
		return cli.Usagef("%s must be 0 (never) or more", o.optDisplay("master-lost-exit"))
	}
	if d.masterLostExit > 0 && d.masterLostExit < o.masterLostTimeout && o.distWorker() {
		return cli.Usagef("%s (%v) must not be shorter than %s (%v): the users stop first, then the worker exits",
			o.optDisplay("master-lost-exit"), d.masterLostExit, o.optDisplay("master-lost-timeout"), o.masterLostTimeout)
	}
	if o.workerOf != "" {
		// A process started by --processes gets the token in its
		// environment; the parent read the files.
		return nil
	}
	read := func(file, fileOpt, opt string, dst *string) error {
		if file == "" {
			return nil
		}
		if *dst != "" {
			return cli.Usagef("%s and %s cannot both be set: keep the secret in the file only", o.optDisplay(fileOpt), o.optDisplay(opt))
		}
		v, err := readSecretFile(file)
		if err != nil {
			return cli.Usagef("%s: %v", o.optDisplay(fileOpt), err)
		}
		*dst = v
		return nil
	}
	if err := read(d.clusterTokenFile, "cluster-token-file", "cluster-token", &o.clusterToken); err != nil {
		return err
	}
	return read(d.webAuthFile, "web-auth-file", "web-auth", &o.webAuth)
}

// readSecretFile returns the contents of file without surrounding white
// space. Errors name the file, never its contents.
func readSecretFile(file string) (string, error) {
	f, err := os.Open(file)
	if err != nil {
		return "", fmt.Errorf("cannot read the secret file: %w", err)
	}
	defer f.Close()
	var b bytes.Buffer
	if _, err := b.ReadFrom(io.LimitReader(f, secretFileLimit+1)); err != nil {
		return "", fmt.Errorf("cannot read the secret file %s: %w", file, err)
	}
	if b.Len() > secretFileLimit {
		return "", fmt.Errorf("the secret file %s is larger than %d bytes: it should hold one line", file, secretFileLimit)
	}
	v := strings.TrimSpace(b.String())
	if v == "" {
		return "", fmt.Errorf("the secret file %s is empty", file)
	}
	if strings.ContainsAny(v, "\r\n") {
		return "", fmt.Errorf("the secret file %s holds more than one line", file)
	}
	return v, nil
}
