package rooms

import (
	"context"
	"errors"
	"strings"
	"time"
)

// Directory places rooms across the nodes of a cluster that act as one
// server (package cluster implements it on Redis). With a Directory in
// Config, seats are counted by the Directory, not by this process: every
// join reserves its seat there, and the seat is either on this node (the
// room is created here if the reservation created it) or on another, and
// the join answers with code redirect and the other node's URL and a
// one-time claim (Session.Claim, on that node, takes the seat). Listings
// are the Directory's too (it is the Registry): rooms.list and the lobby
// see every node's rooms. Reconnection tokens carry the node id
// ("<node>.<random>"), so a resume presented to another node answers with
// a redirect to the owner, or node_gone.
//
// Without a Directory (nil, the default) a Server is one process and
// nothing of this applies.
//
// The calls without a context (Release, DisposeIfEmpty and Registry's Put
// and Remove, which rooms calls on room goroutines) must not block: they
// queue their work and do it in order.
type Directory interface {
	Registry
	// NodeID is this node's id (no '.').
	NodeID() string
	// Bind gives the Directory this node's rooms (called once, by
	// NewServer).
	Bind(local LocalRooms)
	// Reserve reserves a seat for a join (atomic across nodes: never more
	// seats than MaxClients, never the same room created twice). It fails
	// with an *Error: room_not_found, room_full, room_locked,
	// create_failed, unavailable (the directory is unreachable), or
	// ErrNeedCreate when no room fits and req.Create is false.
	Reserve(ctx context.Context, req Reservation) (Placement, error)
	// Claim consumes a one-time claim made by Reserve for a seat on this
	// node. It fails with code claim_invalid (unknown, used, expired, or
	// for another node) or unavailable.
	Claim(ctx context.Context, claim string) (Claimed, error)
	// Release gives back one seat of a room of this node.
	Release(roomID string)
	// DisposeIfEmpty removes the record of an empty room of this node,
	// unless a seat was reserved in it meanwhile; done(true) means the
	// room is gone from the directory and is to be disposed. done runs on
	// another goroutine.
	DisposeIfEmpty(roomID string, done func(disposed bool))
	// NodeURL returns the public URL of a live node; code node_gone if it
	// is not live, unavailable if the directory is unreachable.
	NodeURL(ctx context.Context, nodeID string) (string, error)
}

// ErrNeedCreate is Directory.Reserve's answer when no room fits a join
// that may create one (it asks again with Create once the creation rate
// allows it).
var ErrNeedCreate = errors.New("rooms: no room fits; one is to be created")

// Reservation asks a Directory for a seat.
type Reservation struct {
	Mode JoinMode
	// Name is the room type (every mode but JoinByID).
	Name string
	// RoomID is the room of JoinByID.
	RoomID string
	// Filter holds the joiner's values of the type's FilterBy keys: a
	// room matches when its metadata has equal values (as in one
	// process).
	Filter map[string]any
	// JoinOptions are the joiner's options (for OnJoin on the node that
	// seats it).
	JoinOptions Options
	// Create allows creating a room when none fits (Create,
	// JoinOrCreate): NewRoomID, MaxClients, Private, Metadata and
	// CreateOptions describe it.
	Create        bool
	NewRoomID     string
	MaxClients    int
	Private       bool
	Metadata      map[string]any // the new room's initial metadata
	CreateOptions Options
}

// Placement is a reserved seat.
type Placement struct {
	RoomID string
	Name   string // the room type
	NodeID string // the node holding the room
	// URL and Claim are set when NodeID is another node: the client is
	// redirected there and claims the seat with Claim.
	URL, Claim string
	// CreateOptions and Created describe the room for the node that
	// creates it (when NodeID is this node and the room does not run here
	// yet).
	CreateOptions Options
	Created       time.Time
	// JoinOptions are the joiner's (Claim's answer only).
	JoinOptions Options
}

// Claimed is the seat a claim stands for (a Placement on this node).
type Claimed = Placement

// LocalRooms is what a Directory sees of this node (a Server's rooms).
type LocalRooms interface {
	// Placed lists this node's live rooms with their seat counts and
	// creation options (to publish them again after the directory lost
	// them, e.g. a Redis restart).
	Placed() []PlacedRoom
	// Capacity is the most rooms this node takes (Config.MaxRooms; 0:
	// no bound).
	Capacity() int
	// ListingChanged and ListingRemoved feed the lobby with another
	// node's rooms.
	ListingChanged(l Listing)
	ListingRemoved(roomID string)
}

// PlacedRoom is one of this node's rooms as a Directory stores it.
type PlacedRoom struct {
	Listing       Listing
	Seats         int // reserved and held seats here
	CreateOptions Options
}

// Redirect is the other node a join or resume is to be sent to.
type Redirect struct {
	URL    string
	Claim  string // "" for a resume: send the same resume there
	RoomID string
}

// tokenNode returns the node id a cluster token names ("" if none).
func tokenNode(token string) string {
	i := strings.IndexByte(token, '.')
	if i <= 0 {
		return ""
	}
	return token[:i]
}

// serverLocal is a Server as a Directory's LocalRooms.
type serverLocal struct{ s *Server }

func (l serverLocal) Placed() []PlacedRoom {
	rs := l.s.Rooms()
	out := make([]PlacedRoom, 0, len(rs))
	for _, r := range rs {
		t := r.typ
		t.mu.Lock()
		if r.match.disposing {
			t.mu.Unlock()
			continue
		}
		p := PlacedRoom{Listing: r.listingLocked(r.match.clients), Seats: r.match.seats, CreateOptions: r.opts}
		t.mu.Unlock()
		out = append(out, p)
	}
	return out
}

func (l serverLocal) Capacity() int             { return l.s.cfg.MaxRooms }
func (l serverLocal) ListingChanged(li Listing) { l.s.lobby.changed(li) }
func (l serverLocal) ListingRemoved(id string)  { l.s.lobby.removed(id) }
