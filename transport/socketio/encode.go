package socketio

import (
	"sync"

	siocodec "github.com/roomcast/roomcast/codec/socketio"
	"github.com/roomcast/roomcast/transport/engineio"
)

// scratch buffers for encoding; engineio.TextFrame/BinaryFrame copy.
var scratchPool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// encodeFrames encodes p for parser into the Engine.IO frames to send.
func encodeFrames(p *siocodec.Packet, parser Parser) ([]*engineio.Frame, error) {
	bp := scratchPool.Get().(*[]byte)
	defer func() {
		if cap(*bp) <= 64<<10 {
			scratchPool.Put(bp)
		}
	}()
	if parser == ParserMsgpack {
		b, err := siocodec.AppendMsgpack((*bp)[:0], p)
		*bp = b
		if err != nil {
			return nil, err
		}
		return []*engineio.Frame{engineio.BinaryFrame(b)}, nil
	}
	text, attachments, err := siocodec.AppendDefault((*bp)[:0], p)
	*bp = text
	if err != nil {
		return nil, err
	}
	frames := make([]*engineio.Frame, 0, 1+len(attachments))
	frames = append(frames, engineio.TextFrame(text))
	for _, a := range attachments {
		frames = append(frames, engineio.BinaryFrame(a))
	}
	return frames, nil
}
