package main

import (
	"net"
	"sync"
)

// tapListener keeps a copy of every byte its connections read.
type tapListener struct {
	net.Listener
	mu      sync.Mutex
	streams []*stream
}

// stream is what one accepted connection read, in order.
type stream struct {
	mu   sync.Mutex
	data []byte
}

func (s *stream) bytes() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]byte(nil), s.data...)
}

func (l *tapListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	s := &stream{}
	l.mu.Lock()
	l.streams = append(l.streams, s)
	l.mu.Unlock()
	return &tapConn{Conn: c, s: s}, nil
}

// captured returns a copy of every connection's bytes.
func (l *tapListener) captured() [][]byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([][]byte, len(l.streams))
	for i, s := range l.streams {
		out[i] = s.bytes()
	}
	return out
}

type tapConn struct {
	net.Conn
	s *stream
}

func (c *tapConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.s.mu.Lock()
		c.s.data = append(c.s.data, p[:n]...)
		c.s.mu.Unlock()
	}
	return n, err
}
