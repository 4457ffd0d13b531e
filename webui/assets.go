package webui

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"
)

// assetFS holds the built front end: index.html, app.js, app.css,
// report.js and favicon.svg. The sources are in frontend/; rebuild with
// `npm ci && npm run build` there.
//
//go:embed assets
var assetFS embed.FS

type asset struct {
	data []byte
	etag string
}

var (
	assetsOnce sync.Once
	assets     map[string]asset
)

func loadAssets() map[string]asset {
	assetsOnce.Do(func() {
		assets = map[string]asset{}
		sub, _ := fs.Sub(assetFS, "assets")
		_ = fs.WalkDir(sub, ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := fs.ReadFile(sub, p)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(data)
			assets[p] = asset{data: data, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
			return nil
		})
	})
	return assets
}

// assetBytes returns an embedded asset's content.
func assetBytes(name string) []byte { return loadAssets()[name].data }

func serveAsset(w http.ResponseWriter, r *http.Request, name string) {
	a, ok := loadAssets()[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("ETag", a.etag)
	if w.Header().Get("Cache-Control") == "" {
		w.Header().Set("Cache-Control", "no-cache")
	}
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(a.data))
}

func assetHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(path.Clean(r.URL.Path), "/assets/")
		serveAsset(w, r, name)
	})
}
