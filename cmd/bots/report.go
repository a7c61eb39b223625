package main

import (
	"encoding/json"
	"fmt"
	"html"
	"math"
	"os"
	"strings"
	"time"

	"github.com/roomcast/roomcast/bots"
)

// writeReport writes a self-contained HTML page (inline SVG, no scripts or
// network) with the results and what each means, the ack-latency
// histogram, and CPU, frames and latency over time with the ramp, the
// warm-up and the measurement window marked.
func writeReport(path string, r *Result, series []point, ph phases, hist bots.HistogramSnapshot) error {
	var b strings.Builder
	b.WriteString(`<!doctype html><html><head><meta charset="utf-8"><title>roomcast bots report</title><style>
body{font:14px system-ui,sans-serif;margin:2em;color:#222}h1{font-size:20px}h2{font-size:16px;margin-top:2em}
table{border-collapse:collapse}td{padding:2px 10px;border-bottom:1px solid #eee}td:first-child{color:#555}
.ok{color:#070}.bad{color:#b00}.note{color:#555}svg{background:#fafafa;border:1px solid #ddd}text{font:11px sans-serif}
td.doc{color:#555;font-size:13px;max-width:44em}
</style></head><body>`)
	fmt.Fprintf(&b, "<h1>roomcast bots: %s, %d bots, %s + %s</h1>", html.EscapeString(r.Scenario), r.Bots,
		html.EscapeString(r.Transport), html.EscapeString(r.Parser))
	if r.KeptUp {
		b.WriteString(`<p class="ok">Server kept up.</p>`)
	} else {
		fmt.Fprintf(&b, `<p class="bad">Behind: %s</p>`, html.EscapeString(strings.Join(r.Behind, "; ")))
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, `<p class="note">Note: %s.</p>`, html.EscapeString(n))
	}
	b.WriteString("<table>")
	var m map[string]any
	raw, _ := json.Marshal(r)
	_ = json.Unmarshal(raw, &m)
	for _, k := range sortedKeys(raw) {
		fmt.Fprintf(&b, `<tr><td>%s</td><td>%v</td><td class="doc">%s</td></tr>`, html.EscapeString(k),
			html.EscapeString(fmt.Sprint(m[k])), html.EscapeString(fieldDocs[k]))
	}
	b.WriteString("</table>")
	b.WriteString(`<p class="note">The time plots below shade the phases of the run: ` + phaseLegend +
		`. The results above cover the measurement window only; the plots show every second of the run.</p>`)

	b.WriteString("<h2>Input → ack latency (measurement window)</h2>")
	b.WriteString(histogramSVG(hist))
	b.WriteString("<h2>CPU over time (% of one core)</h2>")
	cpu := []seriesDef{{"swarm", "#36c", func(p point) (float64, bool) { return p.SwarmCPUPct, true }}}
	if r.ServerMeasured {
		cpu = append(cpu, seriesDef{"server", "#c33", func(p point) (float64, bool) { return p.ServerCPUPct, p.ServerOK }})
	} else {
		b.WriteString(`<p class="note">The server's CPU was not measured (run with -pid or -metrics); only the swarm's is shown.</p>`)
	}
	b.WriteString(lineSVG(series, ph, cpu))
	b.WriteString("<h2>State frames per bot per second</h2>")
	b.WriteString(lineSVG(series, ph, []seriesDef{{"frames/s/bot", "#393", func(p point) (float64, bool) { return p.FramesPerBot, true }}}))
	b.WriteString("<h2>Ack latency per second (ms)</h2>")
	b.WriteString(lineSVG(series, ph, []seriesDef{
		{"p50", "#36c", func(p point) (float64, bool) { return p.AckP50Ms, true }},
		{"p99", "#c33", func(p point) (float64, bool) { return p.AckP99Ms, true }},
	}))
	b.WriteString("<h2>Bots joined</h2>")
	b.WriteString(lineSVG(series, ph, []seriesDef{{"joined", "#555", func(p point) (float64, bool) { return float64(p.Joined), true }}}))
	fmt.Fprintf(&b, "<p>Generated %s.</p></body></html>\n", time.Now().UTC().Format(time.RFC3339))
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// sortedKeys returns the JSON object's keys in their written order.
func sortedKeys(raw []byte) []string {
	var keys []string
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	_, _ = dec.Token()
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			break
		}
		if k, ok := t.(string); ok {
			keys = append(keys, k)
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			break
		}
	}
	return keys
}

type seriesDef struct {
	name  string
	color string
	get   func(point) (float64, bool) // false: no value at this point
}

// Phase shading of the time plots.
const (
	rampFill    = "#eeeeee"
	warmupFill  = "#fff2cc"
	windowFill  = "#e2f0d9"
	phaseLegend = `grey: bots connecting and joining (ramp); yellow: warm-up, not measured; green: the measurement window`
)

// fieldDocs explains the result fields in words.
var fieldDocs = map[string]string{
	"scenario":                   "What the bots did (-scenario): arena moves, churn adds leaves/rejoins and drops/resumes, idle only sits, clicker clicks and checks its score.",
	"transport":                  "How bots reach the server: websocket, polling, or polling upgraded to websocket.",
	"parser":                     "Socket.IO wire format: msgpack (binary) or default (JSON text plus binary attachments).",
	"bots":                       "Bots asked for (concurrent users).",
	"rooms":                      "Rooms the bots were spread over.",
	"joined":                     "Bots seated in a room at the end of the window.",
	"cores":                      "CPU cores of this machine (server and swarm share them).",
	"window_s":                   "Length of the measurement window in seconds; every rate below is averaged over it.",
	"tick_rate":                  "Ticks per second the server announced in its join replies (tickRate); 'kept up' expects about one state frame per tick when the scenario changes the state every tick.",
	"frames_per_client_s":        "State frames (snapshots and deltas) each bot received per second, on average.",
	"frames_per_client_s_min":    "The same for the bot that received the fewest: a starved bot shows here.",
	"down_bytes_per_client_s":    "Bytes per second from server to each bot (Engine.IO payloads: state, acks, pings).",
	"up_bytes_per_client_s":      "Bytes per second from each bot to the server (inputs, pongs).",
	"state_bytes_per_client_s":   "Of the downstream bytes, the state payloads alone.",
	"inputs_per_client_s":        "Inputs each bot sent per second.",
	"ack_p50_ms":                 "Median time from sending an input until a state frame acknowledged it (input to ack latency).",
	"ack_p99_ms":                 "99th percentile of that latency; above 250 ms the server is counted as behind.",
	"ack_max_ms":                 "Slowest acknowledgement in the window.",
	"ack_samples":                "Inputs acknowledged in the window (the latency figures' sample size).",
	"server_measured":            "Whether the server's CPU and memory were read (-pid reads /proc, -metrics its /metrics); without, the server_* fields are absent.",
	"server_cpu_pct":             "Server CPU during the window, in % of one core (200 = two cores busy).",
	"server_cpu_us_per_client_s": "Server CPU microseconds per bot per second: the cost of one player.",
	"server_rss_mb":              "Server resident memory at the end of the window, MiB.",
	"server_rss_max_mb":          "Largest server resident memory seen in the window, MiB.",
	"swarm_cpu_pct":              "This program's CPU during the window, % of one core: it competes with the server on the same machine.",
	"swarm_cpu_us_per_bot_s":     "Swarm CPU microseconds per bot per second.",
	"swarm_rss_mb":               "This program's resident memory, MiB.",
	"connect_errors":             "Connections that failed (whole run).",
	"join_errors":                "Create or join requests that failed (whole run).",
	"disconnects":                "Connections the server or the network closed (whole run).",
	"resumes":                    "Seats taken back after a dropped connection (rooms.resume).",
	"resume_failures":            "Seats that could not be taken back.",
	"mirror_errors":              "State frames a bot's mirror could not apply (with -mirror or a scenario that reads the state).",
	"checksums":                  "State checksums the bots verified against their mirrors (whole run; needs -mirror, or a scenario with a mirror, and a room type that sends checksums).",
	"desyncs":                    "State frames whose checksum did not match the bot's mirror after applying them; each bot then resyncs with a snapshot. Any is a bug.",
	"check_failures":             "The scenario's own checks that failed (the clicker checks that the room counts every click).",
	"churn_ops":                  "Churn actions performed (churn scenario).",
	"churn_errors":               "Churn actions that failed.",
	"kept_up":                    "Whether the server kept up: all bots joined, enough frames per tick, ack p99 at most 250 ms, server CPU below 95 % of the cores, no desyncs or failed checks.",
	"behind":                     "Which of those conditions failed.",
	"notes":                      "What this run could not judge or measure.",
	"partial":                    "The run was cut short (signal or -max-time) before the window ended.",
}

const (
	svgW, svgH   = 720, 220
	padL, padR   = 50, 110
	padT, padB   = 10, 30
	plotW, plotH = svgW - padL - padR, svgH - padT - padB
)

func niceMax(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

func lineSVG(series []point, ph phases, defs []seriesDef) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<svg width="%d" height="%d">`, svgW, svgH)
	if len(series) == 0 {
		b.WriteString(`<text x="20" y="20">no data</text></svg>`)
		return b.String()
	}
	tMax := series[len(series)-1].T
	if tMax <= 0 {
		tMax = 1
	}
	yMax := 0.0
	for _, d := range defs {
		for _, p := range series {
			if v, ok := d.get(p); ok {
				yMax = math.Max(yMax, v)
			}
		}
	}
	yMax = niceMax(yMax)
	phaseBands(&b, ph, tMax)
	axes(&b, tMax, yMax, "s")
	for i, d := range defs {
		var pts []string
		for _, p := range series {
			v, ok := d.get(p)
			if !ok {
				continue
			}
			x := padL + p.T/tMax*plotW
			y := padT + plotH - v/yMax*plotH
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x, y))
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="1.5" points="%s"/>`, d.color, strings.Join(pts, " "))
		fmt.Fprintf(&b, `<text x="%d" y="%d" fill="%s">%s</text>`, svgW-padR+8, padT+14+16*i, d.color, html.EscapeString(d.name))
	}
	b.WriteString("</svg>")
	return b.String()
}

// phaseBands shades the ramp, the warm-up and the measurement window
// (each band ends at the next phase's start, or at the plot's end if the
// run stopped in it).
func phaseBands(b *strings.Builder, ph phases, tMax float64) {
	x := func(t float64) float64 { return padL + math.Min(t, tMax)/tMax*plotW }
	band := func(from, to float64, fill, title string) {
		if to <= from {
			return
		}
		fmt.Fprintf(b, `<rect class="phase-%s" x="%.1f" y="%d" width="%.1f" height="%d" fill="%s"><title>%s</title></rect>`,
			title, x(from), padT, x(to)-x(from), plotH, fill, title)
	}
	end := func(t float64) float64 {
		if t <= 0 {
			return tMax
		}
		return t
	}
	band(0, end(ph.RampEnd), rampFill, "ramp")
	if ph.RampEnd > 0 {
		band(ph.RampEnd, end(ph.WindowStart), warmupFill, "warm-up")
	}
	if ph.WindowStart > 0 {
		band(ph.WindowStart, end(ph.WindowEnd), windowFill, "measurement")
	}
}

func axes(b *strings.Builder, xMax, yMax float64, xUnit string) {
	fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#888"/>`, padL, padT+plotH, padL+plotW, padT+plotH)
	fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#888"/>`, padL, padT, padL, padT+plotH)
	for i := 0; i <= 4; i++ {
		y := padT + plotH - float64(i)/4*plotH
		fmt.Fprintf(b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#e4e4e4"/>`, padL, y, padL+plotW, y)
		fmt.Fprintf(b, `<text x="%d" y="%.1f" text-anchor="end">%s</text>`, padL-4, y+4, fmtNum(yMax*float64(i)/4))
		x := padL + float64(i)/4*plotW
		fmt.Fprintf(b, `<text x="%.1f" y="%d" text-anchor="middle">%s%s</text>`, x, svgH-10, fmtNum(xMax*float64(i)/4), xUnit)
	}
}

func fmtNum(v float64) string {
	if v == math.Trunc(v) {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.3g", v)
}

// histogramSVG draws the latency histogram on a log-scaled time axis.
func histogramSVG(h bots.HistogramSnapshot) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<svg width="%d" height="%d">`, svgW, svgH)
	if h.Total == 0 {
		b.WriteString(`<text x="20" y="20">no samples</text></svg>`)
		return b.String()
	}
	type bar struct {
		upper time.Duration
		n     int64
	}
	var bars []bar
	h.Buckets(func(u time.Duration, n int64) { bars = append(bars, bar{u, n}) })
	lo := math.Log10(math.Max(float64(bars[0].upper.Microseconds()), 1))
	hi := math.Log10(math.Max(float64(bars[len(bars)-1].upper.Microseconds()), 10))
	lo, hi = math.Floor(lo), math.Ceil(hi)
	if hi <= lo {
		hi = lo + 1
	}
	var nMax int64
	for _, br := range bars {
		nMax = max(nMax, br.n)
	}
	yMax := niceMax(float64(nMax))
	// axes with decades
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#888"/>`, padL, padT+plotH, padL+plotW, padT+plotH)
	for d := lo; d <= hi; d++ {
		x := padL + (d-lo)/(hi-lo)*plotW
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#e4e4e4"/>`, x, padT, x, padT+plotH)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`, x, svgH-10, time.Duration(math.Pow(10, d))*time.Microsecond)
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end">%s</text>`, padL-4, padT+10, fmtNum(yMax))
	for _, br := range bars {
		x := padL + (math.Log10(math.Max(float64(br.upper.Microseconds()), 1))-lo)/(hi-lo)*plotW
		bh := float64(br.n) / yMax * plotH
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="3" height="%.1f" fill="#36c"><title>≤ %s: %d</title></rect>`,
			x-1.5, padT+plotH-bh, bh, br.upper, br.n)
	}
	for i, q := range []float64{0.5, 0.99} {
		v := h.Quantile(q)
		x := padL + (math.Log10(math.Max(float64(v.Microseconds()), 1))-lo)/(hi-lo)*plotW
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#c33" stroke-dasharray="4 3"/>`, x, padT, x, padT+plotH)
		fmt.Fprintf(&b, `<text x="%d" y="%d" fill="#c33">p%g %s</text>`, svgW-padR+8, padT+14+16*i, q*100, v)
	}
	b.WriteString("</svg>")
	return b.String()
}
