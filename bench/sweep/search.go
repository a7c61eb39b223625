package main

// searchConfig bounds the search for a system's largest CCU held: after
// the grid, up to runs more runs per system, each at the CCU next returns.
type searchConfig struct {
	runs, step, max int
}

// heldRuns is, for one system, whether each CCU it ran over WebSocket
// (float32 positions) was held ("kept up", the sweep's definition).
func heldRuns(rows []Row, sys string) map[int]bool {
	out := map[int]bool{}
	for _, r := range rows {
		if r.System == sys && r.Transport == "websocket" && !r.Quantized {
			out[r.CCU] = r.KeptUp
		}
	}
	return out
}

// next returns the CCU to try next, or 0 when the search is done. lo is the
// largest CCU held and hi the smallest CCU above lo that was not: it
// bisects [lo, hi] to within step (probes are multiples of step). With
// nothing failed above lo it tries 1.5 × lo, up to max.
func (s searchConfig) next(runs map[int]bool) int {
	step := max(s.step, 1)
	lo, hi := 0, 0
	for n, held := range runs {
		if held && n > lo {
			lo = n
		}
	}
	for n, held := range runs {
		if !held && n > lo && (hi == 0 || n < hi) {
			hi = n
		}
	}
	if len(runs) == 0 {
		return 0
	}
	var probe int
	if hi == 0 {
		if lo >= s.max {
			return 0
		}
		probe = min(s.max, roundUp(lo+lo/2, step))
	} else {
		if hi-lo <= step {
			return 0
		}
		probe = roundUp(lo+(hi-lo)/2, step)
		if probe >= hi {
			probe = hi - step
		}
		if probe <= lo {
			return 0
		}
	}
	if _, tried := runs[probe]; tried {
		return 0
	}
	return probe
}

func roundUp(n, step int) int { return (n + step - 1) / step * step }
