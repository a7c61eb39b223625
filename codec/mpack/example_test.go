package mpack_test

import (
	"errors"
	"fmt"

	"github.com/roomcast/roomcast/codec/mpack"
)

func Example() {
	// Encode: append to a reused buffer, no allocation once it has grown.
	buf := make([]byte, 0, 64)
	buf = mpack.AppendMapHeader(buf, 2)
	buf = mpack.AppendString(buf, "x")
	buf = mpack.AppendFloat32(buf, 1.5)
	buf = mpack.AppendString(buf, "hp")
	buf = mpack.AppendInt(buf, 100)
	fmt.Printf("% x\n", buf)

	// Decode untrusted bytes with limits.
	r := mpack.NewReader(buf, mpack.Limits{MaxContainerLen: 64})
	v, err := r.ReadValue()
	fmt.Println(v, err)

	// A 5-byte claim of 4 G elements is refused before anything is allocated.
	r.Reset([]byte{0xdd, 0xff, 0xff, 0xff, 0xff})
	_, err = r.ReadValue()
	fmt.Println(errors.Is(err, mpack.ErrTooLarge))
	// Output:
	// 82 a1 78 ca 3f c0 00 00 a2 68 70 64
	// map[hp:100 x:1.5] <nil>
	// true
}
