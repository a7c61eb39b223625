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
// network) with the results, the ack-latency histogram, and CPU, frames
// and latency over time.
func writeReport(path string, r *Result, series []point, hist bots.HistogramSnapshot) error {
	var b strings.Builder
	b.WriteString(`<!doctype html><html><head><meta charset="utf-8"><title>roomcast bots report</title><style>
body{font:14px system-ui,sans-serif;margin:2em;color:#222}h1{font-size:20px}h2{font-size:16px;margin-top:2em}
table{border-collapse:collapse}td{padding:2px 10px;border-bottom:1px solid #eee}td:first-child{color:#555}
.ok{color:#070}.bad{color:#b00}svg{background:#fafafa;border:1px solid #ddd}text{font:11px sans-serif}
</style></head><body>`)
	fmt.Fprintf(&b, "<h1>roomcast bots: %s, %d bots, %s + %s</h1>", html.EscapeString(r.Scenario), r.Bots,
		html.EscapeString(r.Transport), html.EscapeString(r.Parser))
	if r.KeptUp {
		b.WriteString(`<p class="ok">Server kept up.</p>`)
	} else {
		fmt.Fprintf(&b, `<p class="bad">Behind: %s</p>`, html.EscapeString(strings.Join(r.Behind, "; ")))
	}
	b.WriteString("<table>")
	var m map[string]any
	raw, _ := json.Marshal(r)
	_ = json.Unmarshal(raw, &m)
	for _, k := range sortedKeys(raw) {
		fmt.Fprintf(&b, "<tr><td>%s</td><td>%v</td></tr>", html.EscapeString(k), html.EscapeString(fmt.Sprint(m[k])))
	}
	b.WriteString("</table>")

	b.WriteString("<h2>Input → ack latency (measurement window)</h2>")
	b.WriteString(histogramSVG(hist))
	b.WriteString("<h2>CPU over time (% of one core)</h2>")
	b.WriteString(lineSVG(series, []seriesDef{
		{"server", "#c33", func(p point) float64 { return p.ServerCPUPct }},
		{"swarm", "#36c", func(p point) float64 { return p.SwarmCPUPct }},
	}))
	b.WriteString("<h2>State frames per bot per second</h2>")
	b.WriteString(lineSVG(series, []seriesDef{{"frames/s/bot", "#393", func(p point) float64 { return p.FramesPerBot }}}))
	b.WriteString("<h2>Ack latency per second (ms)</h2>")
	b.WriteString(lineSVG(series, []seriesDef{
		{"p50", "#36c", func(p point) float64 { return p.AckP50Ms }},
		{"p99", "#c33", func(p point) float64 { return p.AckP99Ms }},
	}))
	b.WriteString("<h2>Bots joined</h2>")
	b.WriteString(lineSVG(series, []seriesDef{{"joined", "#555", func(p point) float64 { return float64(p.Joined) }}}))
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
	get   func(point) float64
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

func lineSVG(series []point, defs []seriesDef) string {
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
			yMax = math.Max(yMax, d.get(p))
		}
	}
	yMax = niceMax(yMax)
	axes(&b, tMax, yMax, "s")
	for i, d := range defs {
		var pts []string
		for _, p := range series {
			x := padL + p.T/tMax*plotW
			y := padT + plotH - d.get(p)/yMax*plotH
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x, y))
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="1.5" points="%s"/>`, d.color, strings.Join(pts, " "))
		fmt.Fprintf(&b, `<text x="%d" y="%d" fill="%s">%s</text>`, svgW-padR+8, padT+14+16*i, d.color, html.EscapeString(d.name))
	}
	b.WriteString("</svg>")
	return b.String()
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
