package siocodec_test

import (
	"fmt"

	siocodec "github.com/roomcast/roomcast/codec/socketio"
)

// A binary event with the default parser: one text frame with placeholders
// and one binary frame per attachment; the Decoder puts them back together.
func Example() {
	p := siocodec.Packet{Type: siocodec.Event, Nsp: "/game", HasID: true, ID: 3,
		Data: []any{"upload", "avatar.png", []byte{0x89, 0x50}}}
	text, attachments, _ := siocodec.AppendDefault(nil, &p)
	fmt.Printf("%s + %d attachment(s)\n", text, len(attachments))

	d := siocodec.NewDecoder(siocodec.Limits{})
	_, done, _ := d.Decode(text, false)
	fmt.Println("done after text:", done)
	got, done, _ := d.Decode(attachments[0], true)
	fmt.Println("done after attachment:", done, got.Type, got.Nsp, got.ID, got.Data)

	mp, _ := siocodec.AppendMsgpack(nil, &p)
	back, _ := siocodec.DecodeMsgpack(mp, siocodec.Limits{})
	fmt.Printf("msgpack: %d bytes, %v %v\n", len(mp), back.Type, back.Data)
	// Output:
	// 51-/game,3["upload","avatar.png",{"_placeholder":true,"num":0}] + 1 attachment(s)
	// done after text: false
	// done after attachment: true EVENT /game 3 [upload avatar.png [137 80]]
	// msgpack: 49 bytes, EVENT [upload avatar.png [137 80]]
}
