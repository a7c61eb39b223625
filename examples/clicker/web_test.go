package clicker_test

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	jsclient "github.com/roomcast/roomcast/clients/js"
	"github.com/roomcast/roomcast/examples/clicker"
)

// The page is served with the JavaScript client's bundle from package
// jsclient (not a copy); app.js imports it.
func TestWeb(t *testing.T) {
	srv := httptest.NewServer(http.FileServerFS(clicker.Web()))
	defer srv.Close()
	get := func(path string) (int, string) {
		res, err := http.Get(srv.URL + path)
		require.NoError(t, err)
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		return res.StatusCode, string(b)
	}

	code, index := get("/")
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, index, `<script type="module" src="app.js">`)
	require.Contains(t, index, "?transport=polling", "the page says it works over long-polling")
	code, app := get("/app.js")
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, app, `from "./roomcast.bundle.js"`)
	code, _ = get("/style.css")
	require.Equal(t, http.StatusOK, code)

	code, bundle := get("/" + clicker.BundleFile)
	require.Equal(t, http.StatusOK, code)
	want, err := fs.ReadFile(jsclient.Web(), clicker.BundleFile)
	require.NoError(t, err)
	require.Equal(t, string(want), bundle)

	code, _ = get("/no-such-file.js")
	require.Equal(t, http.StatusNotFound, code)
}
