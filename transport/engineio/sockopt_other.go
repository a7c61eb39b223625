//go:build !unix

package engineio

func setSendBuffer(uintptr, int) {}
