package hostile

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// Metrics is one scrape of a Prometheus text endpoint: every sample by its
// full series name (name{labels} as the server wrote it).
type Metrics map[string]float64

// ScrapeMetrics reads url (a server's /metrics).
func ScrapeMetrics(ctx context.Context, hc *http.Client, url string) (Metrics, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("hostile: metrics request: %w", err)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("hostile: GET %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("hostile: GET %s: status %d", url, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, fmt.Errorf("hostile: read %s: %w", url, err)
	}
	return ParseMetrics(body), nil
}

// ParseMetrics parses the Prometheus text format (comments skipped,
// malformed lines ignored).
func ParseMetrics(body []byte) Metrics {
	m := Metrics{}
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i <= 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			continue
		}
		m[line[:i]] = v
	}
	return m
}

// Sum adds every series of metric name whose labels contain each of
// labels (like `type="arena"`).
func (m Metrics) Sum(name string, labels ...string) float64 {
	var s float64
	for k, v := range m {
		if seriesName(k) != name || !hasLabels(k, labels) {
			continue
		}
		s += v
	}
	return s
}

func seriesName(series string) string {
	if i := strings.IndexByte(series, '{'); i >= 0 {
		return series[:i]
	}
	return series
}

func hasLabels(series string, labels []string) bool {
	for _, l := range labels {
		if !strings.Contains(series, l) {
			return false
		}
	}
	return true
}

// Bucket is one cumulative histogram bucket.
type Bucket struct {
	LE    float64 // upper bound; +Inf for the last
	Count float64 // observations ≤ LE
}

// Histogram returns the cumulative buckets of histogram name whose labels
// contain labels, sorted by bound (series with other labels summed).
func (m Metrics) Histogram(name string, labels ...string) []Bucket {
	byLE := map[float64]float64{}
	for k, v := range m {
		if seriesName(k) != name+"_bucket" || !hasLabels(k, labels) {
			continue
		}
		le, ok := labelValue(k, "le")
		if !ok {
			continue
		}
		f, err := strconv.ParseFloat(le, 64)
		if err != nil {
			continue
		}
		byLE[f] += v
	}
	out := make([]Bucket, 0, len(byLE))
	for le, c := range byLE {
		out = append(out, Bucket{LE: le, Count: c})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].LE < out[j].LE })
	return out
}

func labelValue(series, label string) (string, bool) {
	_, rest, ok := strings.Cut(series, label+`="`)
	if !ok {
		return "", false
	}
	v, _, ok := strings.Cut(rest, `"`)
	return v, ok
}

// HistogramDelta is after minus before, bucket by bucket (the
// observations between two scrapes).
func HistogramDelta(before, after []Bucket) []Bucket {
	prev := map[float64]float64{}
	for _, b := range before {
		prev[b.LE] = b.Count
	}
	out := make([]Bucket, len(after))
	for i, b := range after {
		out[i] = Bucket{LE: b.LE, Count: b.Count - prev[b.LE]}
	}
	return out
}

// Quantile estimates quantile q (0..1) of cumulative buckets by linear
// interpolation inside the bucket that holds it, as Prometheus's
// histogram_quantile does; NaN when there are no observations. A
// quantile in the +Inf bucket is reported as the largest finite bound.
func Quantile(q float64, buckets []Bucket) float64 {
	if len(buckets) == 0 {
		return math.NaN()
	}
	total := buckets[len(buckets)-1].Count
	if total <= 0 {
		return math.NaN()
	}
	rank := q * total
	lower, below := 0.0, 0.0
	for _, b := range buckets {
		if b.Count >= rank {
			if math.IsInf(b.LE, 1) {
				return lower
			}
			in := b.Count - below
			if in <= 0 {
				return b.LE
			}
			return lower + (b.LE-lower)*(rank-below)/in
		}
		lower, below = b.LE, b.Count
	}
	return lower
}
