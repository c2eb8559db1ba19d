package hosted

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"
)

// asset is one embedded file of static/, read and compressed at start-up.
type asset struct {
	name        string // as the page names it: pay.3f2a9c0d1e.css, its content's hash in it
	contentType string
	etag        string // strong, of the plain bytes
	plain, gz   []byte // gz is nil when gzip would not make it smaller
}

// assetCache is how long a browser keeps an asset named by its content: a
// year, the most RFC 9111 lets a cache count on; a new version has a new name.
const assetCache = "public, max-age=31536000, immutable"

// assets are the embedded assets by request name: each by its hashed name
// (cached for a year) and by its plain name (revalidated), for a page that
// a browser kept from before a new version.
var assets, assetNames = loadAssets()

// loadAssets reads static/ and prepares each file's answers.
func loadAssets() (byPath map[string]*asset, names map[string]string) {
	byPath, names = map[string]*asset{}, map[string]string{}
	err := fs.WalkDir(staticFiles, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := staticFiles.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		hash := hex.EncodeToString(sum[:])[:12]
		base := path.Base(p)
		ext := path.Ext(base)
		a := &asset{name: strings.TrimSuffix(base, ext) + "." + hash + ext, contentType: mime.TypeByExtension(ext),
			etag: `"` + hash + `"`, plain: b}
		var z bytes.Buffer
		w, _ := gzip.NewWriterLevel(&z, gzip.BestCompression)
		w.Write(b) //nolint:errcheck // a bytes.Buffer does not fail
		w.Close()  //nolint:errcheck // a bytes.Buffer does not fail
		if z.Len() < len(b) {
			a.gz = z.Bytes()
		}
		byPath[a.name], byPath[base], names[base] = a, a, a.name
		return nil
	})
	if err != nil {
		panic("hosted: embedded assets: " + err.Error())
	}
	return byPath, names
}

// assetURL is the URL that names an asset (by its plain name) by its content.
func assetURL(name string) string {
	hashed, ok := assetNames[name]
	if !ok {
		panic("hosted: no asset " + name) // a template names a file static/ lacks
	}
	return "/assets/" + hashed
}

// serveAsset answers GET /assets/{name}: gzipped when the client takes it,
// with an ETag for each encoding.
func serveAsset(w http.ResponseWriter, r *http.Request) {
	a := assets[strings.TrimPrefix(r.URL.Path, "/assets/")]
	if a == nil {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Cache-Control", "no-cache") // by its plain name: asks each time, and gets a 304
	if strings.TrimPrefix(r.URL.Path, "/assets/") == a.name {
		h.Set("Cache-Control", assetCache)
	}
	h.Set("Content-Type", a.contentType)
	h.Set("Vary", "Accept-Encoding")
	body, etag := a.plain, a.etag
	if a.gz != nil && acceptsGzip(r.Header.Get("Accept-Encoding")) {
		body, etag = a.gz, strings.TrimSuffix(a.etag, `"`)+`-gz"`
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("ETag", etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

// acceptsGzip reports whether an Accept-Encoding header takes gzip: named
// with a quality above zero, or, when not named, "*" so.
func acceptsGzip(header string) bool {
	gzipQ, starQ := -1.0, -1.0
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(part, ";")
		q := 1.0
		if k, v, ok := strings.Cut(strings.TrimSpace(params), "="); ok && strings.EqualFold(strings.TrimSpace(k), "q") {
			if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
				q = f
			}
		}
		switch strings.ToLower(strings.TrimSpace(coding)) {
		case "gzip", "x-gzip":
			gzipQ = q
		case "*":
			starQ = q
		}
	}
	if gzipQ >= 0 {
		return gzipQ > 0
	}
	return starQ > 0
}
