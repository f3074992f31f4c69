package bss

import (
	"context"
	"sync"
	"time"
)

// Limiter paces requests with one token bucket per (account, operation),
// at the rates of a Config (reference §6: quotas count per account and API,
// shared by all callers of the account). One Limiter may be shared by
// several Clients; all jobs using the same Client share its Limiter.
type Limiter struct {
	cfg     Config
	mu      sync.Mutex
	buckets map[limiterKey]*bucket
}

type limiterKey struct{ account, op string }

type bucket struct {
	rate   float64 // tokens per second
	burst  float64
	tokens float64
	last   time.Time
}

// NewLimiter returns a Limiter pacing at cfg's rates (defaults applied).
func NewLimiter(cfg Config) *Limiter {
	return &Limiter{cfg: cfg.withDefaults(), buckets: map[limiterKey]*bucket{}}
}

// Wait blocks until a request of op for account may be sent, or ctx is
// done. Waiters are served in arrival order of their reservations.
func (l *Limiter) Wait(ctx context.Context, account, op string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	rate := l.cfg.rate(op)
	if rate <= 0 {
		return nil
	}
	k := limiterKey{account, op}
	l.mu.Lock()
	b := l.buckets[k]
	now := time.Now()
	if b == nil {
		burst := float64(l.cfg.RateBurst)
		b = &bucket{rate: rate, burst: burst, tokens: burst, last: now}
		l.buckets[k] = b
	}
	b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	b.last = now
	b.tokens--
	var wait time.Duration
	if b.tokens < 0 {
		wait = time.Duration(-b.tokens / b.rate * float64(time.Second))
	}
	l.mu.Unlock()
	if wait == 0 {
		return nil
	}
	if err := sleepCtx(ctx, wait); err != nil {
		l.mu.Lock()
		b.tokens++ // give the reservation back
		l.mu.Unlock()
		return err
	}
	return nil
}
