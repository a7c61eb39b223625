package statesync

// Kind is the type of a field or container element as declared in a schema.
type Kind uint8

// Kinds. Their wire names (Kind.String) are what snapshots carry.
const (
	KindInvalid Kind = iota
	KindBool
	KindInt8
	KindInt16
	KindInt32
	KindInt64
	KindUint8
	KindUint16
	KindUint32
	KindUint64
	KindFloat32
	KindFloat64
	KindString
	KindBytes
	KindFixed  // quantized number: an unsigned integer n meaning min + n*step
	KindRef    // nested entity (nil or an entity of one type)
	KindMap    // map keyed by string or integer
	KindArray  // ordered array
	KindFixed2 // two quantized numbers (x, y) packed in one unsigned integer
)

var kindNames = [...]string{"invalid", "bool", "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "f32", "f64", "str", "bin", "q", "ref", "map", "arr", "q2"}

// String returns the wire name of k ("f32", "u8", "map", ...).
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "invalid"
}

// kindByName maps a wire name back to its Kind (KindInvalid if unknown).
func kindByName(s []byte) Kind {
	for i, n := range kindNames {
		if i > 0 && n == string(s) {
			return Kind(i)
		}
	}
	return KindInvalid
}

// isScalar reports whether k is a primitive value kind (not q, ref, map, arr).
func (k Kind) isScalar() bool { return k >= KindBool && k <= KindBytes }

// isInt reports whether k is one of the integer kinds.
func (k Kind) isInt() bool { return k >= KindInt8 && k <= KindUint64 }

// isSigned reports whether k is a signed integer kind.
func (k Kind) isSigned() bool { return k >= KindInt8 && k <= KindInt64 }

// intBits returns the width of integer kind k (for range checks).
func (k Kind) intBits() uint {
	switch k {
	case KindInt8, KindUint8:
		return 8
	case KindInt16, KindUint16:
		return 16
	case KindInt32, KindUint32:
		return 32
	default:
		return 64
	}
}
