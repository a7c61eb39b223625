package bots

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// ProcStat is a process's CPU time and resident memory.
type ProcStat struct {
	CPU time.Duration // user + system
	RSS int64         // bytes
}

// clockTicks is USER_HZ, 100 on every Linux architecture Go runs on.
const clockTicks = 100

// ReadProcStat reads /proc/PID/stat (utime, stime) and /proc/PID/status
// (VmRSS) of a Linux process.
func ReadProcStat(pid int) (ProcStat, error) {
	var ps ProcStat
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ps, fmt.Errorf("bots: read stat of pid %d: %w", pid, err)
	}
	// the command name (field 2) may hold spaces: fields start after ')'
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return ps, fmt.Errorf("bots: malformed /proc/%d/stat", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state); utime is field 14, stime 15
	if len(f) < 13 {
		return ps, fmt.Errorf("bots: short /proc/%d/stat", pid)
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return ps, fmt.Errorf("bots: parse /proc/%d/stat times", pid)
	}
	ps.CPU = time.Duration(ut+st) * time.Second / clockTicks
	s, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return ps, fmt.Errorf("bots: read status of pid %d: %w", pid, err)
	}
	sc := bufio.NewScanner(bytes.NewReader(s))
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err == nil {
				ps.RSS = kb * 1024
			}
		}
	}
	return ps, nil
}

// ReadMetricsStat reads process_cpu_seconds_total and
// process_resident_memory_bytes from a Prometheus text endpoint.
func ReadMetricsStat(ctx context.Context, hc *http.Client, url string) (ProcStat, error) {
	var ps ProcStat
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return ps, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return ps, fmt.Errorf("bots: GET %s: %w", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return ps, fmt.Errorf("bots: read %s: %w", url, err)
	}
	found := 0
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		name, val, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		switch name {
		case "process_cpu_seconds_total":
			if v, err := strconv.ParseFloat(strings.TrimSpace(val), 64); err == nil {
				ps.CPU = time.Duration(v * float64(time.Second))
				found++
			}
		case "process_resident_memory_bytes":
			if v, err := strconv.ParseFloat(strings.TrimSpace(val), 64); err == nil {
				ps.RSS = int64(v)
				found++
			}
		}
	}
	if found == 0 {
		return ps, fmt.Errorf("bots: %s has no process_cpu_seconds_total / process_resident_memory_bytes", url)
	}
	return ps, nil
}
