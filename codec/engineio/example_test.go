package eiocodec_test

import (
	"fmt"

	eiocodec "github.com/roomcast/roomcast/codec/engineio"
)

func Example() {
	body := eiocodec.AppendPayload(nil,
		eiocodec.Packet{Type: eiocodec.Message, Data: []byte("hello")},
		eiocodec.Packet{Type: eiocodec.Message, Data: []byte{0xca, 0xfe}, Binary: true},
		eiocodec.Packet{Type: eiocodec.Ping},
	)
	fmt.Printf("%q\n", body)

	var d eiocodec.PayloadDecoder
	_ = d.Decode(body, 1e6, func(p eiocodec.Packet) error {
		fmt.Println(p.Type, p.Binary, p.Data)
		return nil
	})
	// Output:
	// "4hello\x1ebyv4=\x1e2"
	// message false [104 101 108 108 111]
	// message true [202 254]
	// ping false []
}
