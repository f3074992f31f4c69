package bsssim

import (
	"net"
	"net/http"
	"time"
)

// bucket is a token bucket holding at most one second of quota.
type bucket struct {
	tokens float64
	last   time.Time
}

// SetQuotas replaces the per-operation quotas (see Config.Quotas; nil
// disables throttling).
func (s *Simulator) SetQuotas(q map[string]float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if q == nil {
		s.quotas = nil
	} else {
		s.quotas = make(map[string]float64, len(q))
		for k, v := range q {
			s.quotas[k] = v
		}
	}
	clear(s.buckets)
}

// SetQuota sets one operation's quota in requests per second (0 = unthrottled),
// enabling throttling (with 10/s for unlisted operations) if it was off.
func (s *Simulator) SetQuota(op string, perSecond float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.quotas == nil {
		s.quotas = make(map[string]float64)
	}
	s.quotas[op] = perSecond
	clear(s.buckets)
}

// throttle takes a token for (account, op); it reports the quota and whether
// the request must be rejected. Buckets use the wall clock, not Config.Now,
// so tests with a frozen simulator clock still see real rates.
func (s *Simulator) throttle(accountID, op string) (float64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.quotas == nil {
		return 0, false
	}
	limit, ok := s.quotas[op]
	if !ok {
		limit = 10
	}
	if limit <= 0 {
		return 0, false
	}
	key := accountID + "|" + op
	now := time.Now()
	b := s.buckets[key]
	if b == nil {
		b = &bucket{tokens: limit, last: now}
		s.buckets[key] = b
	}
	b.tokens += now.Sub(b.last).Seconds() * limit
	if b.tokens > limit {
		b.tokens = limit
	}
	b.last = now
	if b.tokens < 1 {
		return limit, true
	}
	b.tokens--
	return limit, false
}

// SetFaults replaces the fault-injection rates.
func (s *Simulator) SetFaults(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = f
	s.faultOps = nil
	if len(f.Operations) > 0 {
		s.faultOps = make(map[string]bool)
		for _, op := range f.Operations {
			s.faultOps[op] = true
		}
	}
}

// Faults returns the current fault-injection rates.
func (s *Simulator) Faults() Faults { return s.currentFaults() }

func (s *Simulator) currentFaults() Faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults
}

// roll draws a uniform number in [0,1) and the faults applying to op.
func (s *Simulator) roll(op string) (float64, Faults, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.faultOps != nil && !s.faultOps[op] {
		return 0, Faults{}, false
	}
	return float64(s.faultRand.next()>>11) / (1 << 53), s.faults, true
}

// injectFault applies latency and the failure faults; it reports whether it
// answered the request.
func (s *Simulator) injectFault(w http.ResponseWriter, r *http.Request, op, reqID string, cnt *opCounters) bool {
	x, f, ok := s.roll(op)
	if !ok {
		return false
	}
	if f.Latency > 0 {
		y, _, _ := s.roll(op)
		if f.LatencyRate == 0 || y < f.LatencyRate {
			t := time.NewTimer(f.Latency)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
			}
		}
	}
	fail := func(status int, body []byte) bool {
		cnt.faults.Add(1)
		writeJSON(w, status, body)
		return true
	}
	if x -= f.ServerError; x < 0 {
		return fail(http.StatusInternalServerError, bssError("CBC.0999", "Other errors."))
	}
	if x -= f.GatewayError; x < 0 {
		if int(x*1e6)%2 == 0 {
			return fail(http.StatusBadGateway, gatewayError("APIG.0202", "Backend unavailable", reqID))
		}
		return fail(http.StatusGatewayTimeout, gatewayError("APIG.0203", "Backend timeout", reqID))
	}
	if x -= f.Throttle; x < 0 {
		cnt.throttled.Add(1)
		if f.RetryAfter {
			w.Header().Set("Retry-After", "1")
		}
		return fail(http.StatusTooManyRequests, throttleBody(10, reqID))
	}
	if x -= f.Reset; x < 0 {
		cnt.faults.Add(1)
		resetConnection(w)
		return true
	}
	if x -= f.ErrorBody200; x < 0 {
		return fail(http.StatusOK, bssError("CBC.0999", "Other errors."))
	}
	return false
}

// injectTruncate reports whether this response's body is to be cut short.
func (s *Simulator) injectTruncate(op string) bool {
	x, f, ok := s.roll(op)
	return ok && x < f.Truncate
}

// resetConnection hijacks the connection and closes it with a TCP RST.
func resetConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}
