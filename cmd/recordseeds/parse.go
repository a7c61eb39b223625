package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	eiocodec "github.com/roomcast/roomcast/codec/engineio"
)

// message is one Engine.IO packet a client sent.
type message struct {
	frame  []byte // the packet as a WebSocket frame would carry it
	binary bool
}

// unit is what one client sent in one go: one polling request body, or all
// frames of one WebSocket connection. Socket.IO packets (a header and its
// attachments) never span units in what socket.io-client sends.
type unit struct {
	path      string // "/socket.io/" or "/engine.io/"
	websocket bool
	body      []byte // polling only: the raw request body
	messages  []message
}

// parseStream splits one connection's bytes into HTTP requests and, after a
// WebSocket upgrade, client frames.
func parseStream(data []byte) ([]unit, error) {
	br := bufio.NewReader(bytes.NewReader(data))
	var units []unit
	for {
		req, err := http.ReadRequest(br)
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return units, nil
		}
		if err != nil {
			return units, fmt.Errorf("read request: %w", err)
		}
		if strings.EqualFold(req.Header.Get("Upgrade"), "websocket") {
			msgs, err := readFrames(br)
			units = append(units, unit{path: req.URL.Path, websocket: true, messages: msgs})
			return units, err
		}
		body, err := io.ReadAll(req.Body)
		if err != nil {
			return units, fmt.Errorf("read body: %w", err)
		}
		if req.Method != http.MethodPost || len(body) == 0 {
			continue
		}
		u := unit{path: req.URL.Path, body: body}
		var d eiocodec.PayloadDecoder
		err = d.Decode(body, 0, func(p eiocodec.Packet) error {
			if p.Binary {
				u.messages = append(u.messages, message{frame: bytes.Clone(p.Data), binary: true})
			} else {
				u.messages = append(u.messages, message{frame: eiocodec.AppendText(nil, p)})
			}
			return nil
		})
		if err != nil {
			return units, fmt.Errorf("payload %q: %w", body, err)
		}
		units = append(units, u)
	}
}

// readFrames reads masked client WebSocket frames until a close frame or
// the end of the capture, joining fragments.
func readFrames(r io.Reader) ([]message, error) {
	var (
		msgs    []message
		partial []byte
		binMsg  bool
		header  [14]byte
	)
	for {
		if _, err := io.ReadFull(r, header[:2]); err != nil {
			return msgs, nil // end of capture
		}
		fin, rsv, op := header[0]&0x80 != 0, header[0]&0x70, header[0]&0x0f
		masked, n := header[1]&0x80 != 0, uint64(header[1]&0x7f)
		switch n {
		case 126:
			if _, err := io.ReadFull(r, header[2:4]); err != nil {
				return msgs, nil
			}
			n = uint64(binary.BigEndian.Uint16(header[2:4]))
		case 127:
			if _, err := io.ReadFull(r, header[2:10]); err != nil {
				return msgs, nil
			}
			n = binary.BigEndian.Uint64(header[2:10])
		}
		var mask [4]byte
		if masked {
			if _, err := io.ReadFull(r, mask[:]); err != nil {
				return msgs, nil
			}
		}
		if n > 64<<20 {
			return msgs, fmt.Errorf("websocket frame of %d bytes", n)
		}
		payload := make([]byte, n)
		if _, err := io.ReadFull(r, payload); err != nil {
			return msgs, nil
		}
		if masked {
			for i := range payload {
				payload[i] ^= mask[i%4]
			}
		}
		if rsv != 0 {
			return msgs, fmt.Errorf("compressed websocket frames (rsv %#x) are not supported", rsv)
		}
		switch op {
		case 0x1, 0x2:
			partial, binMsg = payload, op == 0x2
		case 0x0:
			partial = append(partial, payload...)
		case 0x8:
			return msgs, nil
		default: // ping, pong
			continue
		}
		if fin {
			msgs = append(msgs, message{frame: partial, binary: binMsg})
			partial = nil
		}
	}
}
