package locust

import (
	"fmt"
	"strings"

	"github.com/golocust/locust/internal/redact"
)

// hostUser is implemented, through embedding, by the user types of the
// clients that need a base address: [HTTPUser] and [FastHTTPUser].
type hostUser interface{ needsHost() }

func (*HTTPUser) needsHost()     {}
func (*FastHTTPUser) needsHost() {}

// hostClass is implemented by [*Class]: what a class says about its host.
type hostClass interface {
	// classHost returns the class's own Host and whether its users need
	// one (they embed an HTTP user).
	classHost() (host string, needed bool)
}

func (c *Class[U]) classHost() (string, bool) {
	var u U
	_, needed := any(u).(hostUser)
	return c.Host, needed
}

// checkHosts returns an error naming every class among classes whose
// users need a host and have none, given the test's host (Config.Host,
// -H) and each class's Host, or whose own Host is malformed. option names
// how the user gives the host, e.g. "-H/--host" or "Config.Host". It
// returns nil when every class can run.
func checkHosts(classes []UserClass, host, option string) error {
	var missing []string
	for _, c := range classes {
		hc, ok := c.(hostClass)
		if !ok {
			continue
		}
		own, needed := hc.classHost()
		switch {
		case !needed || host != "":
		case own == "":
			missing = append(missing, fmt.Sprintf("%q", c.ClassName()))
		default:
			if err := optCheckHost(own); err != nil {
				return fmt.Errorf("class %q: Host %q %v", c.ClassName(), redact.URL(own), err)
			}
		}
	}
	switch len(missing) {
	case 0:
		return nil
	case 1:
		return fmt.Errorf("no host: class %s makes HTTP requests and has no Class.Host; give the target's address with %s, e.g. http://127.0.0.1:8080", missing[0], option)
	}
	return fmt.Errorf("no host: classes %s make HTTP requests and have no Class.Host; give the target's address with %s, e.g. http://127.0.0.1:8080", strings.Join(missing, ", "), option)
}
