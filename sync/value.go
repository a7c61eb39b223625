package statesync

import (
	"unsafe"

	"github.com/roomcast/roomcast/codec/mpack"
)

// appendScalar appends the Go value of kind k stored at p (a bool, sized
// integer, float, string or []byte) in its smallest msgpack form.
func appendScalar(b []byte, k Kind, p unsafe.Pointer) []byte {
	switch k {
	case KindBool:
		return mpack.AppendBool(b, *(*bool)(p))
	case KindInt8:
		return mpack.AppendInt(b, int64(*(*int8)(p)))
	case KindInt16:
		return mpack.AppendInt(b, int64(*(*int16)(p)))
	case KindInt32:
		return mpack.AppendInt(b, int64(*(*int32)(p)))
	case KindInt64:
		return mpack.AppendInt(b, *(*int64)(p))
	case KindUint8:
		return mpack.AppendUint(b, uint64(*(*uint8)(p)))
	case KindUint16:
		return mpack.AppendUint(b, uint64(*(*uint16)(p)))
	case KindUint32:
		return mpack.AppendUint(b, uint64(*(*uint32)(p)))
	case KindUint64:
		return mpack.AppendUint(b, *(*uint64)(p))
	case KindFloat32:
		return mpack.AppendFloat32(b, *(*float32)(p))
	case KindFloat64:
		return mpack.AppendFloat64(b, *(*float64)(p))
	case KindString:
		return mpack.AppendString(b, *(*string)(p))
	case KindBytes:
		return mpack.AppendBytes(b, *(*[]byte)(p))
	}
	panic("statesync: appendScalar of kind " + k.String())
}

// scalarFieldValue returns the address of the value inside a scalar field
// struct of kind k at p (Bool, Int8, ..., String, Bytes).
func scalarFieldValue(k Kind, p unsafe.Pointer) unsafe.Pointer {
	switch k {
	case KindBool:
		return unsafe.Pointer(&(*Bool)(p).v)
	case KindInt8:
		return unsafe.Pointer(&(*Int8)(p).v)
	case KindInt16:
		return unsafe.Pointer(&(*Int16)(p).v)
	case KindInt32:
		return unsafe.Pointer(&(*Int32)(p).v)
	case KindInt64:
		return unsafe.Pointer(&(*Int64)(p).v)
	case KindUint8:
		return unsafe.Pointer(&(*Uint8)(p).v)
	case KindUint16:
		return unsafe.Pointer(&(*Uint16)(p).v)
	case KindUint32:
		return unsafe.Pointer(&(*Uint32)(p).v)
	case KindUint64:
		return unsafe.Pointer(&(*Uint64)(p).v)
	case KindFloat32:
		return unsafe.Pointer(&(*Float32)(p).v)
	case KindFloat64:
		return unsafe.Pointer(&(*Float64)(p).v)
	case KindString:
		return unsafe.Pointer(&(*String)(p).v)
	case KindBytes:
		return unsafe.Pointer(&(*Bytes)(p).v)
	}
	return nil
}

// appendField appends the wire value of field fi of entity e as view vw
// sees it (nil: everything): a private field the view may not see is sent
// as its kind's zero value.
func appendField(b []byte, e *Entity, fi *fieldInfo, vw *View) []byte {
	if fi.private && !vw.seesPrivate(e) {
		return appendZero(b, fi.kind)
	}
	p := e.fieldPtr(fi)
	switch fi.kind {
	case KindFloat32: // the common case first
		return mpack.AppendFloat32(b, (*Float32)(p).v)
	case KindFixed:
		return mpack.AppendUint(b, (*Fixed)(p).n)
	case KindFixed2:
		return mpack.AppendUint(b, (*Fixed2)(p).n)
	case KindRef, KindMap, KindArray:
		return fi.acc(p).appendFull(b, vw)
	}
	return appendScalar(b, fi.kind, scalarFieldValue(fi.kind, p))
}

// appendZero appends the zero value of scalar kind k (a hidden private
// field): false, 0, 0.0, "", empty bin, or quantized index 0.
func appendZero(b []byte, k Kind) []byte {
	switch k {
	case KindBool:
		return mpack.AppendBool(b, false)
	case KindFloat32:
		return mpack.AppendFloat32(b, 0)
	case KindFloat64:
		return mpack.AppendFloat64(b, 0)
	case KindString:
		return mpack.AppendString(b, "")
	case KindBytes:
		return mpack.AppendBytes(b, nil)
	}
	return mpack.AppendUint(b, 0) // integers, q, q2
}

// appendEntity appends e whole, as view vw sees it: [ref, field0, field1, ...].
func appendEntity(b []byte, e *Entity, vw *View) []byte {
	fs := e.typ.fields
	b = mpack.AppendArrayHeader(b, 1+len(fs))
	b = mpack.AppendUint(b, uint64(e.ref))
	for i := range fs {
		b = appendField(b, e, &fs[i], vw)
	}
	return b
}

// appendEntityCanon appends e's canonical form as view vw sees it:
// [field0, field1, ...] with maps sorted by key and no reference ids.
func appendEntityCanon(b []byte, e *Entity, vw *View) []byte {
	fs := e.typ.fields
	b = mpack.AppendArrayHeader(b, len(fs))
	for i := range fs {
		fi := &fs[i]
		switch fi.kind {
		case KindRef, KindMap, KindArray:
			b = fi.acc(e.fieldPtr(fi)).appendCanon(b, vw)
		default:
			b = appendField(b, e, fi, vw)
		}
	}
	return b
}
