//go:build unix

package engineio

import (
	"errors"
	"syscall"
)

const inlineSupported = true

// writeNonBlocking makes one write(2) on a non-blocking socket: n is what
// it took (0 if it would block).
func writeNonBlocking(fd uintptr, b []byte) (n int, err error) {
	for {
		n, err = syscall.Write(int(fd), b)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if n < 0 {
			n = 0
		}
		if errors.Is(err, syscall.EAGAIN) {
			err = nil
		}
		return n, err
	}
}
