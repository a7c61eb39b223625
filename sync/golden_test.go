package statesync

import (
	"encoding/hex"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The worked examples of PROTOCOL.md (State replication). Each example's bytes are pinned
// here and must appear, as hex, in the document.
type gPlayer struct {
	Entity `sync:"Player"`
	X      Float32 `sync:"x"`
	Y      Float32 `sync:"y"`
	HP     Uint8   `sync:"hp"`
	Name   String  `sync:"name"`
}

type gGame struct {
	Entity  `sync:"Game"`
	Round   Uint16                `sync:"round"`
	Players Map[string, *gPlayer] `sync:"players"`
	Scores  Array[uint16]         `sync:"scores"`
	QX      Fixed                 `sync:"qx,min=0,max=1024,step=1/32"`
}

type goldenExample struct {
	name string
	hex  string
}

func goldenExamples(t *testing.T) []goldenExample { return goldenExamplesTB(t) }

func goldenExamplesTB(t testing.TB) []goldenExample {
	g := &gGame{}
	a := &gPlayer{}
	a.X.Set(1.5)
	a.Y.Set(-2)
	a.HP.Set(100)
	a.Name.Set("Ann")
	g.Players.Set("a", a)
	g.Round.Set(1)
	enc, err := NewEncoder(g, EncoderOptions{})
	require.NoError(t, err)
	var out []goldenExample
	add := func(name string, b []byte) { out = append(out, goldenExample{name, hex.EncodeToString(b)}) }

	add("snapshot tick 7", enc.EncodeSnapshot(nil, 7))

	a.X.Set(2)
	d, changed := enc.EncodeDelta(nil, 8)
	require.True(t, changed)
	add("delta tick 8", d)

	_, changed = enc.EncodeDelta(nil, 9) // nothing changed: no delta
	require.False(t, changed)

	b := &gPlayer{}
	b.X.Set(10)
	b.Y.Set(20)
	b.HP.Set(100)
	b.Name.Set("Bo")
	g.Players.Set("b", b)
	g.Round.Set(2)
	a.HP.Set(90)
	d, _ = enc.EncodeDelta(nil, 10)
	add("delta tick 10", d)

	g.Players.Delete("a")
	g.Scores.Push(5, 300)
	g.QX.Set(512.25)
	d, _ = enc.EncodeDelta(nil, 11)
	add("delta tick 11", d)
	return out
}

func TestGoldenBytes(t *testing.T) {
	want := map[string]string{
		"snapshot tick 7": "9307" +
			"92" + // schema: 2 types
			"92a447616d6594" + // "Game", 4 fields
			"92a5726f756e64a3753136" + // ["round", "u16"]
			"94a7706c6179657273a36d6170a373747201" + // ["players", "map", "str", 1]
			"93a673636f726573a3617272a3753136" + // ["scores", "arr", "u16"]
			"95a27178a171cb0000000000000000cb4090000000000000cb3fa0000000000000" + // ["qx", "q", 0.0, 1024.0, 0.03125]
			"92a6506c6179657294" + // "Player", 4 fields
			"92a178a3663332" + "92a179a3663332" + "92a26870a27538" + "92a46e616d65a3737472" +
			"95000181a1619501ca3fc00000cac000000064a3416e6e9000", // root entity
		"delta tick 8":  "950808ff01ca40000000",
		"delta tick 10": "990a02ff0002fc015a940001a1629502ca41200000ca41a0000064a2426f",
		"delta tick 11": "970b01f800cd4008940001a161c0960002000005cd012c",
	}
	got := goldenExamples(t)
	require.Len(t, got, len(want))
	for _, ex := range got {
		require.Equal(t, want[ex.name], ex.hex, ex.name)
	}
	// And the mirror rebuilds the documented state from them.
	m := NewMirror(MirrorLimits{})
	for i, ex := range got {
		b, err := hex.DecodeString(ex.hex)
		require.NoError(t, err)
		if i == 0 {
			require.NoError(t, m.ApplySnapshot(b))
		} else {
			require.NoError(t, m.ApplyDelta(b), ex.name)
		}
	}
	require.Equal(t, map[string]any{
		"round": uint64(2),
		"players": map[string]any{
			"b": map[string]any{"x": float32(10), "y": float32(20), "hp": uint64(100), "name": "Bo"},
		},
		"scores": []any{uint64(5), uint64(300)},
		"qx":     512.25,
	}, m.Value())
	require.Equal(t, uint32(11), m.Tick())
}

// hexBlocks returns the hex bytes of every ```hex block in the document,
// joined without whitespace.
func hexBlocks(doc string) []string {
	re := regexp.MustCompile("(?s)```hex\n(.*?)```")
	var out []string
	for _, m := range re.FindAllStringSubmatch(doc, -1) {
		var sb strings.Builder
		for line := range strings.SplitSeq(m[1], "\n") {
			if i := strings.Index(line, "#"); i >= 0 {
				line = line[:i]
			}
			sb.WriteString(strings.Join(strings.Fields(line), ""))
		}
		out = append(out, sb.String())
	}
	return out
}

func TestGoldenInProtocolDoc(t *testing.T) {
	doc, err := os.ReadFile("../PROTOCOL.md")
	require.NoError(t, err, "the worked examples live in PROTOCOL.md (State replication)")
	blocks := hexBlocks(string(doc))
	for _, ex := range goldenExamples(t) {
		require.Contains(t, blocks, ex.hex, "PROTOCOL.md (State replication) must show %s", ex.name)
	}
	require.Contains(t, blocks, fixed2ExampleHex, "PROTOCOL.md (State replication) must show the q2 example (TestFixed2)")
}
