package engineio

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestFrames(t *testing.T) {
	src := []byte("abc")
	text, bin := TextFrame(src), BinaryFrame(src)
	ownedText, ownedBin := OwnedTextFrame(src), OwnedBinaryFrame(src)
	src[0] = 'X' // the copies do not see it, the owned frames do (the caller broke its promise)
	for _, tc := range []struct {
		name           string
		f              *Frame
		payload        string
		binary         bool
		size, pollSize int
		poll           string
	}{
		{"text", text, "abc", false, 4, 4, "4abc"},
		{"binary", bin, "abc", true, 3, 5, "bYWJj"},
		{"owned text", ownedText, "Xbc", false, 4, 4, "4Xbc"},
		{"owned binary", ownedBin, "Xbc", true, 3, 5, "bWGJj"},
		{"control", controlFrame("3probe"), "probe", false, 6, 6, "3probe"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.payload, string(tc.f.Payload()))
			require.Equal(t, tc.binary, tc.f.IsBinary())
			require.Equal(t, tc.size, tc.f.size())
			require.Equal(t, tc.pollSize, tc.f.pollSize())
			require.Equal(t, tc.poll, string(tc.f.appendPoll(nil)))
		})
	}
}
