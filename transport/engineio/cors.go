package engineio

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// AnyOrigin in Config.AllowedOrigins allows every Origin (a development
// setting): cross-origin polling responses then carry
// "Access-Control-Allow-Origin: *" and no credentials.
const AnyOrigin = "*"

// originAllowed applies the Origin policy (Config.AllowedOrigins) to a
// request. A request without Origin is not a browser's cross-origin
// request (non-browser clients send none) and is allowed. Otherwise the
// Origin must be the server's own (its host:port is the request's Host),
// or be listed, or AnyOrigin must be listed. "null" (sandboxed frames,
// file: pages) is allowed only when listed or with AnyOrigin.
func (s *Server) originAllowed(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	switch {
	case origin == "":
		return true
	case slices.Contains(s.cfg.AllowedOrigins, AnyOrigin), slices.Contains(s.cfg.AllowedOrigins, origin):
		return true
	}
	return sameOrigin(origin, r.Host)
}

// sameOrigin reports whether origin (scheme://host[:port]) names the host
// the request was sent to. The scheme is not compared: behind a proxy that
// terminates TLS the request arrives over http for an https page.
func sameOrigin(origin, host string) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	return strings.EqualFold(u.Host, host)
}

// setCORS adds CORS headers to a cross-origin polling request that the
// policy allowed: an Origin listed in AllowedOrigins is echoed with
// credentials allowed; under AnyOrigin the answer is "*" without
// credentials. A same-origin request needs none.
func (s *Server) setCORS(w http.ResponseWriter, r *http.Request) {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return
	}
	h := w.Header()
	h.Add("Vary", "Origin")
	switch {
	case slices.Contains(s.cfg.AllowedOrigins, origin):
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Credentials", "true")
	case slices.Contains(s.cfg.AllowedOrigins, AnyOrigin):
		h.Set("Access-Control-Allow-Origin", "*")
	default:
		return
	}
	if r.Method == http.MethodOptions {
		h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
		if req := r.Header.Get("Access-Control-Request-Headers"); req != "" {
			h.Set("Access-Control-Allow-Headers", req)
		} else {
			h.Set("Access-Control-Allow-Headers", "Content-Type")
		}
		h.Set("Access-Control-Max-Age", "86400")
	}
}
