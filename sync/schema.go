package statesync

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"reflect"
	"strconv"
	"strings"
	"unsafe"

	"github.com/roomcast/roomcast/codec/mpack"
)

// MaxFields is the most tracked fields one entity type may declare.
const MaxFields = 63

// ErrSchema is wrapped by every error about a state type declaration.
var ErrSchema = errors.New("statesync: invalid state type")

// Schema describes the entity types of a state: names and field types. The
// root entity's type is Types[0]. Snapshots carry it; deltas refer to fields
// by index only.
type Schema struct {
	Types []TypeSchema
}

// TypeSchema is one entity type.
type TypeSchema struct {
	Name   string
	Fields []FieldSchema
}

// FieldSchema is one field of an entity type; its index in Fields is its id.
type FieldSchema struct {
	Name string
	Kind Kind
	// Type is the entity type index for KindRef fields, and for maps and
	// arrays whose Elem is KindRef.
	Type int
	// Key is the key kind of a map: KindString or an integer kind.
	Key Kind
	// Elem is the element kind of a map or array: a scalar kind or KindRef.
	Elem Kind
	// Min, Max and Step declare a KindFixed or KindFixed2 field:
	// value = Min + n*Step.
	Min, Max, Step float64
}

// Type returns the index and description of the type called name.
func (s *Schema) Type(name string) (int, *TypeSchema) {
	for i := range s.Types {
		if s.Types[i].Name == name {
			return i, &s.Types[i]
		}
	}
	return -1, nil
}

// Field returns the id and description of the field called name.
func (t *TypeSchema) Field(name string) (int, *FieldSchema) {
	for i := range t.Fields {
		if t.Fields[i].Name == name {
			return i, &t.Fields[i]
		}
	}
	return -1, nil
}

// typeInfo is what registration learned about one entity struct type.
type typeInfo struct {
	index     int
	name      string
	rtype     reflect.Type // the struct type
	entityOff uintptr      // offset of the embedded Entity
	fields    []fieldInfo
	privMask  uint64 // private fields (view.go)
}

// fieldInfo is one tracked field of a registered type.
type fieldInfo struct {
	id      uint8
	name    string
	kind    Kind
	off     uintptr
	q       *quant                         // KindFixed, KindFixed2
	key     Kind                           // KindMap
	elem    Kind                           // KindMap, KindArray: scalar kind or KindRef
	elemTyp *typeInfo                      // KindRef, or entity elements
	acc     func(unsafe.Pointer) composite // KindRef, KindMap, KindArray
	private bool                           // `sync:"name,private"`: seen only by the owner's views
}

// scalarField is implemented by the pointer types of scalar fields.
type scalarField interface{ kind() Kind }

// compositeField is implemented by the pointer types of Ref, Map and Array.
type compositeField interface{ describe() compositeDesc }

// compositeDesc is what a composite field type tells registration.
type compositeDesc struct {
	kind Kind
	key  reflect.Type // Map
	elem reflect.Type // Ref target, Map value, Array element
	acc  func(unsafe.Pointer) composite
}

var (
	scalarFieldType    = reflect.TypeFor[scalarField]()
	compositeFieldType = reflect.TypeFor[compositeField]()
	entityType         = reflect.TypeFor[Entity]()
)

// registry registers the types reachable from a root type, each once.
type registry struct {
	byType map[reflect.Type]*typeInfo
	types  []*typeInfo
	names  map[string]reflect.Type
}

// entityStruct returns the struct type if t is a pointer to a struct that
// embeds Entity, else nil.
func entityStruct(t reflect.Type) reflect.Type {
	if t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct {
		return nil
	}
	st := t.Elem()
	for i := range st.NumField() {
		if f := st.Field(i); f.Anonymous && f.Type == entityType {
			return st
		}
	}
	return nil
}

// typeOf registers (once) and returns the type info for *T where T embeds Entity.
func (r *registry) typeOf(t reflect.Type) (*typeInfo, error) {
	st := entityStruct(t)
	if st == nil {
		return nil, fmt.Errorf("%w: %v is not a pointer to a struct embedding statesync.Entity", ErrSchema, t)
	}
	if ti := r.byType[st]; ti != nil {
		return ti, nil
	}
	ti := &typeInfo{index: len(r.types), name: st.Name(), rtype: st}
	if ti.name == "" {
		ti.name = "T" + strconv.Itoa(ti.index)
	}
	for i := range st.NumField() {
		f := st.Field(i)
		if f.Anonymous && f.Type == entityType {
			ti.entityOff = f.Offset
			if tag, ok := f.Tag.Lookup("sync"); ok && tag != "" {
				ti.name = tag
			}
		}
	}
	if prev, dup := r.names[ti.name]; dup {
		return nil, fmt.Errorf("%w: types %v and %v are both named %q (rename one with a `sync:\"Name\"` tag on its embedded statesync.Entity)", ErrSchema, prev, st, ti.name)
	}
	r.names[ti.name] = st
	r.byType[st] = ti
	r.types = append(r.types, ti)
	for i := range st.NumField() {
		f := st.Field(i)
		if f.Anonymous && f.Type == entityType {
			continue
		}
		pt := reflect.PointerTo(f.Type)
		isScalar, isComposite := pt.Implements(scalarFieldType), pt.Implements(compositeFieldType)
		if !isScalar && !isComposite {
			continue // server-only data
		}
		tag := f.Tag.Get("sync")
		if tag == "-" {
			continue
		}
		if !f.IsExported() {
			return nil, fmt.Errorf("%w: %v.%s: tracked fields must be exported (or tagged `sync:\"-\"`)", ErrSchema, st, f.Name)
		}
		if len(ti.fields) == MaxFields {
			return nil, fmt.Errorf("%w: %v has more than %d tracked fields", ErrSchema, st, MaxFields)
		}
		fi := fieldInfo{id: uint8(len(ti.fields)), name: f.Name, off: f.Offset}
		name, opts, _ := strings.Cut(tag, ",")
		if name != "" {
			fi.name = name
		}
		opts, fi.private = cutOption(opts, "private")
		if fi.private {
			if !isScalar {
				return nil, fmt.Errorf("%w: %v.%s: only scalar fields can be private", ErrSchema, st, f.Name)
			}
			ti.privMask |= 1 << fi.id
		}
		if isScalar {
			fi.kind = reflect.New(f.Type).Interface().(scalarField).kind()
			if fi.kind == KindFixed || fi.kind == KindFixed2 {
				q, err := parseQuant(opts, fi.kind)
				if err != nil {
					return nil, fmt.Errorf("%w: %v.%s: %w", ErrSchema, st, f.Name, err)
				}
				fi.q = q
			}
		} else {
			d := reflect.New(f.Type).Interface().(compositeField).describe()
			fi.kind, fi.acc = d.kind, d.acc
			var err error
			switch d.kind {
			case KindRef:
				fi.elem = KindRef
				fi.elemTyp, err = r.typeOf(d.elem)
			case KindMap:
				if fi.key = scalarKindOf(d.key); fi.key != KindString && !fi.key.isInt() {
					err = fmt.Errorf("map key type %v: want string or an integer type", d.key)
					break
				}
				fi.elem, fi.elemTyp, err = r.elemOf(d.elem)
			case KindArray:
				fi.elem, fi.elemTyp, err = r.elemOf(d.elem)
			}
			if err != nil {
				return nil, fmt.Errorf("%w: %v.%s: %w", ErrSchema, st, f.Name, err)
			}
		}
		for _, g := range ti.fields {
			if g.name == fi.name {
				return nil, fmt.Errorf("%w: %v: two fields named %q", ErrSchema, st, fi.name)
			}
		}
		ti.fields = append(ti.fields, fi)
	}
	return ti, nil
}

// elemOf classifies a Map value or Array element type.
func (r *registry) elemOf(t reflect.Type) (Kind, *typeInfo, error) {
	if entityStruct(t) != nil {
		ti, err := r.typeOf(t)
		return KindRef, ti, err
	}
	k := scalarKindOf(t)
	if k == KindInvalid || k == KindBytes {
		return 0, nil, fmt.Errorf("element type %v: want a pointer to an entity struct, bool, an integer, float or string type", t)
	}
	return k, nil, nil
}

// scalarKindOf maps a Go basic type to its Kind (int and uint as 64-bit).
func scalarKindOf(t reflect.Type) Kind {
	switch t.Kind() {
	case reflect.Bool:
		return KindBool
	case reflect.Int8:
		return KindInt8
	case reflect.Int16:
		return KindInt16
	case reflect.Int32:
		return KindInt32
	case reflect.Int64:
		return KindInt64
	case reflect.Int:
		if t.Size() == 8 {
			return KindInt64
		}
		return KindInt32
	case reflect.Uint8:
		return KindUint8
	case reflect.Uint16:
		return KindUint16
	case reflect.Uint32:
		return KindUint32
	case reflect.Uint64:
		return KindUint64
	case reflect.Uint, reflect.Uintptr:
		if t.Size() == 8 {
			return KindUint64
		}
		return KindUint32
	case reflect.Float32:
		return KindFloat32
	case reflect.Float64:
		return KindFloat64
	case reflect.String:
		return KindString
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return KindBytes
		}
	}
	return KindInvalid
}

// cutOption removes option opt from a comma-separated tag option list.
func cutOption(opts, opt string) (rest string, found bool) {
	var kept []string
	for o := range strings.SplitSeq(opts, ",") {
		if o == opt {
			found = true
		} else if o != "" {
			kept = append(kept, o)
		}
	}
	return strings.Join(kept, ","), found
}

// parseQuant parses "min=0,max=1024,step=1/32" (step may be a fraction).
func parseQuant(opts string, kind Kind) (*quant, error) {
	q := &quant{}
	var have [3]bool
	for opt := range strings.SplitSeq(opts, ",") {
		if opt == "" {
			continue
		}
		k, v, _ := strings.Cut(opt, "=")
		x, err := parseNumber(v)
		if err != nil {
			return nil, fmt.Errorf("option %q: %w", opt, err)
		}
		switch k {
		case "min":
			q.min, have[0] = x, true
		case "max":
			q.max, have[1] = x, true
		case "step":
			q.step, have[2] = x, true
		default:
			return nil, fmt.Errorf("unknown option %q (want min, max, step)", k)
		}
	}
	if !have[0] || !have[1] || !have[2] {
		return nil, errors.New("Fixed needs a tag like `sync:\"name,min=0,max=1024,step=1/32\"`")
	}
	if !(q.step > 0) || !(q.max > q.min) || math.IsInf(q.max-q.min, 0) {
		return nil, fmt.Errorf("bad range min=%v max=%v step=%v (want min < max, step > 0)", q.min, q.max, q.step)
	}
	n := math.Round((q.max - q.min) / q.step)
	if n > 1<<53 {
		return nil, fmt.Errorf("range/step = %v steps: too many", n)
	}
	q.maxN = uint64(n)
	q.bits = uint(bits.Len64(q.maxN))
	if kind == KindFixed2 && q.bits > 32 {
		return nil, fmt.Errorf("range/step = %v steps: too many for Fixed2 (max 2^32-1)", n)
	}
	q.inv = 1 / q.step
	return q, nil
}

func parseNumber(s string) (float64, error) {
	if a, b, ok := strings.Cut(s, "/"); ok {
		x, err1 := strconv.ParseFloat(a, 64)
		y, err2 := strconv.ParseFloat(b, 64)
		if err1 != nil || err2 != nil || y == 0 {
			return 0, fmt.Errorf("bad fraction %q", s)
		}
		return x / y, nil
	}
	return strconv.ParseFloat(s, 64)
}

// schema builds the public description of the registered types.
func (r *registry) schema() *Schema {
	s := &Schema{Types: make([]TypeSchema, len(r.types))}
	for i, ti := range r.types {
		ts := TypeSchema{Name: ti.name, Fields: make([]FieldSchema, len(ti.fields))}
		for j, fi := range ti.fields {
			fs := FieldSchema{Name: fi.name, Kind: fi.kind, Key: fi.key, Elem: fi.elem, Type: -1}
			if fi.elemTyp != nil {
				fs.Type = fi.elemTyp.index
			}
			if fi.q != nil {
				fs.Min, fs.Max, fs.Step = fi.q.min, fi.q.max, fi.q.step
			}
			ts.Fields[j] = fs
		}
		s.Types[i] = ts
	}
	return s
}

// appendSchema encodes s as PROTOCOL.md (State replication) describes:
// [[typeName, [field...]]...] with field = [name, kind, args...].
func appendSchema(b []byte, s *Schema) []byte {
	b = mpack.AppendArrayHeader(b, len(s.Types))
	for _, t := range s.Types {
		b = mpack.AppendArrayHeader(b, 2)
		b = mpack.AppendString(b, t.Name)
		b = mpack.AppendArrayHeader(b, len(t.Fields))
		for _, f := range t.Fields {
			switch f.Kind {
			case KindFixed, KindFixed2:
				b = mpack.AppendArrayHeader(b, 5)
				b = mpack.AppendString(b, f.Name)
				b = mpack.AppendString(b, f.Kind.String())
				b = mpack.AppendFloat64(b, f.Min)
				b = mpack.AppendFloat64(b, f.Max)
				b = mpack.AppendFloat64(b, f.Step)
			case KindRef:
				b = mpack.AppendArrayHeader(b, 3)
				b = mpack.AppendString(b, f.Name)
				b = mpack.AppendString(b, f.Kind.String())
				b = mpack.AppendUint(b, uint64(f.Type))
			case KindMap:
				b = mpack.AppendArrayHeader(b, 4)
				b = mpack.AppendString(b, f.Name)
				b = mpack.AppendString(b, f.Kind.String())
				b = mpack.AppendString(b, f.Key.String())
				b = appendElemSchema(b, f)
			case KindArray:
				b = mpack.AppendArrayHeader(b, 3)
				b = mpack.AppendString(b, f.Name)
				b = mpack.AppendString(b, f.Kind.String())
				b = appendElemSchema(b, f)
			default:
				b = mpack.AppendArrayHeader(b, 2)
				b = mpack.AppendString(b, f.Name)
				b = mpack.AppendString(b, f.Kind.String())
			}
		}
	}
	return b
}

// appendElemSchema writes a container's element: a type index for entities,
// a kind name for scalars.
func appendElemSchema(b []byte, f FieldSchema) []byte {
	if f.Elem == KindRef {
		return mpack.AppendUint(b, uint64(f.Type))
	}
	return mpack.AppendString(b, f.Elem.String())
}
