package roomsio

import (
	"math"

	"github.com/roomcast/roomcast/codec/mpack"
	"github.com/roomcast/roomcast/rooms"
	"github.com/roomcast/roomcast/transport/socketio"
)

// attachInput routes input events past the generic decoder
// (socketio.OnRawEvent): input(seq, payload) arrives as msgpack (as the
// msgpack parser sent it, or transcoded from the default parser's JSON),
// seq is read in place and the payload's bytes go to
// Session.InputMsgpack, where the room type's Settings.Input decodes them
// into the game's own type (or, without one, the bounded reader builds the
// generic value). Inputs the raw path does not take (default-parser
// packets with binary attachments) reach Dispatch.
func attachInput(s *socketio.Socket, sess *rooms.Session) {
	var r *mpack.Reader        // this socket's handlers run one at a time
	nilPayload := []byte{0xc0} // an absent payload, encoded
	_ = s.OnRawEvent(EventInput, func(_ *socketio.Socket, args socketio.RawArgs, _ func(...any)) {
		if r == nil {
			r = mpack.NewReader(nil, args.Limits())
		}
		r.Reset(args.Bytes())
		defer r.Reset(nil)
		seq, ok := readSeq(r, args.Len())
		if !ok {
			sess.RejectInput()
			return
		}
		payload := nilPayload
		if args.Len() > 1 {
			raw, err := r.ReadRaw()
			if err != nil { // cannot happen: socketio checked the arguments
				sess.RejectInput()
				return
			}
			payload = raw
		}
		sess.InputMsgpack(seq, payload)
	})
}

// readSeq reads input's first argument as Dispatch's argUint would take it.
func readSeq(r *mpack.Reader, n int) (uint64, bool) {
	if n < 1 {
		return 0, false
	}
	k, err := r.PeekKind()
	if err != nil {
		return 0, false
	}
	switch k {
	case mpack.KindInt:
		seq, err := r.ReadUint()
		return seq, err == nil
	case mpack.KindFloat64, mpack.KindFloat32:
		f, err := r.ReadFloat64()
		if err != nil || f < 0 || f > 1<<53 || f != math.Trunc(f) {
			return 0, false
		}
		return uint64(f), true
	}
	return 0, false
}
