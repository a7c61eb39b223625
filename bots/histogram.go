package bots

import (
	"math/bits"
	"sync/atomic"
	"time"
)

// Histogram records durations in log-linear buckets (16 per power of two,
// so a quantile is within ~6 % of the true value) from 1 µs to about 68
// minutes. Record is lock-free and safe for concurrent use; many bots may
// share one Histogram.
type Histogram struct {
	counts [histBuckets]atomic.Int64
	total  atomic.Int64
	sum    atomic.Int64 // µs
	max    atomic.Int64 // µs
}

const (
	histSub     = 16 // sub-buckets per power of two
	histSubBits = 4
	histBuckets = 32 * histSub
)

// bucketOf maps microseconds to a bucket.
func bucketOf(us int64) int {
	if us < histSub {
		if us < 0 {
			return 0
		}
		return int(us)
	}
	exp := bits.Len64(uint64(us)) - 1 // >= histSubBits
	sub := int(us>>(exp-histSubBits)) & (histSub - 1)
	b := (exp-histSubBits+1)*histSub + sub
	if b >= histBuckets {
		return histBuckets - 1
	}
	return b
}

// bucketUpper is the largest value (µs) of bucket b.
func bucketUpper(b int) int64 {
	if b < histSub {
		return int64(b)
	}
	exp := b/histSub + histSubBits - 1
	sub := int64(b % histSub)
	return ((histSub+sub+1)<<(exp-histSubBits) - 1)
}

// Record adds one duration.
func (h *Histogram) Record(d time.Duration) {
	us := d.Microseconds()
	h.counts[bucketOf(us)].Add(1)
	h.total.Add(1)
	h.sum.Add(us)
	for {
		m := h.max.Load()
		if us <= m || h.max.CompareAndSwap(m, us) {
			return
		}
	}
}

// HistogramSnapshot is a point-in-time copy of a Histogram.
type HistogramSnapshot struct {
	Counts [histBuckets]int64
	Total  int64
	SumUS  int64
	MaxUS  int64
}

// Snapshot copies the current counts.
func (h *Histogram) Snapshot() HistogramSnapshot {
	var s HistogramSnapshot
	for i := range h.counts {
		s.Counts[i] = h.counts[i].Load()
	}
	s.Total, s.SumUS, s.MaxUS = h.total.Load(), h.sum.Load(), h.max.Load()
	return s
}

// Sub returns s minus an earlier snapshot of the same histogram (the
// recordings in between; MaxUS stays s's).
func (s HistogramSnapshot) Sub(old HistogramSnapshot) HistogramSnapshot {
	out := s
	for i := range out.Counts {
		out.Counts[i] -= old.Counts[i]
	}
	out.Total -= old.Total
	out.SumUS -= old.SumUS
	return out
}

// Quantile returns the q-quantile (0..1) as an upper bucket bound; 0 when
// empty.
func (s HistogramSnapshot) Quantile(q float64) time.Duration {
	if s.Total == 0 {
		return 0
	}
	rank := int64(q*float64(s.Total) + 0.5)
	if rank < 1 {
		rank = 1
	}
	var seen int64
	for b, n := range s.Counts {
		seen += n
		if seen >= rank {
			return time.Duration(bucketUpper(b)) * time.Microsecond
		}
	}
	return time.Duration(s.MaxUS) * time.Microsecond
}

// Mean returns the mean duration.
func (s HistogramSnapshot) Mean() time.Duration {
	if s.Total == 0 {
		return 0
	}
	return time.Duration(s.SumUS/s.Total) * time.Microsecond
}

// Buckets calls fn for every non-empty bucket with its upper bound.
func (s HistogramSnapshot) Buckets(fn func(upper time.Duration, count int64)) {
	for b, n := range s.Counts {
		if n > 0 {
			fn(time.Duration(bucketUpper(b))*time.Microsecond, n)
		}
	}
}
