package bss

import (
	"context"
	"sync"

	"golang.org/x/time/rate"
)

// Limiter paces requests with one token bucket per (account, operation),
// at the rates of a Config (reference §6: quotas count per account and API,
// shared by all callers of the account). One Limiter may be shared by
// several Clients; all jobs using the same Client share its Limiter.
type Limiter struct {
	cfg     Config
	mu      sync.Mutex
	buckets map[limiterKey]*rate.Limiter
}

type limiterKey struct{ account, op string }

// NewLimiter returns a Limiter pacing at cfg's rates (defaults applied).
func NewLimiter(cfg Config) *Limiter {
	return &Limiter{cfg: cfg.withDefaults(), buckets: map[limiterKey]*rate.Limiter{}}
}

// Wait blocks until a request of op for account may be sent, or ctx is
// done. Waiters are served in arrival order of their reservations.
func (l *Limiter) Wait(ctx context.Context, account, op string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r := l.cfg.rate(op)
	if r <= 0 {
		return nil
	}
	k := limiterKey{account, op}
	l.mu.Lock()
	b := l.buckets[k]
	if b == nil {
		b = rate.NewLimiter(rate.Limit(r), l.cfg.RateBurst)
		l.buckets[k] = b
	}
	l.mu.Unlock()
	// A reservation rather than rate.Limiter.Wait: Wait fails at once when
	// the delay would pass ctx's deadline, with an error that is not ctx's.
	res := b.Reserve()
	if err := sleepCtx(ctx, res.Delay()); err != nil {
		res.Cancel() // give the reservation back
		return err
	}
	return nil
}
