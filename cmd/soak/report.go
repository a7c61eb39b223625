package main

import (
	"context"
	"fmt"
)

// report prints the checks and whether they all held.
func (s *soak) report(ctx context.Context) (bool, error) {
	if len(s.samples) < 2 {
		return false, fmt.Errorf("too few samples (%d): make -duration longer than 2×-sample", len(s.samples))
	}
	// goroutines and RSS move with the polling requests in flight: compare
	// the mean of the first third of the samples with the last third's
	third := max(1, len(s.samples)/3)
	first := meanSample(s.samples[:third])
	last := meanSample(s.samples[len(s.samples)-third:])
	last.seated = s.samples[len(s.samples)-1].seated
	var peakG, peakRSS float64
	for _, sm := range s.samples {
		peakG, peakRSS = max(peakG, sm.goroutines), max(peakRSS, sm.rss)
	}
	lost := s.opt.ccu - last.seated
	growth := func(a, b float64) float64 {
		if a == 0 {
			return 0
		}
		return (b - a) / a
	}
	gGrowth, rssGrowth := growth(first.goroutines, last.goroutines), growth(first.rss, last.rss)
	// the churn asked for: ccu×churn a minute over the run
	wantChurn := float64(s.opt.ccu) * s.opt.churn * s.opt.duration.Minutes()
	churned := float64(s.churnOps.Load())
	checks := []struct {
		name string
		ok   bool
		got  string
	}{
		{"0 failed joins at the ramp", s.joinFails.Load() == 0, fmt.Sprint(s.joinFails.Load())},
		{fmt.Sprintf("churn %.0f %% a minute", 100*s.opt.churn), churned >= 0.95*wantChurn,
			fmt.Sprintf("%.0f actions of %.0f (%.1f %% of the players a minute)", churned, wantChurn, 100*churned/float64(s.opt.ccu)/s.opt.duration.Minutes())},
		{"0 lost seats", lost == 0, fmt.Sprintf("%d (seated %d of %d)", lost, last.seated, s.opt.ccu)},
		{"0 failed resumes", s.resumeFails.Load() == 0, fmt.Sprintf("%d of %d", s.resumeFails.Load(), s.resumeFails.Load()+s.resumes.Load())},
		{"0 failed rejoins", s.rejoinFails.Load() == 0, fmt.Sprintf("%d of %d", s.rejoinFails.Load(), s.rejoinFails.Load()+s.rejoins.Load())},
		{fmt.Sprintf("goroutines flat (within %.0f %%)", 100*s.opt.flat), gGrowth <= s.opt.flat,
			fmt.Sprintf("%.0f → %.0f (%+.1f %%, means of the first and last thirds), peak %.0f", first.goroutines, last.goroutines, 100*gGrowth, peakG)},
		{fmt.Sprintf("RSS flat (within %.0f %%)", 100*s.opt.flat), rssGrowth <= s.opt.flat,
			fmt.Sprintf("%.0f → %.0f MB (%+.1f %%), peak %.0f MB", first.rss/1e6, last.rss/1e6, 100*rssGrowth, peakRSS/1e6)},
	}
	fmt.Fprintf(s.out, "\nsoak result: %d CCU, %v after the ramp, %d churn actions (%d resumes, %d leave+join)\n",
		s.opt.ccu, s.opt.duration, s.churnOps.Load(), s.resumes.Load()+s.resumeFails.Load(), s.rejoins.Load()+s.rejoinFails.Load())
	ok := true
	for _, c := range checks {
		mark := "ok  "
		if !c.ok {
			mark, ok = "FAIL", false
		}
		fmt.Fprintf(s.out, "  %s %-32s %s\n", mark, c.name, c.got)
	}
	return ok, ctx.Err()
}

// meanSample is the mean goroutines and RSS of samples.
func meanSample(samples []sample) sample {
	var m sample
	for _, sm := range samples {
		m.goroutines += sm.goroutines / float64(len(samples))
		m.rss += sm.rss / float64(len(samples))
	}
	return m
}
