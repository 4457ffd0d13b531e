package locust

import (
	"net/http"
	"testing"
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
	if tr := a.hc.Transport.(*http.Transport); tr.MaxIdleConnsPerHost != 500 {
		t.Errorf("MaxIdleConnsPerHost = %d, want the user count 500", tr.MaxIdleConnsPerHost)
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
	if fa.fc.MaxConnsPerHost != 512 {
		t.Errorf("fasthttp MaxConnsPerHost = %d, want 512", fa.fc.MaxConnsPerHost)
	}
	if n := len(store.keys); n != 4 {
		t.Errorf("%d shared values, want 4 (3 transports, 1 fasthttp client)", n)
	}
	if err := store.close(); err != nil {
		t.Errorf("closing shared pools: %v", err)
	}
}
