package jobs

import (
	"context"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

var discard = slog.New(slog.DiscardHandler)

func runs(m *Metrics, job, result string) float64 {
	return testutil.ToFloat64(m.runs.WithLabelValues(job, result))
}

func TestParseSchedule(t *testing.T) {
	now := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		spec string
		want time.Duration
	}{
		{"CRON_TZ=Asia/Shanghai 7 * * * *", time.Hour},
		{"CRON_TZ=Asia/Shanghai */10 * * * *", 10 * time.Minute},
		{"@every 90s", 90 * time.Second},
		{"CRON_TZ=Asia/Shanghai 47 2 * * *", 24 * time.Hour},
	}
	for _, tt := range tests {
		_, got, err := ParseSchedule(tt.spec, now)
		if err != nil || got != tt.want {
			t.Errorf("ParseSchedule(%q) = %s, %v; want %s", tt.spec, got, err, tt.want)
		}
	}
	if _, _, err := ParseSchedule("61 * * * *", now); err == nil {
		t.Error("ParseSchedule(61 * * * *) succeeded, want an error")
	}
}

func TestSchedulerPanicAndSkip(t *testing.T) {
	m := NewMetrics()
	release := make(chan struct{})
	started := make(chan struct{}, 1)
	s, err := NewScheduler(discard, m, nil, []Task{
		{Name: JobOrg, Spec: "@yearly", Scopes: []string{"a"}, Run: func(context.Context, Window) error { panic("boom") }},
		{Name: JobBills, Spec: "@yearly", Scopes: []string{"a"}, Run: func(context.Context, Window) error {
			started <- struct{}{}
			<-release
			return nil
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	recent := map[[2]string]time.Time{{JobOrg, "a"}: time.Now(), {JobBills, "a"}: time.Now()}
	s.Start(context.Background(), recent) // both fresh: no catch-up
	<-s.CatchUpDone()

	org, bills := s.tasks[0], s.tasks[1]
	org.job.Run() // must not crash the test
	if got := runs(m, JobOrg, ResultPanic); got != 1 {
		t.Errorf("panic runs = %v, want 1", got)
	}

	done := make(chan struct{})
	go func() { bills.job.Run(); close(done) }()
	<-started
	bills.job.Run() // still running: skipped
	if got := runs(m, JobBills, ResultSkipped); got != 1 {
		t.Errorf("skipped runs = %v, want 1", got)
	}
	close(release)
	<-done
	if got := runs(m, JobBills, ResultSuccess); got < 1 {
		t.Errorf("successful runs = %v, want ≥ 1", got)
	}
	if err := s.Stop(time.Second); err != nil {
		t.Fatal(err)
	}
}

func TestSchedulerCatchUp(t *testing.T) {
	now := time.Date(2024, 5, 15, 12, 0, 0, 0, time.UTC)
	m := NewMetrics()
	var stale, fresh, partial atomic.Int32
	tasks := []Task{
		{Name: JobBills, Spec: "@hourly", Scopes: []string{"a", "b"}, Run: func(context.Context, Window) error { stale.Add(1); return nil }},
		{Name: JobOrg, Spec: "@daily", Scopes: []string{"a"}, Run: func(context.Context, Window) error { fresh.Add(1); return nil }},
		{Name: JobBalance, Spec: "@hourly", Scopes: []string{"a", "b"}, Run: func(context.Context, Window) error { partial.Add(1); return nil }},
	}
	s, err := NewScheduler(discard, m, func() time.Time { return now }, tasks)
	if err != nil {
		t.Fatal(err)
	}
	last := map[[2]string]time.Time{
		{JobBills, "a"}:   now.Add(-2 * time.Hour), // older than the interval
		{JobBills, "b"}:   now.Add(-time.Minute),
		{JobOrg, "a"}:     now.Add(-time.Hour), // within a day
		{JobBalance, "a"}: now.Add(-time.Minute),
		// JobBalance "b" never succeeded: a new scope
	}
	s.Start(context.Background(), last)
	<-s.CatchUpDone()
	if err := s.Stop(time.Second); err != nil {
		t.Fatal(err)
	}
	if stale.Load() != 1 || fresh.Load() != 0 || partial.Load() != 1 {
		t.Errorf("catch-up runs: stale=%d fresh=%d new-scope=%d, want 1 0 1", stale.Load(), fresh.Load(), partial.Load())
	}
	if got := testutil.ToFloat64(m.lastSuccess.WithLabelValues(JobOrg, "a")); got != unixSeconds(now.Add(-time.Hour)) {
		t.Errorf("last success seeded from sync_runs = %v, want %v", got, unixSeconds(now.Add(-time.Hour)))
	}
	if got := testutil.ToFloat64(m.interval.WithLabelValues(JobOrg)); got != 86400 {
		t.Errorf("interval = %v, want 86400", got)
	}
	if err := s.Fresh(); err != nil {
		t.Errorf("Fresh() after catch-up = %v, want nil", err)
	}
}

func TestSchedulerStopCancelsAndBoundsGrace(t *testing.T) {
	m := NewMetrics()
	running := make(chan struct{})
	cancelled := make(chan struct{})
	stubborn := make(chan struct{})
	defer close(stubborn)
	s, err := NewScheduler(discard, m, nil, []Task{
		{Name: JobBills, Spec: "@yearly", Run: func(ctx context.Context, _ Window) error {
			close(running)
			<-ctx.Done()
			close(cancelled)
			<-stubborn // ignores cancellation after noticing it
			return ctx.Err()
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Start(context.Background(), nil) // no success yet: runs at once
	<-running
	start := time.Now()
	err = s.Stop(200 * time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "still running") {
		t.Errorf("Stop() = %v, want a grace-period error", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Stop took %s, want about the grace period", d)
	}
	select {
	case <-cancelled:
	default:
		t.Error("the running job's context was not cancelled")
	}
}

func TestSchedulerFresh(t *testing.T) {
	now := time.Date(2024, 5, 15, 12, 0, 0, 0, time.UTC)
	s, err := NewScheduler(discard, NewMetrics(), func() time.Time { return now }, []Task{
		{Name: JobBalance, Spec: "@every 10m", Scopes: []string{"a"}, Run: func(context.Context, Window) error { return nil }},
	})
	if err != nil {
		t.Fatal(err)
	}
	s.lastOK[JobBalance] = now.Add(-21 * time.Minute)
	if err := s.Fresh(); err == nil || !strings.Contains(err.Error(), "balances") {
		t.Errorf("Fresh() = %v, want balances stale", err)
	}
	s.lastOK[JobBalance] = now.Add(-19 * time.Minute)
	if err := s.Fresh(); err != nil {
		t.Errorf("Fresh() = %v, want nil", err)
	}
}

// TestSchedulerShutdownIsNoFailure: a run cancelled by Stop (the daemon's
// SIGTERM) is counted as interrupted, not as a failure, and is not logged at
// ERROR; a run that hits its timeout is a failure.
func TestSchedulerShutdownIsNoFailure(t *testing.T) {
	m := NewMetrics()
	var logs strings.Builder
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	started := make(chan struct{}, 1)
	s, err := NewScheduler(logger, m, nil, []Task{
		{Name: JobBills, Spec: "@yearly", Scopes: []string{"a"}, Run: func(ctx context.Context, _ Window) error {
			started <- struct{}{}
			<-ctx.Done()
			return ctx.Err()
		}},
		{Name: JobOrg, Spec: "@yearly", Timeout: 10 * time.Millisecond, Scopes: []string{"a"}, Run: func(ctx context.Context, _ Window) error {
			<-ctx.Done()
			return ctx.Err()
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Start(context.Background(), map[[2]string]time.Time{{JobBills, "a"}: time.Now()}) // org catches up and times out
	<-s.CatchUpDone()
	go s.tasks[0].job.Run()
	<-started
	if err := s.Stop(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	if got := runs(m, JobBills, ResultInterrupted); got != 1 {
		t.Errorf("bills interrupted = %v, want 1", got)
	}
	if got := runs(m, JobBills, ResultFailure); got != 0 {
		t.Errorf("bills failures = %v, want 0", got)
	}
	if got := runs(m, JobOrg, ResultFailure); got != 1 {
		t.Errorf("org (timed out) failures = %v, want 1", got)
	}
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, "job=bills") && strings.Contains(l, "level=ERROR") {
			t.Errorf("the interrupted run is logged at ERROR: %s", l)
		}
	}
}
