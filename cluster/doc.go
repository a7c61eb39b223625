// Package cluster makes several roomcast nodes act as one server, on
// Redis: its one job is to implement rooms.Directory on go-redis. Seats
// are counted in Redis and changed only by Lua scripts (reserve-or-create,
// claim, release, dispose-if-empty, the sweep of unclaimed reservations),
// so concurrent joins on different nodes never overfill a room or create
// one twice; each node keeps a heartbeat key (its URL, capacity, drain
// state) that expires after several missed beats, and rooms whose node's
// key is gone are never handed a seat, leave every listing at once and
// are removed (with a lobby.remove) by the next beat of any live node.
// Listings live in the rooms' records and the lobby's changes go through
// one pub/sub channel. A node that finds its heartbeat key gone (a Redis
// restart, or a cut-off longer than the TTL) publishes its rooms again.
// Game traffic never touches Redis. ARCHITECTURE.md ("Several nodes")
// describes the data model and the failure behaviour.
//
//	node, _ := cluster.New(cluster.Config{RedisURL: "redis://127.0.0.1:6379/0", URL: "http://10.0.0.5:2567"})
//	rs, _ := rooms.NewServer(rooms.Config{Directory: node})
//	node.Start()
//	defer node.Close()
//
// The scripts address keys they compute from the prefix, so the Redis is
// one instance (optionally with replicas and Sentinel), not Redis Cluster.
package cluster
