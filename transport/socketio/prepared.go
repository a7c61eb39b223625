package socketio

import (
	"encoding/json"
	"fmt"
	"sync"

	"github.com/roomcast/roomcast/codec/mpack"
	siocodec "github.com/roomcast/roomcast/codec/socketio"
	"github.com/roomcast/roomcast/transport/engineio"
)

// PreparedPacket is an event packet for one namespace, encoded at most once
// per parser (lazily, on first use) into immutable Engine.IO frames that are
// shared by every recipient. Safe for concurrent use. The args must not be
// modified after PrepareEvent.
type PreparedPacket struct {
	nsp    string
	packet siocodec.Packet
	enc    [2]preparedEncoding // [0] default, [1] msgpack
}

type preparedEncoding struct {
	once   sync.Once
	frames []*engineio.Frame
	err    error
}

// PrepareEvent returns a PreparedPacket for event(args...) on namespace nsp.
// It checks the event name and the argument types at once; encoding happens
// on first use.
func PrepareEvent(nsp, event string, args ...any) (*PreparedPacket, error) {
	if siocodec.IsReservedEvent(event) {
		return nil, fmt.Errorf("%w: %q", ErrReservedEvent, event)
	}
	for i, a := range args {
		if err := checkArg(a, 0); err != nil {
			return nil, fmt.Errorf("socketio: argument %d: %w", i, err)
		}
	}
	nsp = normalizeNsp(nsp)
	return &PreparedPacket{
		nsp:    nsp,
		packet: siocodec.Packet{Type: siocodec.Event, Nsp: nsp, Data: eventData(event, args)},
	}, nil
}

// Namespace returns the namespace the packet is for.
func (p *PreparedPacket) Namespace() string { return p.nsp }

// Frames returns the packet's frames for parser (ParserAuto means default).
func (p *PreparedPacket) Frames(parser Parser) ([]*engineio.Frame, error) {
	i := 0
	if parser == ParserMsgpack {
		i = 1
	}
	e := &p.enc[i]
	e.once.Do(func() {
		if i == 1 {
			e.frames, e.err = encodeFrames(&p.packet, ParserMsgpack)
		} else {
			e.frames, e.err = encodeFrames(&p.packet, ParserDefault)
		}
	})
	return e.frames, e.err
}

// checkArg verifies v is in the argument model.
func checkArg(v any, depth int) error {
	if depth > 100 {
		return fmt.Errorf("%w: nesting deeper than 100", siocodec.ErrTooDeep)
	}
	switch v := v.(type) {
	case nil, bool, string, []byte, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32, float64:
		return nil
	case []any:
		for _, e := range v {
			if err := checkArg(e, depth+1); err != nil {
				return err
			}
		}
		return nil
	case map[string]any:
		for _, e := range v {
			if err := checkArg(e, depth+1); err != nil {
				return err
			}
		}
		return nil
	case mpack.Raw:
		if len(v) == 0 {
			return fmt.Errorf("%w: empty mpack.Raw", siocodec.ErrUnsupportedValue)
		}
		return nil
	case json.Number:
		return nil
	}
	return fmt.Errorf("%w: %T", siocodec.ErrUnsupportedValue, v)
}
