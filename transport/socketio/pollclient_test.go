package socketio_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// pollClient is a minimal Engine.IO v4 long-polling client speaking the
// Socket.IO default parser, for examples and integration tests.
type pollClient struct {
	base    string // http://127.0.0.1:port/socket.io/
	sid     string
	http    *http.Client
	pending []string // Engine.IO packets received but not yet returned
}

func dialPolling(base string) (*pollClient, error) {
	c := &pollClient{base: base, http: &http.Client{Timeout: 5 * time.Second}}
	body, err := c.get()
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(body, "0") {
		return nil, fmt.Errorf("handshake: %q", body)
	}
	var hs struct {
		Sid string `json:"sid"`
	}
	if err := json.Unmarshal([]byte(body[1:]), &hs); err != nil {
		return nil, fmt.Errorf("handshake: %w", err)
	}
	c.sid = hs.Sid
	return c, nil
}

func (c *pollClient) url() string {
	u := c.base + "?EIO=4&transport=polling"
	if c.sid != "" {
		u += "&sid=" + c.sid
	}
	return u
}

func (c *pollClient) get() (string, error) {
	resp, err := c.http.Get(c.url())
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %d: %s", resp.StatusCode, b)
	}
	return string(b), nil
}

// send posts Socket.IO packets (text) as Engine.IO messages.
func (c *pollClient) send(packets ...string) error {
	var buf bytes.Buffer
	for i, p := range packets {
		if i > 0 {
			buf.WriteByte(0x1e)
		}
		buf.WriteString("4" + p)
	}
	resp, err := c.http.Post(c.url(), "text/plain;charset=UTF-8", &buf)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("POST %d: %s", resp.StatusCode, b)
	}
	return nil
}

// next returns the next Socket.IO message (text packet, or "<bin:hex>" for a
// binary attachment), answering pings on the way.
func (c *pollClient) next() (string, error) {
	for len(c.pending) == 0 {
		body, err := c.get()
		if err != nil {
			return "", err
		}
		for _, p := range strings.Split(body, "\x1e") {
			switch {
			case p == "2":
				if err := c.pong(); err != nil {
					return "", err
				}
			case strings.HasPrefix(p, "4"):
				c.pending = append(c.pending, p[1:])
			case strings.HasPrefix(p, "b"):
				raw, err := base64.StdEncoding.DecodeString(p[1:])
				if err != nil {
					return "", err
				}
				c.pending = append(c.pending, fmt.Sprintf("<bin:%x>", raw))
			case p == "1":
				return "", io.EOF
			}
		}
	}
	p := c.pending[0]
	c.pending = c.pending[1:]
	return p, nil
}

func (c *pollClient) pong() error {
	resp, err := c.http.Post(c.url(), "text/plain;charset=UTF-8", strings.NewReader("3"))
	if err != nil {
		return err
	}
	resp.Body.Close()
	return nil
}

func (c *pollClient) close() {
	resp, err := c.http.Post(c.url(), "text/plain;charset=UTF-8", strings.NewReader("1"))
	if err == nil {
		resp.Body.Close()
	}
}
