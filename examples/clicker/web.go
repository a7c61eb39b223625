package clicker

import (
	"embed"
	"io/fs"

	jsclient "github.com/roomcast/roomcast/clients/js"
)

//go:embed web
var web embed.FS

// BundleFile is the JavaScript client's browser bundle, served beside the
// page (web/app.js imports it).
const BundleFile = "roomcast.bundle.js"

// Web returns the game's page, rooted at index.html, for http.FileServerFS
// (host.Server.Page): the files of web/ plus the JavaScript client's
// browser bundle from package jsclient, so the bundle is not copied here.
func Web() fs.FS {
	page, err := fs.Sub(web, "web")
	if err != nil {
		panic("clicker: " + err.Error()) // unreachable: "web" is embedded above
	}
	return pageFS{page: page, client: jsclient.Web()}
}

// pageFS serves BundleFile from client and every other name from page.
type pageFS struct{ page, client fs.FS }

func (f pageFS) Open(name string) (fs.File, error) {
	if name == BundleFile {
		return f.client.Open(name)
	}
	return f.page.Open(name)
}
