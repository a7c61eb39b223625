package rooms

// JoinMode says how a JoinRequest finds its room.
type JoinMode uint8

// Join modes (the matchmaking calls of the game protocol).
const (
	// JoinOrCreate takes the oldest matching room with a free seat, else
	// creates one (rooms.joinOrCreate).
	JoinOrCreate JoinMode = iota
	// Create always creates a room (rooms.create).
	Create
	// JoinExisting only takes an existing room (rooms.join).
	JoinExisting
	// JoinByID takes a seat in the room JoinRequest.RoomID, private or not
	// (rooms.joinById).
	JoinByID
)

func (m JoinMode) String() string {
	switch m {
	case JoinOrCreate:
		return "joinOrCreate"
	case Create:
		return "create"
	case JoinExisting:
		return "join"
	case JoinByID:
		return "joinById"
	}
	return "JoinMode(?)"
}

// JoinRequest asks for a seat (Session.Join).
type JoinRequest struct {
	Mode JoinMode
	// Name is the room type (every mode but JoinByID).
	Name string
	// RoomID is the room (JoinByID only).
	RoomID string
	// Options go to OnJoin (and OnCreate when a room is created); the room
	// type's filter keys among them steer matchmaking. nil means none.
	Options Options
}

// ResumeRequest takes a held seat back (Session.Resume).
type ResumeRequest struct {
	// Token is the seat's latest reconnection token.
	Token string
	// Tick is the tick of the client's last applied state frame; 0 means
	// unknown (the client gets a snapshot).
	Tick uint64
}

// Seat is the reply to a successful join or resume.
type Seat struct {
	RoomID    string
	SessionID string // the client's id in the room, stable across resumes
	Token     string // the new single-use reconnection token
	TickRate  int
	Name      string // the room type
}
