package cluster

import (
	"context"
	"strconv"
	"testing"

	"github.com/roomcast/roomcast/internal/redistest"
	"github.com/roomcast/roomcast/rooms"
)

// BenchmarkReserveRelease is one seat reserved (joinOrCreate into rooms of
// 8 on one node) and given back, against a real redis-server: the Redis
// side of a join and a leave.
func BenchmarkReserveRelease(b *testing.B) {
	r := redistest.Start(b)
	n, err := New(Config{RedisURL: r.URL(), NodeID: "bench", URL: "http://bench", Prefix: "b"})
	if err != nil {
		b.Fatal(err)
	}
	n.Bind(noRooms{})
	if err := n.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = n.Close() })
	ctx := context.Background()
	start := n.Commands()
	i := 0
	for b.Loop() {
		i++
		p, err := n.Reserve(ctx, rooms.Reservation{Mode: rooms.JoinOrCreate, Name: "arena", Create: true,
			NewRoomID: "r" + strconv.Itoa(i), MaxClients: 8})
		if err != nil {
			b.Fatal(err)
		}
		if err := n.run(ctx, n.scripts.release, p.RoomID).Err(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n.Commands()-start)/float64(b.N), "redis-cmds/op")
}
