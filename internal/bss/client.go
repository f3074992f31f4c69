package bss

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Site selects the BSS host and its currency.
type Site string

// The two sites.
const (
	SiteChina         Site = "cn"   // https://bss.myhuaweicloud.com, CNY
	SiteInternational Site = "intl" // https://bss-intl.myhuaweicloud.com, USD
)

// BaseURL returns the site's API base URL (with a trailing slash).
func (s Site) BaseURL() (string, error) {
	switch s {
	case SiteChina:
		return "https://bss.myhuaweicloud.com/", nil
	case SiteInternational:
		return "https://bss-intl.myhuaweicloud.com/", nil
	}
	return "", fmt.Errorf("unknown BSS site %q (want %q or %q)", string(s), SiteChina, SiteInternational)
}

// Currency returns the currency the site bills in.
func (s Site) Currency() string {
	if s == SiteInternational {
		return "USD"
	}
	return "CNY"
}

// Operation names, used as metric labels, limiter keys and in errors. They
// are the official SDK's operation names. An operation is declared with
// operation, beside the code that calls it (OpAmortizedCosts in
// amortized.go, …), and Operations lists it from there.
var (
	OpMonthlySum       = operation("ShowCustomerMonthlySum")
	OpResourceRecords  = operation("ListCustomerselfResourceRecords")
	OpBalances         = operation("ShowCustomerAccountBalances")
	OpResourcePackages = operation("ListFreeResourceInfos")
	OpResourceUsages   = operation("ListFreeResourceUsages")
	OpOrganizations    = operation("ListEnterpriseOrganizations")
	OpSubCustomers     = operation("ListEnterpriseSubCustomers")
	OpServiceTypes     = operation("ListServiceTypes")
	OpResourceTypes    = operation("ListResourceTypes")
	OpMeasureUnits     = operation("ListMeasureUnits")
)

// Operations lists every operation the client calls, for metrics, the
// rate-limit check and tests, in the order they are declared; operation
// fills it.
var Operations []string

// operation declares an operation the client calls and returns its name.
func operation(name string) string {
	Operations = append(Operations, name)
	return name
}

const (
	defaultRate         = 10.0
	defaultRecordsRate  = 30.0
	defaultTimeout      = 60 * time.Second
	defaultMaxRetries   = 8
	defaultPrefetch     = 8
	maxPrefetch         = 64
	defaultRetryBase    = 500 * time.Millisecond
	defaultRetryMax     = 30 * time.Second
	maxRetryAfter       = 5 * time.Minute
	maxErrorBodySize    = 1 << 20
	maxResponseBodySize = 256 << 20
	userAgent           = "syncd-bss/1 (+https://github.com/syncd-io/syncd)"
)

// Config configures a Client. Zero values mean the documented defaults, so
// a Config built in code without envconfig works too.
type Config struct {
	// Site is "cn" (CNY) or "intl" (USD).
	Site Site `env:"SYNCD_BSS_SITE, default=cn"`
	// Endpoint overrides the site's base URL (simulator, proxy). It may
	// carry a path prefix.
	Endpoint string `env:"SYNCD_BSS_ENDPOINT"`
	// Language is sent as X-Language; it localises *_name fields.
	Language string `env:"SYNCD_BSS_LANGUAGE, default=en_US"`
	// Timeout bounds one HTTP attempt, body included.
	Timeout time.Duration `env:"SYNCD_BSS_TIMEOUT, default=60s"`
	// MaxRetries is the number of retries after the first attempt; -1
	// disables retries (0 means the default).
	MaxRetries int `env:"SYNCD_BSS_MAX_RETRIES, default=8"`
	// RetryBaseDelay and RetryMaxDelay shape the capped exponential backoff.
	RetryBaseDelay time.Duration `env:"SYNCD_BSS_RETRY_BASE_DELAY, default=500ms"`
	RetryMaxDelay  time.Duration `env:"SYNCD_BSS_RETRY_MAX_DELAY, default=30s"`
	// RateLimit is the pace, in requests per second per (account,
	// operation), for operations without a specific quota. A negative
	// value (here and in the fields below) disables pacing.
	RateLimit float64 `env:"SYNCD_BSS_RATE_LIMIT, default=10"`
	// RecordsRateLimit is the pace of ListCustomerselfResourceRecords (documented quota 30/s).
	RecordsRateLimit float64 `env:"SYNCD_BSS_RECORDS_RATE_LIMIT, default=30"`
	// RateLimits overrides the pace per operation, e.g.
	// "ShowCustomerMonthlySum:5,ListEnterpriseSubCustomers:2". A negative
	// value disables pacing for that operation.
	RateLimits map[string]float64 `env:"SYNCD_BSS_RATE_LIMITS"`
	// RateBurst is the token-bucket size (1 = strictly spaced requests).
	RateBurst int `env:"SYNCD_BSS_RATE_BURST, default=1"`
	// Prefetch is the number of pages of the itemised records requested
	// ahead of the page being consumed, so that request latency, decoding
	// and inserting overlap; requests still obey the pacing above. At 200
	// ms per response, 8 keep one reader at the 30/s records quota. The
	// other bills listings (monthly sums, transaction bills) read ahead in
	// proportion to their pace: 3 pages at 10/s. 0 means the default (8);
	// -1 requests one page at a time.
	Prefetch int `env:"SYNCD_BSS_PREFETCH, default=8"`
}

func (c Config) withDefaults() Config {
	if c.Site == "" {
		c.Site = SiteChina
	}
	if c.Language == "" {
		c.Language = "en_US"
	}
	if c.Timeout == 0 {
		c.Timeout = defaultTimeout
	}
	switch {
	case c.MaxRetries == 0:
		c.MaxRetries = defaultMaxRetries
	case c.MaxRetries < 0 && c.MaxRetries >= -1:
		c.MaxRetries = 0
	}
	if c.RetryBaseDelay == 0 {
		c.RetryBaseDelay = defaultRetryBase
	}
	if c.RetryMaxDelay == 0 {
		c.RetryMaxDelay = defaultRetryMax
	}
	if c.RateLimit == 0 {
		c.RateLimit = defaultRate
	}
	if c.RecordsRateLimit == 0 {
		c.RecordsRateLimit = defaultRecordsRate
	}
	if c.RateBurst == 0 {
		c.RateBurst = 1
	}
	switch {
	case c.Prefetch == 0:
		c.Prefetch = defaultPrefetch
	case c.Prefetch == -1:
		c.Prefetch = 0
	}
	return c
}

// Validate reports configuration errors, all of them.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	if _, err := c.Site.BaseURL(); err != nil {
		errs = append(errs, fmt.Errorf("SYNCD_BSS_SITE: %w", err))
	}
	if c.Endpoint != "" {
		u, err := url.Parse(c.Endpoint)
		switch {
		case strings.Contains(c.Endpoint, "@"):
			// Never echo what may be user:password.
			errs = append(errs, errors.New("SYNCD_BSS_ENDPOINT: must not contain user info (want e.g. http://127.0.0.1:8080/)"))
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
			errs = append(errs, fmt.Errorf("SYNCD_BSS_ENDPOINT: %q is not an absolute http(s) URL (want e.g. http://127.0.0.1:8080/)", c.Endpoint))
		case u.User != nil:
			errs = append(errs, errors.New("SYNCD_BSS_ENDPOINT: must not contain user info"))
		}
	}
	if c.Timeout < 0 {
		errs = append(errs, fmt.Errorf("SYNCD_BSS_TIMEOUT: %s is negative (want a duration such as 60s)", c.Timeout))
	}
	if c.MaxRetries < -1 {
		errs = append(errs, fmt.Errorf("SYNCD_BSS_MAX_RETRIES: %d is out of range (want -1 to disable retries, or a positive count)", c.MaxRetries))
	}
	if c.RetryBaseDelay < 0 || c.RetryMaxDelay < c.RetryBaseDelay {
		errs = append(errs, fmt.Errorf("SYNCD_BSS_RETRY_BASE_DELAY/SYNCD_BSS_RETRY_MAX_DELAY: %s/%s (want 0 <= base <= max, e.g. 500ms and 30s)", c.RetryBaseDelay, c.RetryMaxDelay))
	}
	if c.Prefetch < -1 || c.Prefetch > maxPrefetch {
		errs = append(errs, fmt.Errorf("SYNCD_BSS_PREFETCH: %d is out of range (want -1 to disable read-ahead, or 1 to %d pages)", c.Prefetch, maxPrefetch))
	}
	if c.RateBurst < 1 {
		errs = append(errs, fmt.Errorf("SYNCD_BSS_RATE_BURST: %d is out of range (want 1 or more)", c.RateBurst))
	}
	for op := range c.RateLimits {
		known := false
		for _, o := range Operations {
			known = known || o == op
		}
		if !known {
			errs = append(errs, fmt.Errorf("SYNCD_BSS_RATE_LIMITS: unknown operation %q (want one of %s)", op, strings.Join(Operations, ", ")))
		}
	}
	return errors.Join(errs...)
}

// rate returns the configured pace of op (<= 0: unpaced).
func (c Config) rate(op string) float64 {
	if r, ok := c.RateLimits[op]; ok {
		return r
	}
	if op == OpResourceRecords {
		return c.RecordsRateLimit
	}
	return c.RateLimit
}

// ahead returns the read-ahead of a paged bills listing of op: Prefetch
// for the itemised records, and for the other listings Prefetch in
// proportion to their pace (at the default quotas, 8 pages for the 30/s
// records and 3 for the 10/s transaction bills and monthly sums): the
// pages needed in flight to keep a quota busy grow with it, and every page
// in flight is memory. An unpaced operation counts at its default quota.
func (c Config) ahead(op string) int {
	if c.Prefetch <= 0 || op == OpResourceRecords {
		return c.Prefetch
	}
	quota := func(op string, def float64) float64 {
		if r := c.rate(op); r > 0 {
			return r
		}
		return def
	}
	share := quota(op, defaultRate) / quota(OpResourceRecords, defaultRecordsRate)
	return min(c.Prefetch, max(1, int(math.Ceil(float64(c.Prefetch)*share))))
}

// Client talks to the BSS API for one account. It is safe for concurrent
// use; all jobs that use the same Client share its pacing.
type Client struct {
	hc       *http.Client
	base     *url.URL
	cfg      Config
	account  string
	limiter  *Limiter
	metrics  *Metrics
	logger   *slog.Logger
	now      func() time.Time
	sleep    func(ctx context.Context, d time.Duration) error
	currency string

	retryMu     sync.Mutex
	lastRetries map[string]loggedRetry // operation -> the retry last logged at info
}

// loggedRetry is a retry logged at info: its attempt and when its wait ends.
type loggedRetry struct {
	attempt int
	until   time.Time
}

// Option customises a Client.
type Option func(*Client)

// WithHTTPClient sets the HTTP client whose Transport carries the signed
// requests. The client is copied, never modified; its Timeout should be 0
// (Config.Timeout bounds each attempt).
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { cp := *hc; c.hc = &cp } }

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(c *Client) { c.logger = l } }

// WithClock sets the clock used for X-Sdk-Date and Retry-After dates.
func WithClock(now func() time.Time) Option { return func(c *Client) { c.now = now } }

// WithMetrics makes the client report into m (shared collectors).
func WithMetrics(m *Metrics) Option { return func(c *Client) { c.metrics = m } }

// WithLimiter makes the client pace through l, shared with other clients
// (for example several clients of one account in different processes'
// goroutines). By default each Client has its own Limiter.
func WithLimiter(l *Limiter) Option { return func(c *Client) { c.limiter = l } }

// NewClient returns a client for the account of creds.
func NewClient(cfg Config, creds Credentials, opts ...Option) (*Client, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("bss config: %w", err)
	}
	if err := creds.Validate(); err != nil {
		return nil, fmt.Errorf("bss credentials: %w", err)
	}
	base := cfg.Endpoint
	if base == "" {
		base, _ = cfg.Site.BaseURL()
	}
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	u, err := url.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("bss config: endpoint: %w", err)
	}
	c := &Client{
		hc:       &http.Client{},
		base:     u,
		cfg:      cfg,
		account:  creds.DomainID,
		logger:   slog.New(slog.DiscardHandler),
		now:      time.Now,
		sleep:    sleepCtx,
		currency: cfg.Site.Currency(),
	}
	for _, o := range opts {
		o(c)
	}
	if c.limiter == nil {
		c.limiter = NewLimiter(cfg)
	}
	if c.metrics == nil {
		c.metrics = NewMetrics()
	}
	c.logger = c.logger.With("component", "bss", "site", string(cfg.Site))
	inner := c.hc.Transport
	if inner == nil {
		inner = http.DefaultTransport
	}
	c.hc.Transport = &Signer{Credentials: creds, Now: func() time.Time { return c.now() }, Base: inner}
	return c, nil
}

// Site returns the configured site.
func (c *Client) Site() Site { return c.cfg.Site }

// Currency returns the site's currency ("CNY" or "USD"), used when a
// response omits it.
func (c *Client) Currency() string { return c.currency }

// Host returns the host:port requests go to (the port implied by the
// scheme when the endpoint names none), for messages saying what failed.
func (c *Client) Host() string {
	if c.base.Port() != "" {
		return c.base.Host
	}
	if c.base.Scheme == "http" {
		return c.base.Host + ":80"
	}
	return c.base.Host + ":443"
}

// Account returns the domain (account) ID the client signs for.
func (c *Client) Account() string { return c.account }

type callCounterKey struct{}

// WithCallCounter returns a context under which every HTTP attempt the
// client makes (retries included) increments n.
func WithCallCounter(ctx context.Context, n *atomic.Int64) context.Context {
	return context.WithValue(ctx, callCounterKey{}, n)
}

// ListOptions are the row-offset paging parameters shared by list endpoints.
type ListOptions struct {
	Offset int
	Limit  int
}

// Response describes one successful API answer.
type Response struct {
	StatusCode int
	RequestID  string
	// TotalCount is the total number of matching rows (paged endpoints).
	TotalCount int
	// Offset is the offset the page was requested at; NextOffset the offset
	// of the following page (Offset + rows on this page).
	Offset, NextOffset int
	// Currency is the response's currency field, or the site's when absent.
	Currency string
	// Attempts is the number of HTTP attempts the answer took.
	Attempts int
}

// call is one logical API request.
type call struct {
	op     string
	method string
	path   string // relative to the base URL, without a leading slash
	query  query
	body   any // JSON-encoded once; nil for none
	offset int // paging offset, for error messages
}

// newRequest builds the HTTP request of cl. It is called per attempt, so
// each attempt has a fresh body reader (and, below, a fresh signature).
func (c *Client) newRequest(ctx context.Context, cl call, body []byte) (*http.Request, error) {
	if strings.HasPrefix(cl.path, "/") {
		return nil, fmt.Errorf("bss %s: path %q must be relative", cl.op, cl.path)
	}
	u, err := c.base.Parse(cl.path)
	if err != nil {
		return nil, err
	}
	u.RawQuery = cl.query.encode()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, cl.method, u.String(), r)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set("X-Language", c.cfg.Language)
	return req, nil
}

// do performs cl with pacing and retries, and hands each 2xx body to decode
// (which must reset its target: it can run once per attempt). decode may
// return an *Error for a 200 carrying an error body.
func (c *Client) do(ctx context.Context, cl call, decode func(body []byte) error) (*Response, error) {
	var body []byte
	if cl.body != nil {
		b, err := json.Marshal(cl.body)
		if err != nil {
			return nil, fmt.Errorf("bss %s: encode request: %w", cl.op, err)
		}
		body = b
	}
	counter, _ := ctx.Value(callCounterKey{}).(*atomic.Int64)
	var lastErr error
	for attempt := 0; ; attempt++ {
		if ctx.Err() != nil {
			return nil, stopped(ctx, cl, attempt, lastErr)
		}
		if err := c.limiter.Wait(ctx, c.account, cl.op); err != nil {
			if ctx.Err() != nil {
				return nil, stopped(ctx, cl, attempt, lastErr)
			}
			return nil, err
		}
		if counter != nil {
			counter.Add(1)
		}
		resp, err := c.attempt(ctx, cl, body, decode)
		if err == nil {
			resp.Attempts = attempt + 1
			return resp, nil
		}
		if ctx.Err() != nil {
			// This attempt failed because the context ended; an earlier
			// attempt's cause is kept.
			return nil, stopped(ctx, cl, attempt+1, lastErr)
		}
		lastErr = err
		if !IsRetryable(err) || attempt >= c.cfg.MaxRetries {
			break
		}
		wait := c.backoff(attempt, err)
		c.metrics.retries.WithLabelValues(cl.op).Inc()
		c.logger.LogAttrs(ctx, c.retryLevel(cl.op, attempt+1, wait), "BSS request failed; retrying", slog.String("operation", cl.op),
			slog.Int("attempt", attempt+1), slog.Int("max_attempts", c.cfg.MaxRetries+1), slog.Duration("wait", wait), slog.Any("err", err))
		if err := c.sleep(ctx, wait); err != nil {
			return nil, stopped(ctx, cl, attempt+1, lastErr)
		}
	}
	if IsRetryable(lastErr) {
		return nil, fmt.Errorf("bss %s offset=%d: giving up after %d attempts: %w", cl.op, cl.offset, c.cfg.MaxRetries+1, lastErr)
	}
	return nil, lastErr
}

// stopped is the error of a call whose context ended (cancelled, or its
// deadline passed) after attempts: the context's error, with the last failed
// attempt's cause, so that "connection refused" is not lost behind "context
// deadline exceeded". The cause is kept as text only: the error is the
// context's, never retryable.
func stopped(ctx context.Context, cl call, attempts int, last error) error {
	if last == nil {
		return ctx.Err()
	}
	return fmt.Errorf("bss %s: %w after %d attempts; last attempt: %s", cl.op, ctx.Err(), attempts, last.Error())
}

// retryLevel is the level a retry is logged at: info for the first request
// of an operation to reach a backoff step (attempt) in a wait, debug for the
// others, so that pages fetched in parallel that fail together log one line
// per operation per backoff step, not one each.
func (c *Client) retryLevel(op string, attempt int, wait time.Duration) slog.Level {
	c.retryMu.Lock()
	defer c.retryMu.Unlock()
	now := time.Now()
	if last, ok := c.lastRetries[op]; ok && attempt <= last.attempt && now.Before(last.until) {
		return slog.LevelDebug
	}
	if c.lastRetries == nil {
		c.lastRetries = make(map[string]loggedRetry)
	}
	c.lastRetries[op] = loggedRetry{attempt: attempt, until: now.Add(wait)}
	return slog.LevelInfo
}

// attempt makes one HTTP exchange.
func (c *Client) attempt(ctx context.Context, cl call, body []byte, decode func([]byte) error) (*Response, error) {
	actx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	req, err := c.newRequest(actx, cl, body)
	if err != nil {
		return nil, err
	}
	where := sanitizeURL(cl.method, req.URL)
	start := time.Now()
	resp, err := c.hc.Do(req)
	if err != nil {
		c.observe(cl.op, "error", start)
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error repeats the URL; we add our own
		}
		return nil, &transportError{fmt.Errorf("bss %s: %s: %w", cl.op, where, err)}
	}
	defer func() {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBodySize)) // drain for reuse
		resp.Body.Close()
	}()
	reqID := resp.Header.Get("X-Request-Id")
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBodySize))
		c.observe(cl.op, strconv.Itoa(resp.StatusCode), start) // after the body, as for 2xx
		e := errorFromBody(resp.StatusCode, b, reqID, cl.op, where)
		if e.throttled() {
			c.metrics.throttled.WithLabelValues(cl.op).Inc()
			return nil, &RateLimitError{Err: e, RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), c.now())}
		}
		return nil, e
	}
	buf := getBody(resp.ContentLength)
	defer putBody(buf)
	_, err = buf.ReadFrom(io.LimitReader(resp.Body, maxResponseBodySize))
	b := buf.Bytes()
	c.observe(cl.op, strconv.Itoa(resp.StatusCode), start)
	if err != nil {
		return nil, &transportError{fmt.Errorf("bss %s: %s: read body: %w", cl.op, where, err)}
	}
	if err := decode(b); err != nil {
		var e *Error
		if errors.As(err, &e) {
			e.StatusCode, e.Operation, e.URL = resp.StatusCode, cl.op, where
			if e.RequestID == "" {
				e.RequestID = reqID
			}
			if e.throttled() {
				c.metrics.throttled.WithLabelValues(cl.op).Inc()
				return nil, &RateLimitError{Err: e}
			}
			return nil, e
		}
		var de *DecodeError
		if errors.As(err, &de) {
			de.Operation, de.PageOffset = cl.op, cl.offset
		}
		return nil, err
	}
	return &Response{StatusCode: resp.StatusCode, RequestID: reqID, Offset: cl.offset, NextOffset: cl.offset, Currency: c.currency}, nil
}

// bodies recycles response body buffers: a bills page is about a MiB,
// and reading it with io.ReadAll regrows a fresh buffer several times per
// page. decode callbacks copy what they keep (both page decoders make
// their own strings), so a body's buffer is reused once its page is
// decoded.
var bodies sync.Pool

// maxPooledBody bounds the buffers kept for reuse.
const maxPooledBody = 8 << 20

// getBody returns an empty buffer with room for a body of n bytes (n < 0:
// unknown).
func getBody(n int64) *bytes.Buffer {
	buf, _ := bodies.Get().(*bytes.Buffer)
	if buf == nil {
		buf = new(bytes.Buffer)
	}
	buf.Reset()
	if n > 0 && n <= maxResponseBodySize {
		buf.Grow(int(n) + bytes.MinRead) // ReadFrom wants MinRead spare to see EOF without growing
	}
	return buf
}

func putBody(buf *bytes.Buffer) {
	if buf.Cap() <= maxPooledBody {
		bodies.Put(buf)
	}
}

func (c *Client) observe(op, code string, start time.Time) {
	c.metrics.requests.WithLabelValues(op, code).Inc()
	c.metrics.duration.WithLabelValues(op).Observe(time.Since(start).Seconds())
}

// errorFromBody decodes the BSS or gateway error body (§5.1), falling back
// to "code"/"message" keys.
func errorFromBody(status int, b []byte, reqID, op, where string) *Error {
	var w struct {
		ErrorCode string `json:"error_code"`
		ErrorMsg  string `json:"error_msg"`
		RequestID string `json:"request_id"`
		Code      string `json:"code"`
		Message   string `json:"message"`
	}
	e := &Error{StatusCode: status, RequestID: reqID, Operation: op, URL: where}
	if json.Unmarshal(b, &w) == nil {
		e.Code, e.Message = w.ErrorCode, w.ErrorMsg
		if e.Code == "" {
			e.Code, e.Message = w.Code, w.Message
		}
		if e.RequestID == "" {
			e.RequestID = w.RequestID
		}
	} else if len(b) > 0 {
		msg := string(b)
		if len(msg) > 200 {
			msg = msg[:200] + "…"
		}
		e.Message = strings.ToValidUTF8(msg, "?")
	}
	if e.Message == "" {
		e.Message = http.StatusText(status)
	}
	return e
}

// backoff returns the wait before retry number attempt+1: exponential from
// RetryBaseDelay, capped at RetryMaxDelay, with ±20% jitter; a server's
// Retry-After overrides it (bounded by 5 minutes).
func (c *Client) backoff(attempt int, err error) time.Duration {
	var rl *RateLimitError
	if errors.As(err, &rl) && rl.RetryAfter > 0 {
		return min(rl.RetryAfter, maxRetryAfter)
	}
	d := c.cfg.RetryBaseDelay
	for i := 0; i < attempt && d < c.cfg.RetryMaxDelay; i++ {
		d *= 2
	}
	d = min(d, c.cfg.RetryMaxDelay)
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

// parseRetryAfter accepts delta-seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil {
		if s <= 0 {
			return 0
		}
		return min(time.Duration(s*float64(time.Second)), maxRetryAfter)
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return min(d, maxRetryAfter)
		}
	}
	return 0
}

// sleepCtx waits d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
