// Package jsclient embeds roomcast's browser client: the game page served
// at "/" by the gameserver (web/index.html, its script and styles) and the
// prebuilt browser bundle of the JavaScript client module (src/, built with
// esbuild by `npm run build` into web/roomcast.bundle.js and committed, so
// the server needs no npm at run time).
package jsclient

import (
	"embed"
	"io/fs"
)

//go:embed web
var web embed.FS

// Web returns the page's files, rooted at the web folder (index.html at
// the top), ready for http.FileServerFS.
func Web() fs.FS {
	sub, err := fs.Sub(web, "web")
	if err != nil {
		// Unreachable: "web" is embedded above.
		panic("jsclient: " + err.Error())
	}
	return sub
}
