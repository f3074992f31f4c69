package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/robfig/cron/v3"
)

// Task is one scheduled job: its name, cron spec and the function to run.
type Task struct {
	// Name is the job name (bills, balances, ...).
	Name string
	// Spec is a standard 5-field cron spec or a descriptor (@hourly,
	// @every 10m), optionally prefixed with CRON_TZ=<zone>.
	Spec string
	// Timeout bounds one run; zero means the interval.
	Timeout time.Duration
	// Scopes are the scopes the job covers; a job is stale at start-up if
	// any of them has no recent success.
	Scopes []string
	// Run does the work.
	Run RunFunc
}

// ParseSchedule parses a cron spec as the Scheduler does and returns the
// schedule and its interval (the gap between its next two activations).
func ParseSchedule(spec string, now time.Time) (cron.Schedule, time.Duration, error) {
	s, err := cron.ParseStandard(spec)
	if err != nil {
		return nil, 0, err
	}
	a := s.Next(now)
	b := s.Next(a)
	if a.IsZero() || b.IsZero() {
		return nil, 0, fmt.Errorf("schedule %q never fires", spec)
	}
	return s, b.Sub(a), nil
}

type scheduled struct {
	Task
	interval time.Duration
	job      cron.Job // wrapped with recover and skip-if-still-running
}

// Scheduler runs Tasks on their cron schedules. Each run gets a run ID, a
// timeout, a logger with job and run_id, and is counted in the job metrics.
// Runs go through the Runner (a panic is recovered: result=panic), and a run
// that is due while the previous one is still going is skipped
// (result=skipped).
type Scheduler struct {
	runner  *Runner
	logger  *slog.Logger
	metrics *Metrics
	now     func() time.Time
	cron    *cron.Cron
	tasks   []*scheduled

	root   context.Context // captured by Start: cron.Job.Run takes no context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	catchUp chan struct{} // closed when the start-up catch-up is over

	mu     sync.Mutex
	lastOK map[string]time.Time // job -> last run in which every scope succeeded
}

// CatchUpDone is closed when the start-up catch-up runs have finished.
func (s *Scheduler) CatchUpDone() <-chan struct{} { return s.catchUp }

// NewScheduler parses every task's spec and prepares (but does not start)
// the cron runner.
func NewScheduler(logger *slog.Logger, metrics *Metrics, now func() time.Time, tasks []Task) (*Scheduler, error) {
	if now == nil {
		now = time.Now
	}
	s := &Scheduler{
		runner:  &Runner{Logger: logger, Metrics: metrics, Now: now},
		logger:  logger,
		metrics: metrics,
		now:     now,
		cron:    cron.New(cron.WithLocation(time.UTC)),
		lastOK:  make(map[string]time.Time),
		catchUp: make(chan struct{}),
	}
	var errs []error
	for _, t := range tasks {
		_, interval, err := ParseSchedule(t.Spec, now())
		if err != nil {
			errs = append(errs, fmt.Errorf("schedule of job %s: %w", t.Name, err))
			continue
		}
		if t.Timeout <= 0 {
			t.Timeout = interval
		}
		st := &scheduled{Task: t, interval: interval}
		st.job = cron.NewChain(s.skipIfStillRunning(t.Name)).Then(cron.FuncJob(func() { s.runOnce(st) }))
		if _, err := s.cron.AddJob(t.Spec, st.job); err != nil {
			errs = append(errs, fmt.Errorf("schedule of job %s: %w", t.Name, err))
			continue
		}
		metrics.SetInterval(t.Name, interval)
		s.tasks = append(s.tasks, st)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return s, nil
}

// Start starts the cron runner. Every run derives its context from ctx.
// lastSuccess holds the last success per {job, scope} (from sync_runs); a
// job whose oldest scope success is older than its interval runs at once,
// so no run is lost to downtime. Catch-up runs go one after another in
// task order (look-ups and org before bills).
func (s *Scheduler) Start(ctx context.Context, lastSuccess map[[2]string]time.Time) {
	s.root, s.cancel = context.WithCancel(ctx)
	now := s.now()
	var due []*scheduled
	for _, t := range s.tasks {
		oldest, ok := oldestSuccess(t.Name, t.Scopes, lastSuccess)
		for _, sc := range t.Scopes {
			if at, ok := lastSuccess[[2]string{t.Name, sc}]; ok {
				s.metrics.SetLastSuccess(t.Name, sc, at)
			}
		}
		if ok {
			s.mu.Lock()
			s.lastOK[t.Name] = oldest
			s.mu.Unlock()
		}
		if !ok || now.Sub(oldest) > t.interval {
			due = append(due, t)
		}
	}
	s.cron.Start()
	if len(due) == 0 {
		close(s.catchUp)
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer close(s.catchUp)
		for _, t := range due {
			if s.root.Err() != nil {
				return
			}
			s.logger.Info("catching up on a stale job", "job", t.Name)
			t.job.Run()
		}
	}()
}

func oldestSuccess(job string, scopes []string, last map[[2]string]time.Time) (time.Time, bool) {
	var oldest time.Time
	for i, sc := range scopes {
		at, ok := last[[2]string{job, sc}]
		if !ok {
			return time.Time{}, false
		}
		if i == 0 || at.Before(oldest) {
			oldest = at
		}
	}
	return oldest, len(scopes) > 0
}

// Stop stops scheduling, cancels running jobs and waits for them to return,
// at most grace. An interrupted bills month keeps its previous content.
func (s *Scheduler) Stop(grace time.Duration) error {
	stopped := s.cron.Stop()
	if s.cancel != nil {
		s.cancel()
	}
	done := make(chan struct{})
	go func() {
		<-stopped.Done()
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-time.After(grace):
		return fmt.Errorf("jobs still running %s after shutdown began", grace)
	}
}

// Fresh reports an error naming every job whose last complete success is
// older than twice its interval (one interval of slack for the run that is
// due or in progress). It is the job half of /readyz.
func (s *Scheduler) Fresh() error {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	for _, t := range s.tasks {
		at, ok := s.lastOK[t.Name]
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("job %s has not succeeded yet", t.Name))
		case now.Sub(at) > 2*t.interval:
			errs = append(errs, fmt.Errorf("job %s last succeeded %s ago (interval %s)", t.Name, now.Sub(at).Round(time.Second), t.interval))
		}
	}
	return errors.Join(errs...)
}

// runOnce is the adapter from a context-aware job to cron.Job: the run
// derives from the root context and goes through the Runner (the one run
// path, shared with syncd sync); a success is remembered for Fresh.
func (s *Scheduler) runOnce(t *scheduled) {
	if s.root == nil || s.root.Err() != nil {
		return
	}
	s.wg.Add(1)
	defer s.wg.Done()
	o := s.runner.Run(s.root, t.Name, t.Timeout, t.Run, Window{})
	if o.Result == ResultSuccess {
		s.mu.Lock()
		s.lastOK[t.Name] = o.Start
		s.mu.Unlock()
	}
}

// skipIfStillRunning is cron.SkipIfStillRunning that also counts the skip.
func (s *Scheduler) skipIfStillRunning(name string) cron.JobWrapper {
	return func(j cron.Job) cron.Job {
		ch := make(chan struct{}, 1)
		ch <- struct{}{}
		return cron.FuncJob(func() {
			select {
			case v := <-ch:
				defer func() { ch <- v }()
				j.Run()
			default:
				s.metrics.ObserveRun(name, ResultSkipped, 0)
				s.logger.Warn("job skipped: previous run still in progress", "job", name)
			}
		})
	}
}
