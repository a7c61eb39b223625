//go:build !unix

package engineio

import "errors"

const inlineSupported = false

func writeNonBlocking(uintptr, []byte) (int, error) {
	return 0, errors.New("engineio: no inline writes on this platform")
}
