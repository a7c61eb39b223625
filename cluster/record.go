package cluster

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/roomcast/roomcast/codec/mpack"
	"github.com/roomcast/roomcast/rooms"
)

// Records stored in Redis are read back with the bounded msgpack reader;
// a record that does not decode is an error (never a panic), since Redis
// is shared and may hold anything.

// recordLimits bound what a stored record may hold.
var recordLimits = mpack.Limits{MaxDepth: 16, MaxContainerLen: 4096, MaxStringLen: 64 << 10}

// encodeListing is a listing of node's as stored in a room record and
// published.
func encodeListing(l rooms.Listing, node string) (string, error) {
	meta := l.Metadata
	if meta == nil {
		meta = map[string]any{}
	}
	b, err := mpack.AppendValue(nil, map[string]any{
		"id": l.ID, "name": l.Name, "clients": int64(l.Clients), "max": int64(l.MaxClients),
		"locked": l.Locked, "private": l.Private, "meta": meta, "created": l.CreatedAt.UnixNano(), "node": node,
	})
	if err != nil {
		return "", fmt.Errorf("cluster: encoding the listing of room %q: %w", l.ID, err)
	}
	return string(b), nil
}

// errRecord is the error of every malformed record.
var errRecord = errors.New("cluster: malformed record")

// storedListing is a listing and the node whose room it is.
type storedListing struct {
	rooms.Listing
	node string
}

// decodeListing reads a stored listing.
func decodeListing(b []byte) (storedListing, error) {
	v, err := mpack.NewReader(b, recordLimits).ReadValue()
	if err != nil {
		return storedListing{}, fmt.Errorf("%w: listing: %v", errRecord, err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return storedListing{}, fmt.Errorf("%w: listing is not a map", errRecord)
	}
	var l rooms.Listing
	var created int64
	var clients, maxClients int64
	var node string
	ok = str(m, "node", &node) && str(m, "id", &l.ID) && str(m, "name", &l.Name) && integer(m, "clients", &clients) &&
		integer(m, "max", &maxClients) && boolean(m, "locked", &l.Locked) && boolean(m, "private", &l.Private) &&
		integer(m, "created", &created)
	if !ok || l.ID == "" || clients < 0 || maxClients < 0 || clients > math.MaxInt32 || maxClients > math.MaxInt32 {
		return storedListing{}, fmt.Errorf("%w: listing fields", errRecord)
	}
	l.Clients, l.MaxClients = int(clients), int(maxClients)
	l.CreatedAt = time.Unix(0, created)
	switch meta := m["meta"].(type) {
	case map[string]any:
		l.Metadata = meta
	case nil:
	default:
		return storedListing{}, fmt.Errorf("%w: listing metadata is not a map", errRecord)
	}
	return storedListing{Listing: l, node: node}, nil
}

func str(m map[string]any, k string, dst *string) bool {
	s, ok := m[k].(string)
	*dst = s
	return ok
}

func integer(m map[string]any, k string, dst *int64) bool {
	switch v := m[k].(type) {
	case int64:
		*dst = v
		return true
	case uint64:
		if v <= math.MaxInt64 {
			*dst = int64(v)
			return true
		}
	}
	return false
}

func boolean(m map[string]any, k string, dst *bool) bool {
	b, ok := m[k].(bool)
	*dst = b
	return ok
}

// encodeOptions stores join or create options.
func encodeOptions(o rooms.Options) (string, error) {
	if o == nil {
		o = rooms.Options{}
	}
	b, err := mpack.AppendValue(nil, map[string]any(o))
	if err != nil {
		return "", fmt.Errorf("cluster: encoding options: %w", err)
	}
	return string(b), nil
}

// decodeOptions reads stored options ("" is none).
func decodeOptions(b []byte) (rooms.Options, error) {
	if len(b) == 0 {
		return rooms.Options{}, nil
	}
	v, err := mpack.NewReader(b, recordLimits).ReadValue()
	if err != nil {
		return nil, fmt.Errorf("%w: options: %v", errRecord, err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: options are not a map", errRecord)
	}
	return rooms.Options(m), nil
}

// filterKey is a metadata or filter value in the form the reserve script
// compares: numbers by value (1 and 1.0 are equal), strings, booleans and
// nil by type and value; other values (and NaN) have none and match
// nothing, as in one process.
func filterKey(v any) (string, bool) {
	var f float64
	switch v := v.(type) {
	case string:
		return "s" + v, true
	case bool:
		if v {
			return "b1", true
		}
		return "b0", true
	case nil:
		return "z", true
	case int64:
		f = float64(v)
	case int:
		f = float64(v)
	case int32:
		f = float64(v)
	case uint64:
		f = float64(v)
	case uint32:
		f = float64(v)
	case float32:
		f = float64(v)
	case float64:
		f = v
	default:
		return "", false
	}
	if math.IsNaN(f) {
		return "", false
	}
	return "n" + strconv.FormatFloat(f, 'g', -1, 64), true
}

// noMatch is a filter value no room has (filterKey never starts with '!').
const noMatch = "!"

// encodeFilter is the JSON object of the keys a joiner filters on.
func encodeFilter(filter map[string]any) string {
	out := make(map[string]string, len(filter))
	for k, v := range filter {
		key, ok := filterKey(v)
		if !ok {
			key = noMatch
		}
		out[k] = key
	}
	return jsonObject(out)
}

// encodeFM is the JSON object of a room's metadata that filters can match.
func encodeFM(meta map[string]any) string {
	out := make(map[string]string, len(meta))
	for k, v := range meta {
		if key, ok := filterKey(v); ok {
			out[k] = key
		}
	}
	return jsonObject(out)
}

func jsonObject(m map[string]string) string {
	if len(m) == 0 {
		return "{}"
	}
	b, err := json.Marshal(m)
	if err != nil { // a map of strings always marshals
		return "{}"
	}
	return string(b)
}

// lobbyMessage is one message of the lobby channel.
type lobbyMessage struct {
	node    string
	removed string        // a removed room's id, or
	listing storedListing // an updated listing
}

// decodeLobbyMessage reads "u\n<node>\n<listing>" or "r\n<node>\n<id>".
func decodeLobbyMessage(b []byte) (lobbyMessage, error) {
	op, rest, ok := bytes.Cut(b, []byte{'\n'})
	if !ok {
		return lobbyMessage{}, fmt.Errorf("%w: lobby message without op", errRecord)
	}
	node, body, ok := bytes.Cut(rest, []byte{'\n'})
	if !ok || len(node) == 0 {
		return lobbyMessage{}, fmt.Errorf("%w: lobby message without node", errRecord)
	}
	m := lobbyMessage{node: string(node)}
	switch string(op) {
	case "r":
		if len(body) == 0 {
			return lobbyMessage{}, fmt.Errorf("%w: lobby remove without room id", errRecord)
		}
		m.removed = string(body)
	case "u":
		l, err := decodeListing(body)
		if err != nil {
			return lobbyMessage{}, err
		}
		m.listing = l
	default:
		return lobbyMessage{}, fmt.Errorf("%w: lobby op %q", errRecord, op)
	}
	return m, nil
}
