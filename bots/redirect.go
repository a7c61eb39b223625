package bots

import (
	"context"
	"errors"
	"fmt"
	"net/url"
)

// EventClaim takes a seat another node reserved (PROTOCOL.md, "Several
// nodes: redirects").
const EventClaim = "rooms.claim"

// MaxRedirects is how many redirects one join or resume follows before it
// fails with CodeRedirectLoop.
const MaxRedirects = 3

// Error codes of the multi-node protocol (ProtocolError.Code).
const (
	// CodeRedirect: the seat is on another node; ProtocolError.Redirect
	// says where. Game follows it by itself.
	CodeRedirect = "redirect"
	// CodeClaimInvalid: the one-time claim was unknown, used, expired, or
	// presented to the wrong node.
	CodeClaimInvalid = "claim_invalid"
	// CodeNodeGone: the node that held the seat being resumed is dead.
	CodeNodeGone = "node_gone"
	// CodeUnavailable: the node cannot reach the cluster's store and takes
	// no joins for now (a later retry may work).
	CodeUnavailable = "unavailable"
	// CodeRedirectLoop: the client's own error after MaxRedirects
	// redirects in one call.
	CodeRedirectLoop = "redirect_loop"
)

// Predefined errors for errors.Is: a *ProtocolError matches one of these
// when the codes are equal.
var (
	ErrClaimInvalid = &ProtocolError{Code: CodeClaimInvalid}
	ErrNodeGone     = &ProtocolError{Code: CodeNodeGone}
	ErrUnavailable  = &ProtocolError{Code: CodeUnavailable}
	ErrRedirectLoop = &ProtocolError{Code: CodeRedirectLoop}
)

// Redirect is the redirect object of a {ok:false, error:{code:"redirect"}}
// answer: the node to connect to and, for a join, the one-time claim of the
// reserved seat (empty for a resume: the same request is repeated there).
type Redirect struct {
	URL    string // the node's base URL, possibly with a path prefix
	Claim  string
	RoomID string
}

func parseRedirect(m map[string]any) *Redirect {
	r, ok := m["redirect"].(map[string]any)
	if !ok {
		return nil
	}
	rd := &Redirect{}
	rd.URL, _ = r["url"].(string)
	rd.Claim, _ = r["claim"].(string)
	rd.RoomID, _ = r["roomId"].(string)
	return rd
}

// redirectConfig returns base aimed at the node whose base URL is nodeURL,
// with the same path, transport, parser, namespace, auth and headers. A
// path in nodeURL (a reverse proxy's per-node prefix) goes before the
// Engine.IO path, as in Config.URL.
func redirectConfig(base Config, nodeURL string) (Config, error) {
	u, err := url.Parse(nodeURL)
	if err != nil {
		return Config{}, fmt.Errorf("bots: redirect url %q: %w", nodeURL, err)
	}
	switch u.Scheme {
	case "http", "https", "ws", "wss":
	default:
		return Config{}, fmt.Errorf("bots: redirect url %q: scheme must be http, https, ws or wss", nodeURL)
	}
	if u.Host == "" {
		return Config{}, fmt.Errorf("bots: redirect url %q has no host", nodeURL)
	}
	cfg := base
	cfg.URL = nodeURL
	return cfg, nil
}

// seatRequest sends event(args) on c, which reaches at, and follows
// redirects (at most MaxRedirects): a redirect with a claim is answered
// by rooms.claim({claim}) on a new connection to its URL, one without by
// the same request there. It returns the seat answer with the connection
// and node it came from (c and at when there was no redirect). Connections
// it opened and does not return are closed; c is left to the caller.
func (g *Game) seatRequest(ctx context.Context, c *Client, at Config, event string, args ...any) (map[string]any, *Client, Config, error) {
	cur, curAt := c, at
	fail := func(err error) (map[string]any, *Client, Config, error) {
		if cur != c {
			g.retire(cur)
		}
		return nil, nil, Config{}, err
	}
	for hops := 0; ; hops++ {
		m, err := requestOn(ctx, cur, event, args...)
		if err == nil {
			return m, cur, curAt, nil
		}
		var pe *ProtocolError
		if !errors.As(err, &pe) || pe.Redirect == nil {
			return fail(err)
		}
		if hops == MaxRedirects {
			return fail(fmt.Errorf("bots: %s: %w", event, &ProtocolError{Code: CodeRedirectLoop,
				Message: fmt.Sprintf("redirected %d times; the last to %s", hops+1, pe.Redirect.URL)}))
		}
		next, err := g.followTo(ctx, curAt, pe.Redirect.URL)
		if cur != c {
			g.retire(cur)
		}
		cur = nil
		if err != nil {
			return nil, nil, Config{}, err
		}
		cur, curAt = next.cli, next.at
		if pe.Redirect.Claim != "" {
			event, args = EventClaim, []any{map[string]any{"claim": pe.Redirect.Claim}}
		}
	}
}

type followed struct {
	cli *Client
	at  Config
}

// followTo connects to the node at nodeURL with from's options.
func (g *Game) followTo(ctx context.Context, from Config, nodeURL string) (followed, error) {
	if g.cfg.CheckRedirect != nil {
		if err := g.cfg.CheckRedirect(nodeURL); err != nil {
			return followed{}, fmt.Errorf("bots: redirect to %s refused: %w", nodeURL, err)
		}
	}
	cfg, err := redirectConfig(from, nodeURL)
	if err != nil {
		return followed{}, err
	}
	c, err := g.dial(ctx, cfg)
	if err != nil {
		return followed{}, fmt.Errorf("bots: follow redirect to %s: %w", nodeURL, err)
	}
	return followed{cli: c, at: cfg}, nil
}

// moveTo makes seated, a connection a redirect opened, the Game's
// connection in place of old, which it closes, and subscribes the lobby
// again there if the Game had subscribed it.
func (g *Game) moveTo(ctx context.Context, old, seated *Client) {
	g.cli.Store(seated)
	g.retire(old)
	g.mu.Lock()
	sub := g.lobbySub
	g.mu.Unlock()
	if sub {
		// the seat is taken either way; a lost lobby is not worth failing it
		if _, err := requestOn(ctx, seated, EventLobbySub); err != nil {
			seated.cfg.Logger.Warn("bots: lobby.subscribe after a redirect", "url", seated.cfg.URL, "err", err)
		}
	}
}

// retire closes a connection the Game no longer uses and keeps its wire
// counters (onDisconnect keeps only the current connection's).
func (g *Game) retire(c *Client) {
	if c == nil {
		return
	}
	_ = c.Close()
	<-c.Done()
	cs := c.Stats()
	g.wireBase.in.Add(cs.BytesIn)
	g.wireBase.out.Add(cs.BytesOut)
	g.wireBase.fin.Add(cs.FramesIn)
	g.wireBase.fout.Add(cs.FramesOut)
}

// NodeURL is the base URL of the node the Game's connection reaches: the
// configured URL until a redirect moved it, then the URL the redirect
// named (JoinResult.URL of the last seat).
func (g *Game) NodeURL() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.at.URL
}
