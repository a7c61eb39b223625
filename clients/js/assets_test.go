package jsclient

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestWebServesThePage(t *testing.T) {
	for _, name := range []string{"index.html", "app.js", "style.css", "roomcast.bundle.js"} {
		b, err := fs.ReadFile(Web(), name)
		if err != nil {
			t.Fatalf("embedded page lacks %s: %v", name, err)
		}
		if len(b) == 0 {
			t.Fatalf("%s is empty", name)
		}
	}
	srv := httptest.NewServer(http.FileServerFS(Web()))
	defer srv.Close()
	for path, want := range map[string]string{
		"/":                   "text/html",
		"/app.js":             "javascript",
		"/roomcast.bundle.js": "javascript",
		"/style.css":          "text/css",
	} {
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK || !strings.Contains(res.Header.Get("Content-Type"), want) {
			t.Errorf("GET %s: %d %q, want 200 %s", path, res.StatusCode, res.Header.Get("Content-Type"), want)
		}
	}
}
