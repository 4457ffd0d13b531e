package locust

import (
	"net/http"
	"testing"

	"github.com/valyala/fasthttp"
)

// TestHTTPSharedPools checks that users of one test share one pool per
// host unless they ask for their own, and that the end of the test
// closes the shared ones.
func TestHTTPSharedPools(t *testing.T) {
	store := &sharedStore{}
	env := UserEnv{Class: "c", Host: "http://127.0.0.1:1/v1", Users: 500, shared: store}
	a, err := httpNewClient(env, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := httpNewClient(env, &HTTPOptions{Timeout: 5})
	if a.hc.Transport != b.hc.Transport {
		t.Error("two users of one host have different transports")
	}
	if tr := a.hc.Transport.(*http.Transport); tr.MaxConnsPerHost != DefaultMaxConnections || tr.MaxIdleConnsPerHost != DefaultMaxConnections {
		t.Errorf("MaxConnsPerHost = %d, MaxIdleConnsPerHost = %d, want DefaultMaxConnections", tr.MaxConnsPerHost, tr.MaxIdleConnsPerHost)
	}
	capped, _ := httpNewClient(env, &HTTPOptions{MaxConnections: 7})
	if tr := capped.hc.Transport.(*http.Transport); capped.hc.Transport == a.hc.Transport || tr.MaxConnsPerHost != 7 {
		t.Errorf("MaxConnections 7: want a pool of its own with MaxConnsPerHost 7, got %d", tr.MaxConnsPerHost)
	}
	other, _ := httpNewClient(UserEnv{Class: "c", Host: "http://127.0.0.1:2", shared: store}, nil)
	insecure, _ := httpNewClient(UserEnv{Class: "c", Host: "http://127.0.0.1:1", shared: store}, &HTTPOptions{Insecure: true})
	own, _ := httpNewClient(env, &HTTPOptions{PerUserConnections: true})
	for name, c := range map[string]*HTTPClient{"another host": other, "other TLS options": insecure, "PerUserConnections": own} {
		if c.hc.Transport == a.hc.Transport {
			t.Errorf("%s shares the transport", name)
		}
	}
	if a.hc.Jar == b.hc.Jar {
		t.Error("two users share a cookie jar")
	}

	fa, _ := fastNewClient(env, nil)
	fb, _ := fastNewClient(env, nil)
	fown, _ := fastNewClient(env, &HTTPOptions{PerUserConnections: true})
	if fa.fc != fb.fc || fa.fc == fown.fc {
		t.Error("fasthttp clients: want one shared per host and one of its own with PerUserConnections")
	}
	if fa.fc.MaxConnsPerHost != DefaultMaxConnections || fa.fc.ConnPoolStrategy != fasthttp.LIFO || fa.fc.MaxConnWaitTimeout != httpDefaultTimeout {
		t.Errorf("fasthttp MaxConnsPerHost = %d, strategy %v, MaxConnWaitTimeout %v; want DefaultMaxConnections, LIFO, the request timeout",
			fa.fc.MaxConnsPerHost, fa.fc.ConnPoolStrategy, fa.fc.MaxConnWaitTimeout)
	}
	if fa.base.prefix != "http://127.0.0.1:1/v1" {
		t.Errorf("prefix %q", fa.base.prefix)
	}
	if fown.fc.MaxConnsPerHost != 4 {
		t.Errorf("fasthttp PerUserConnections: MaxConnsPerHost = %d, want 4", fown.fc.MaxConnsPerHost)
	}
	if fnl, _ := fastNewClient(env, &HTTPOptions{Timeout: -1, PerUserConnections: true}); fnl.fc.MaxConnWaitTimeout <= 0 {
		t.Errorf("no timeout: MaxConnWaitTimeout = %v, want a long wait (0 would fail at once)", fnl.fc.MaxConnWaitTimeout)
	}
	if n := len(store.keys); n != 5 {
		t.Errorf("%d shared values, want 5 (4 transports, 1 fasthttp client)", n)
	}
	if err := store.close(); err != nil {
		t.Errorf("closing shared pools: %v", err)
	}
}
