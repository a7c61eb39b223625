package host

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/roomcast/roomcast/cluster"
	"github.com/roomcast/roomcast/rooms"
	"github.com/roomcast/roomcast/tick"
	"github.com/roomcast/roomcast/transport/engineio"
	"github.com/roomcast/roomcast/transport/socketio"
)

// Metric names (all prefixed roomcast_). Counters read on every scrape from
// the Stats of engineio and rooms; histograms fed by the tick observer of
// every room type defined with Server.Define. A game's own collectors go
// on Server.Registry beside them.
const (
	MetricSessions         = "roomcast_sessions"                        // gauge {transport}
	MetricSessionsOpened   = "roomcast_sessions_opened_total"           // counter
	MetricUpgrades         = "roomcast_upgrades_total"                  // counter
	MetricSockets          = "roomcast_sockets"                         // gauge {parser}
	MetricRooms            = "roomcast_rooms"                           // gauge {type}
	MetricRoomsCreated     = "roomcast_rooms_created_total"             // counter
	MetricRoomsDisposed    = "roomcast_rooms_disposed_total"            // counter
	MetricRoomPanics       = "roomcast_room_panics_total"               // counter
	MetricTickDuration     = "roomcast_tick_duration_seconds"           // histogram {type}
	MetricTickLateness     = "roomcast_tick_lateness_seconds"           // histogram {type}
	MetricTicksSkipped     = "roomcast_ticks_skipped_total"             // counter {type}
	MetricFramesOut        = "roomcast_frames_out_total"                // counter
	MetricBytesOut         = "roomcast_bytes_out_total"                 // counter
	MetricFramesDropped    = "roomcast_frames_dropped_total"            // counter
	MetricStateFrames      = "roomcast_state_frames_total"              // counter {kind}
	MetricSlowDisconnects  = "roomcast_slow_consumer_disconnects_total" // counter {layer}
	MetricAbuseDisconnects = "roomcast_abuse_disconnects_total"         // counter
	MetricResumes          = "roomcast_resumes_total"                   // counter {result}
	MetricInputsDropped    = "roomcast_inputs_dropped_total"            // counter {reason}
	MetricDraining         = "roomcast_draining"                        // gauge 0/1
	MetricRateLimited      = "roomcast_rate_limited_total"              // counter {request}
	MetricRoomPauses       = "roomcast_room_pauses_total"               // counter
	// With --redis only.
	MetricRedisCommands = "roomcast_redis_commands_total" // counter
	MetricClusterUp     = "roomcast_cluster_up"           // gauge 0/1: the last heartbeat reached Redis
)

// metrics is the server's Prometheus registry and the instruments fed
// directly (the rest is read from Stats at scrape time).
type metrics struct {
	reg      *prometheus.Registry
	duration *prometheus.HistogramVec
	lateness *prometheus.HistogramVec
	skipped  *prometheus.CounterVec
	sockets  *prometheus.GaugeVec
}

// tickBuckets cover 50 µs .. ~1.6 s.
var tickBuckets = prometheus.ExponentialBuckets(50e-6, 2, 16)

func newMetrics(engine func() engineio.Stats, rs *rooms.Server, types func() []string, draining func() bool) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    MetricTickDuration,
			Help:    "Time a room's tick (game step, encoding and fan-out) took.",
			Buckets: tickBuckets,
		}, []string{"type"}),
		lateness: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    MetricTickLateness,
			Help:    "How long after its scheduled time a room's tick started.",
			Buckets: tickBuckets,
		}, []string{"type"}),
		skipped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: MetricTicksSkipped,
			Help: "Tick slots skipped because a room fell too far behind.",
		}, []string{"type"}),
		sockets: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: MetricSockets,
			Help: "Connected Socket.IO sockets by wire parser.",
		}, []string{"parser"}),
	}
	for _, p := range []socketio.Parser{socketio.ParserDefault, socketio.ParserMsgpack} {
		m.sockets.WithLabelValues(parserLabel(p))
	}
	m.reg.MustRegister(m.duration, m.lateness, m.skipped, m.sockets,
		&statsCollector{engine: engine, rooms: rs, types: types, draining: draining},
		// process_cpu_seconds_total, process_resident_memory_bytes (cmd/bots
		// -metrics reads them), go_* runtime series.
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewGoCollector())
	return m
}

func parserLabel(p socketio.Parser) string {
	switch p {
	case socketio.ParserMsgpack:
		return "msgpack"
	case socketio.ParserDefault:
		return "default"
	}
	return "auto"
}

// observer returns the tick observer of room type name.
func (m *metrics) observer(name string) tick.Observer {
	d, l, s := m.duration.WithLabelValues(name), m.lateness.WithLabelValues(name), m.skipped.WithLabelValues(name)
	return tick.ObserverFuncs{
		OnStep: func(st tick.StepStats) {
			d.Observe(st.Duration.Seconds())
			l.Observe(st.Lateness.Seconds())
		},
		OnSkip: func(sk tick.SkipStats) { s.Add(float64(sk.Steps)) },
	}
}

// statsCollector reads engineio's and rooms' counters at scrape time.
type statsCollector struct {
	engine   func() engineio.Stats
	rooms    *rooms.Server
	types    func() []string // room types defined, listed even with no room
	draining func() bool
}

var (
	descSessions        = prometheus.NewDesc(MetricSessions, "Open Engine.IO sessions by transport.", []string{"transport"}, nil)
	descSessionsOpened  = prometheus.NewDesc(MetricSessionsOpened, "Engine.IO handshakes since start.", nil, nil)
	descUpgrades        = prometheus.NewDesc(MetricUpgrades, "Polling sessions upgraded to WebSocket.", nil, nil)
	descFramesOut       = prometheus.NewDesc(MetricFramesOut, "Engine.IO frames written to clients (messages and control packets).", nil, nil)
	descBytesOut        = prometheus.NewDesc(MetricBytesOut, "Engine.IO wire bytes of the frames written (before base64 and WebSocket framing).", nil, nil)
	descFramesDropped   = prometheus.NewDesc(MetricFramesDropped, "Droppable frames (state) a full send queue did not take.", nil, nil)
	descSlow            = prometheus.NewDesc(MetricSlowDisconnects, "Slow consumers disconnected: layer engineio = a non-droppable frame found the queue full, rooms = state frames kept being dropped.", []string{"layer"}, nil)
	descRooms           = prometheus.NewDesc(MetricRooms, "Live rooms by room type.", []string{"type"}, nil)
	descRoomsCreated    = prometheus.NewDesc(MetricRoomsCreated, "Rooms created.", nil, nil)
	descRoomsDisposed   = prometheus.NewDesc(MetricRoomsDisposed, "Rooms disposed (any reason).", nil, nil)
	descRoomPanics      = prometheus.NewDesc(MetricRoomPanics, "Rooms disposed because game code panicked.", nil, nil)
	descStateFrames     = prometheus.NewDesc(MetricStateFrames, "State frames queued to clients by kind.", []string{"kind"}, nil)
	descAbuse           = prometheus.NewDesc(MetricAbuseDisconnects, "Clients disconnected for flooding inputs, or rooms.list and lobby.subscribe.", nil, nil)
	descResumes         = prometheus.NewDesc(MetricResumes, "rooms.resume requests: hit_replay (missed deltas replayed), hit_snapshot (a snapshot, including every resume without a tick), miss (unknown, used or expired token).", []string{"result"}, nil)
	descInputsDropped   = prometheus.NewDesc(MetricInputsDropped, "Inputs not given to the game: stale (seq did not increase) or dropped (rate, size, full inbox, malformed, no seat).", []string{"reason"}, nil)
	descDraining        = prometheus.NewDesc(MetricDraining, "1 while the server drains after SIGTERM.", nil, nil)
	descRateLimited     = prometheus.NewDesc(MetricRateLimited, "Requests refused with code rate_limited: create (rooms.create, joinOrCreate that creates), list (rooms.list, lobby.subscribe).", []string{"request"}, nil)
	descRoomPauses      = prometheus.NewDesc(MetricRoomPauses, "Times a room paused its ticks because every seat was held for a dropped client.", nil, nil)
	allStatDescriptions = []*prometheus.Desc{descSessions, descSessionsOpened, descUpgrades, descFramesOut, descBytesOut,
		descFramesDropped, descSlow, descRooms, descRoomsCreated, descRoomsDisposed, descRoomPanics, descStateFrames,
		descAbuse, descResumes, descInputsDropped, descDraining, descRateLimited, descRoomPauses}
)

func (c *statsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range allStatDescriptions {
		ch <- d
	}
}

func (c *statsCollector) Collect(ch chan<- prometheus.Metric) {
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	e := c.engine()
	gauge(descSessions, float64(e.PollingSessions), engineio.TransportPolling)
	gauge(descSessions, float64(e.WebSocketSessions), engineio.TransportWebSocket)
	counter(descSessionsOpened, e.SessionsOpened)
	counter(descUpgrades, e.Upgrades)
	counter(descFramesOut, e.FramesOut)
	counter(descBytesOut, e.BytesOut)
	counter(descFramesDropped, e.DroppedFrames)
	counter(descSlow, e.SlowConsumerCloses, "engineio")
	drain := 0.0
	if c.draining() {
		drain = 1
	}
	gauge(descDraining, drain)
	r := c.rooms.Stats()
	byType := map[string]int{}
	for _, name := range c.types() {
		byType[name] = 0
	}
	for _, room := range c.rooms.Rooms() {
		byType[room.Name()]++
	}
	for name, n := range byType {
		gauge(descRooms, float64(n), name)
	}
	counter(descRoomsCreated, r.RoomsCreated)
	counter(descRoomsDisposed, r.RoomsDisposed)
	counter(descRoomPanics, r.RoomPanics)
	counter(descStateFrames, r.SnapshotsSent, "snapshot")
	counter(descStateFrames, r.DeltasSent, "delta")
	counter(descSlow, r.SlowDisconnects, "rooms")
	counter(descAbuse, r.AbuseDisconnects)
	counter(descResumes, r.ResumeReplays, "hit_replay")
	counter(descResumes, r.ResumeSnapshots, "hit_snapshot")
	counter(descResumes, r.ResumeFailures, "miss")
	counter(descInputsDropped, r.InputsStale, "stale")
	counter(descInputsDropped, r.InputsDropped, "dropped")
	counter(descRateLimited, r.CreatesLimited, "create")
	counter(descRateLimited, r.ListsLimited, "list")
	counter(descRoomPauses, r.RoomPauses)
}

// clusterCollectors are the metrics of a cluster node.
func clusterCollectors(n *cluster.Node) []prometheus.Collector {
	return []prometheus.Collector{
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: MetricRedisCommands,
			Help: "Redis commands this node sent (scripts count one each; the benchmark divides by joins and seconds).",
		}, func() float64 { return float64(n.Commands()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: MetricClusterUp,
			Help: "1 while this node's last heartbeat reached Redis (0: joins answer unavailable).",
		}, func() float64 {
			if n.Healthy() {
				return 1
			}
			return 0
		}),
	}
}
