package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
)

// systemTitle names a system in the comparison tables.
var systemTitle = map[string]string{
	"floor": "floor", "roomcast": "roomcast", "colyseus": "Colyseus 0.18", "socketio": "Socket.IO 4.8",
}

// printComparison prints the systems side by side, one column each, for
// every WebSocket CCU of the grid, with roomcast's ratios to the others,
// then the largest CCU held (grid and search), then long-polling. It prints
// nothing when only the floor and roomcast ran (printSummary's tables
// cover them).
func printComparison(w io.Writer, rows []Row) {
	var systems []string
	for _, s := range allSystems {
		if hasSystem(rows, s) {
			systems = append(systems, s)
		}
	}
	peers := false
	for _, s := range systems {
		peers = peers || isPeer(s)
	}
	if !peers {
		return
	}
	others := slices.DeleteFunc(slices.Clone(systems), func(s string) bool { return s == "roomcast" })
	byCCU := map[int]map[string]Row{}
	var ccus []int
	for _, r := range rows {
		if r.Transport != "websocket" || r.Quantized || r.Search {
			continue
		}
		if byCCU[r.CCU] == nil {
			byCCU[r.CCU] = map[string]Row{}
			ccus = append(ccus, r.CCU)
		}
		byCCU[r.CCU][r.System] = r
	}
	slices.Sort(ccus)

	fmt.Fprintln(w)
	head := "| figure (arena v1, WebSocket) |"
	sep := "|---|"
	for _, s := range systems {
		head += " " + systemTitle[s] + " |"
		sep += "---|"
	}
	if slices.Contains(systems, "roomcast") {
		for _, o := range others {
			head += " roomcast÷" + systemTitle[o] + " |"
			sep += "---|"
		}
	}
	fmt.Fprintln(w, head)
	fmt.Fprintln(w, sep)

	type measure struct {
		name  string
		value func(Row) (float64, bool)
		cell  func(Row) string
	}
	num := func(f func(Row) float64, format string) (func(Row) (float64, bool), func(Row) string) {
		return func(r Row) (float64, bool) { v := f(r); return v, v > 0 && !math.IsNaN(v) },
			func(r Row) string {
				v := f(r)
				if v <= 0 || math.IsNaN(v) {
					return "–"
				}
				return fmt.Sprintf(format, v)
			}
	}
	mk := func(name string, f func(Row) float64, format string) measure {
		v, c := num(f, format)
		return measure{name, v, c}
	}
	measures := []measure{
		mk("server CPU µs per client-second", func(r Row) float64 { return r.ServerCPUUsPerClientS }, "%.0f"),
		mk("server CPU µs per frame delivered", func(r Row) float64 { return perFrame(r.ServerCPUUsPerClientS, r) }, "%.1f"),
		mk("server RSS MB", func(r Row) float64 { return r.ServerRSSMB }, "%.1f"),
		mk("bytes down per client-second", func(r Row) float64 { return r.DownBytesPerClientS }, "%.0f"),
		mk("ack p50 ms", func(r Row) float64 { return r.AckP50Ms }, "%.1f"),
		mk("ack p99 ms", func(r Row) float64 { return r.AckP99Ms }, "%.1f"),
		mk("tick lateness p99 ms", func(r Row) float64 { return r.TickLatenessP99Ms }, "%.1f"),
		mk("frames per client-second", func(r Row) float64 { return r.FramesPerClientS }, "%.2f"),
		mk("load generator µs per client-second", func(r Row) float64 { return r.ClientCPUUsPerClientS }, "%.0f"),
		{"held", func(Row) (float64, bool) { return 0, false }, func(r Row) string {
			if r.KeptUp {
				return "yes"
			}
			return "no"
		}},
	}
	for _, n := range ccus {
		at := byCCU[n]
		for _, m := range measures {
			line := fmt.Sprintf("| %s, %d CCU |", m.name, n)
			for _, s := range systems {
				r, ok := at[s]
				if !ok {
					line += " |"
					continue
				}
				line += " " + m.cell(r) + " |"
			}
			if slices.Contains(systems, "roomcast") {
				rc, okR := at["roomcast"]
				for _, o := range others {
					r, ok := at[o]
					a, okA := m.value(rc)
					b, okB := m.value(r)
					if ok && okR && okA && okB {
						line += fmt.Sprintf(" %.2f |", a/b)
					} else {
						line += " |"
					}
				}
			}
			fmt.Fprintln(w, line)
		}
	}
	// largest CCU held over every WebSocket run (grid and search)
	line := "| largest CCU held (grid and search) |"
	held := map[string]int{}
	tried := map[string][]int{}
	for _, s := range systems {
		for n, ok := range heldRuns(rows, s) {
			tried[s] = append(tried[s], n)
			if ok && n > held[s] {
				held[s] = n
			}
		}
		slices.Sort(tried[s])
		line += fmt.Sprintf(" %d |", held[s])
	}
	if slices.Contains(systems, "roomcast") {
		for _, o := range others {
			if held[o] > 0 {
				line += fmt.Sprintf(" %.2f |", float64(held["roomcast"])/float64(held[o]))
			} else {
				line += " |"
			}
		}
	}
	fmt.Fprintln(w, line)
	fmt.Fprintln(w)
	for _, s := range systems {
		var t []string
		for _, n := range tried[s] {
			mark := "not held"
			if heldRuns(rows, s)[n] {
				mark = "held"
			}
			t = append(t, fmt.Sprintf("%d %s", n, mark))
		}
		fmt.Fprintf(w, "- %s: %s\n", systemTitle[s], strings.Join(t, ", "))
	}
	printPolling(w, rows)
}

// printPolling compares long-polling CPU per client between roomcast and
// Socket.IO at each polling CCU that both ran.
func printPolling(w io.Writer, rows []Row) {
	by := map[int]map[string]Row{}
	var ccus []int
	for _, r := range rows {
		if r.Transport != "polling" {
			continue
		}
		if by[r.CCU] == nil {
			by[r.CCU] = map[string]Row{}
			ccus = append(ccus, r.CCU)
		}
		by[r.CCU][r.System] = r
	}
	slices.Sort(ccus)
	printed := false
	for _, n := range ccus {
		rc, ok1 := by[n]["roomcast"]
		so, ok2 := by[n]["socketio"]
		if !ok1 || !ok2 {
			continue
		}
		if !printed {
			fmt.Fprintln(w)
			fmt.Fprintln(w, "| long-polling CCU | roomcast server µs/client-s | Socket.IO 4.8 server µs/client-s | Socket.IO÷roomcast (per client-s) | (per frame) | roomcast / Socket.IO ack p50/p99 ms | roomcast / Socket.IO bytes down per client-s |")
			fmt.Fprintln(w, "|---|---|---|---|---|---|---|")
			printed = true
		}
		ratio, ratioF := "–", "–"
		if rc.ServerCPUUsPerClientS > 0 {
			ratio = fmt.Sprintf("%.2f", so.ServerCPUUsPerClientS/rc.ServerCPUUsPerClientS)
			ratioF = fmt.Sprintf("%.2f", perFrame(so.ServerCPUUsPerClientS, so)/perFrame(rc.ServerCPUUsPerClientS, rc))
		}
		fmt.Fprintf(w, "| %d | %.0f | %.0f | %s | %s | %.1f/%.1f / %.1f/%.1f | %.0f / %.0f |\n", n, rc.ServerCPUUsPerClientS, so.ServerCPUUsPerClientS,
			ratio, ratioF, rc.AckP50Ms, rc.AckP99Ms, so.AckP50Ms, so.AckP99Ms, rc.DownBytesPerClientS, so.DownBytesPerClientS)
	}
}
