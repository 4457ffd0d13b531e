package oidc

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"testing"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
	zoidc "github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"
)

// The provider: zitadel/oidc's OpenID Provider (pkg/op) with the storage
// and login page of its example server, which this module imports as
// they are. Two additions: ID tokens carry each user's groups (the role
// claim) and email, and the client's redirect URI is set once the web
// UI's port is known.

const (
	clientID     = "golocust-ui"
	clientSecret = "client-s3cret"
	userPassword = "provider-pw"
)

// idpUser is a user of the provider.
type idpUser struct {
	id, name, email string
	groups          []string
}

var idpUsers = []idpUser{
	{"u-alice", "alice", "alice@example.com", []string{"staff", "admins"}},
	{"u-otto", "otto", "otto@example.com", []string{"ops"}},
	{"u-vera", "vera", "vera@example.com", []string{"viewers"}},
	{"u-nina", "nina", "nina@example.com", []string{"contractors"}},
}

// roleRules maps the groups above: nina's group maps to no role.
const roleRules = "admins=admin,ops=operator,viewers=viewer"

// userStore implements the example storage's storage.UserStore.
type userStore struct{ users map[string]*storage.User }

func newUserStore() userStore {
	us := userStore{users: map[string]*storage.User{}}
	for _, u := range idpUsers {
		us.users[u.id] = &storage.User{ID: u.id, Username: u.name, Password: userPassword, FirstName: u.name,
			Email: u.email, EmailVerified: true, PreferredLanguage: language.English}
	}
	return us
}

func (us userStore) GetUserByID(id string) *storage.User { return us.users[id] }

func (us userStore) GetUserByUsername(name string) *storage.User {
	for _, u := range us.users {
		if u.Username == name {
			return u
		}
	}
	return nil
}

func (us userStore) ExampleClientID() string { return storage.ServiceUserID }

// idpStorage is the example storage with groups in ID tokens and a
// redirect URI set late.
type idpStorage struct {
	*storage.Storage
	mu       sync.Mutex
	redirect string
}

// SetUserinfoFromRequest fills the ID token's claims: the example's,
// then the user's email and groups.
func (s *idpStorage) SetUserinfoFromRequest(ctx context.Context, info *zoidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	if err := s.Storage.SetUserinfoFromRequest(ctx, info, req, scopes); err != nil {
		return err
	}
	for _, u := range idpUsers {
		if u.id == req.GetSubject() {
			info.Email, info.EmailVerified = u.email, true
			info.AppendClaims("groups", u.groups)
		}
	}
	return nil
}

// GetClientByClientID returns the registered client, whose redirect URI
// is the web UI's callback.
func (s *idpStorage) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	c, err := s.Storage.GetClientByClientID(ctx, id)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return redirectClient{c, s.redirect}, nil
}

func (s *idpStorage) setRedirect(uri string) {
	s.mu.Lock()
	s.redirect = uri
	s.mu.Unlock()
}

type redirectClient struct {
	op.Client
	uri string
}

func (c redirectClient) RedirectURIs() []string { return []string{c.uri} }

// provider is a running OpenID Provider.
type provider struct {
	issuer string
	store  *idpStorage
}

// startProvider serves an OpenID Provider on a loopback port until the
// test ends.
func startProvider(t *testing.T) *provider {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	issuer := "http://" + ln.Addr().String()
	clients := map[string]*storage.Client{clientID: storage.WebClient(clientID, clientSecret, "http://unset.invalid/")}
	st := &idpStorage{Storage: storage.NewStorageWithClients(newUserStore(), clients)}
	router := exampleop.SetupServer(issuer, st, nil, false)
	srv := &http.Server{Handler: router}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("provider: %v", err)
		}
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		<-done
	})
	return &provider{issuer: issuer, store: st}
}
