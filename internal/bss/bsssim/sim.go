// Package bsssim is a deterministic, in-process simulator of the Huawei Cloud
// BSS (billing) API, written from the API reference (shared/reference/bss-api.md)
// independently of the project's client: it has its own wire encoding and
// never imports internal/bss, so the official SDK can referee between them.
//
// It serves monthly sums, itemised and per-cycle resource records, balances,
// resource packages and their usage, the enterprise org tree and member
// accounts, and the service-type, resource-type, usage-type, measure-unit and
// conversion look-ups, with the documented parameters, validation errors
// (CBC.0100, CBC.0151, CBC.18000048), error bodies, X-Request-Id, type quirks
// and amount identities. It verifies SDK-HMAC-SHA256 signatures (±15 minutes
// against Config.Now, temporary credentials with X-Security-Token, X-Auth-Token
// from a table) and answers failures with the gateway's APIG.0301 body.
//
// The tenant is generated from Config.Seed: an enterprise master, an org tree,
// members with unified or independent accounting, and itemised bill lines that
// are computed on demand from (seed, account, month, index, re-issue version),
// so a page deep into a month of millions of lines costs O(limit). Truth
// reports exactly what a correct client must read. Given the same seed and
// clock, every response is byte-for-byte the same (request IDs aside).
//
// Knobs, safe while serving: SetQuotas/SetQuota (token buckets per account and
// operation on the wall clock; 429 APIG.0308), SetFaults (5xx, gateway errors,
// 429s, latency, connection resets, truncated bodies, 200 with an error
// body), Reissue/SetVersion (bills that change between runs), SetDrift
// (total_count changing between pages), CloseMonth, SetMaxIndependentForAll;
// Stats/RequestCount/ResetStats expose per-operation counters.
//
// In tests:
//
//	srv, err := bsssim.NewServer(bsssim.Config{Seed: 1})
//	if err != nil { ... }
//	defer srv.Close()
//	// client: base URL srv.URL, AK bsssim.DemoAK, SK bsssim.DemoSK, domain bsssim.DemoDomainID
//	want := srv.Truth("", "2024-05")
//
// or httptest.NewServer(bsssim.New(cfg)). A client signing with the real
// clock needs a simulator clock within 15 minutes of it.
package bsssim

import (
	"bufio"
	"bytes"
	"errors"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Simulator is an http.Handler serving the BSS API. Its knobs are safe for
// concurrent use while it serves.
type Simulator struct {
	cfg Config
	t   *tenant

	creds  map[string]Credential // AK -> credential
	tokens map[string]string

	mu        sync.Mutex
	months    map[month]*monthState
	faults    Faults
	faultOps  map[string]bool
	quotas    map[string]float64 // nil: throttling off
	buckets   map[string]*bucket
	maxIndep  int
	faultRand rng
	failures  map[string]int
	lockedTil map[string]time.Time
	// noCostCenter holds the accounts without Cost Center.
	noCostCenter map[string]bool

	reqSeq   atomic.Uint64
	counters map[string]*opCounters

	logMu sync.Mutex
	log   []Request

	cacheMu    sync.Mutex
	cache      map[string]any
	cacheBytes int

	replayed sync.Map // caller, operation and sorted query -> []byte (ReplayResponses)
}

// cacheBudget bounds the memory of cached scans (filtered match lists,
// roll-ups, aggregates); past it the cache is dropped wholesale.
const cacheBudget = 256 << 20

type monthState struct {
	version     int
	closed      bool // explicitly closed
	frozenDays  int  // days frozen by CloseMonth on the open month
	driftSettle int  // 0 none, >0 settle after that many reads, <0 never
	driftReads  int
	empty       bool // SetEmpty: every line refunded away, the month has none
	// reissuedAt[v-1] is when Reissue made version v: the late lines of that
	// re-issue are traded then (a refund posted after the month closed is a
	// correction of a closed month). SetVersion records no time.
	reissuedAt []time.Time
}

type monthSnapshot struct {
	version    int
	days       int
	reissuedAt []time.Time
}

type opCounters struct {
	requests  atomic.Int64
	throttled atomic.Int64
	faults    atomic.Int64
	ok        atomic.Int64
}

// New builds a simulator from cfg (zero fields take defaults; see Config).
func New(cfg Config) *Simulator {
	cfg.applyDefaults()
	s := &Simulator{
		cfg:       cfg,
		creds:     make(map[string]Credential),
		tokens:    make(map[string]string),
		months:    make(map[month]*monthState),
		buckets:   make(map[string]*bucket),
		maxIndep:  cfg.MaxIndependentForAll,
		counters:  make(map[string]*opCounters),
		cache:     make(map[string]any),
		failures:  make(map[string]int),
		lockedTil: make(map[string]time.Time),

		noCostCenter: make(map[string]bool),
	}
	for _, id := range cfg.NoCostCenter {
		s.noCostCenter[id] = true
	}
	s.faultRand = rng{s: mix(uint64(cfg.Seed), 999)}
	for _, op := range append(Operations(), OpPartner) {
		s.counters[op] = &opCounters{}
	}
	s.buildTenant()
	for _, a := range s.t.accounts {
		c := Credential{AK: a.AK, SK: a.SK, DomainID: a.ID}
		if a.Master {
			c.SecurityToken = cfg.SecurityToken
		}
		s.creds[a.AK] = c
	}
	for _, c := range cfg.Credentials {
		s.creds[c.AK] = c
	}
	for k, v := range cfg.AuthTokens {
		s.tokens[k] = v
	}
	s.SetFaults(cfg.Faults)
	s.SetQuotas(cfg.Quotas)
	return s
}

// Config returns the effective configuration (defaults applied).
func (s *Simulator) Config() Config { return s.cfg }

// Currency is "CNY" on the China site and "USD" on the international site.
func (s *Simulator) Currency() string {
	if s.cfg.Site == SiteIntl {
		return "USD"
	}
	return "CNY"
}

// Accounts lists the tenant's accounts: the master first, then the members.
func (s *Simulator) Accounts() []Account {
	out := make([]Account, len(s.t.accounts))
	for i, a := range s.t.accounts {
		out[i] = a.Account
	}
	return out
}

// Master returns the enterprise master account.
func (s *Simulator) Master() Account { return s.t.accounts[0].Account }

// Months lists the billing months ("2006-01") that hold data, oldest first.
func (s *Simulator) Months() []string {
	cur := monthOf(s.cfg.Now())
	var out []string
	for m := cur - month(s.cfg.Scale.Months) + 1; m <= cur; m++ {
		out = append(out, m.String())
	}
	return out
}

// snapshot returns the month's current layout parameters.
func (s *Simulator) snapshot(m month) monthSnapshot {
	now := s.cfg.Now()
	cur := monthOf(now)
	var snap monthSnapshot
	s.mu.Lock()
	st := s.months[m]
	if st != nil {
		snap.version, snap.reissuedAt = st.version, st.reissuedAt[:len(st.reissuedAt):len(st.reissuedAt)]
	}
	s.mu.Unlock()
	switch {
	case m > cur || m < cur-month(s.cfg.Scale.Months)+1:
		snap.days = 0
	case m < cur:
		snap.days = m.daysIn()
	default:
		snap.days = now.In(utc8).Day()
	}
	if snap.days > 0 && st != nil && st.closed && st.frozenDays > 0 {
		snap.days = st.frozenDays // closed early: stays as it was when closed
	}
	if st != nil && st.empty {
		snap.days = 0
	}
	return snap
}

// driftExtra registers one read of month m and returns the number of extra
// lines visible to it while drift is active.
func (s *Simulator) driftExtra(m month) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.months[m]
	if st == nil || st.driftSettle == 0 {
		return 0
	}
	r := st.driftReads
	st.driftReads++
	if st.driftSettle > 0 && r >= st.driftSettle {
		return 0
	}
	return 1 + r%3
}

func (s *Simulator) monthStateLocked(m month) *monthState {
	st := s.months[m]
	if st == nil {
		st = &monthState{}
		s.months[m] = st
	}
	return st
}

// cached returns the cached value for key or computes and stores it.
func (s *Simulator) cached(key string, compute func() any) any {
	s.cacheMu.Lock()
	v, ok := s.cache[key]
	s.cacheMu.Unlock()
	if ok {
		return v
	}
	v = compute()
	size := len(key) + 64
	switch x := v.(type) {
	case []match:
		size += 8 * len(x)
	case []rollupRow:
		size += 192 * len(x)
	case *monthAgg:
		size += 160 * len(x.rows)
	}
	s.cacheMu.Lock()
	if len(s.cache) >= 1024 || s.cacheBytes+size > cacheBudget {
		clear(s.cache)
		s.cacheBytes = 0
	}
	s.cache[key] = v
	s.cacheBytes += size
	s.cacheMu.Unlock()
	return v
}

// route is one served endpoint.
type route struct {
	op      string
	handler func(s *Simulator, rc *reqCtx) (int, []byte)
}

// routes is every served endpoint by "METHOD path". A new endpoint is its
// handler in a file of its own (its Op constant may sit there too) and one
// line here (plus intlAbsent when the international SDK lacks it);
// Operations is derived from this table.
var routes = map[string]route{
	"GET /v2/bills/customer-bills/monthly-sum":                    {OpMonthlySum, (*Simulator).handleMonthlySum},
	"GET /v2/bills/customer-bills/res-fee-records":                {OpResourceRecords, (*Simulator).handleResFeeRecords},
	"GET /v2/accounts/customer-accounts/balances":                 {OpBalances, (*Simulator).handleBalances},
	"POST /v3/payments/free-resources/query":                      {OpFreeResources, (*Simulator).handleFreeResources},
	"POST /v2/payments/free-resources/usages/details/query":       {OpFreeResourceUse, (*Simulator).handleFreeResourceUsages},
	"GET /v2/enterprises/multi-accounts/enterprise-organizations": {OpOrganizations, (*Simulator).handleOrganizations},
	"GET /v2/enterprises/multi-accounts/sub-customers":            {OpSubCustomers, (*Simulator).handleSubCustomers},
	"GET /v2/products/service-types":                              {OpServiceTypes, (*Simulator).handleServiceTypes},
	"GET /v2/products/resource-types":                             {OpResourceTypes, (*Simulator).handleResourceTypes},
	"GET /v2/products/service-resources":                          {OpServiceResources, (*Simulator).handleServiceResources},
	"GET /v2/products/usage-types":                                {OpUsageTypes, (*Simulator).handleUsageTypes},
	"GET /v2/bases/measurements":                                  {OpMeasureUnits, (*Simulator).handleMeasureUnits},
	"GET /v2/bases/conversions":                                   {OpConversions, (*Simulator).handleConversions},
	"GET /v2/costs/cost-analysed-bills/monthly-breakdown":         {OpMonthlyBreakdown, (*Simulator).handleMonthlyBreakdown},
	"GET /v2/enterprises/multi-accounts/transfer-amount":          {OpTransferAmount, (*Simulator).handleTransferAmount},
	"GET /v2/enterprises/multi-accounts/retrieve-amount":          {OpRetrieveAmount, (*Simulator).handleRetrieveAmount},
	"GET /v2/bills/customer-bills/free-resources-usage-records":   {OpFreeResourceDeduct, (*Simulator).handleFreeResourceDeductions},
	"GET /v2/bills/customer-bills/fee-records":                    {OpFeeRecords, (*Simulator).handleFeeRecords},
	// Partner-only operations (reference §12): a customer is denied.
	"POST /v2/partners/sub-customers/query":                                {OpPartner, (*Simulator).handlePartner},
	"GET /v2/bills/partner-bills/subcustomer-bills/monthly-sum":            {OpPartner, (*Simulator).handlePartner},
	"GET /v2/bills/subcustomer-bills/res-fee-records":                      {OpPartner, (*Simulator).handlePartner},
	"POST /v2/bills/subcustomer-bills/res-fee-records/sub-customers/query": {OpPartner, (*Simulator).handlePartner},
	"POST /v2/accounts/customer-accounts/balances/batch-query":             {OpPartner, (*Simulator).handlePartner},
}

// intlAbsent lists the operations the international site does not offer:
// ListEnterpriseOrganizations is absent from the international SDK
// (reference §10.1, §19), so in intl mode its path answers like any
// unpublished API (404 APIG.0101).
// The amortised breakdown (reference §7.5) and the member funds (§10.3,
// §10.4) and the transaction bills (§7.3) are China-only in the SDK too.
var intlAbsent = map[string]bool{OpOrganizations: true, OpMonthlyBreakdown: true, OpTransferAmount: true, OpRetrieveAmount: true,
	OpFeeRecords: true}

// reqCtx carries what a handler needs about one request.
type reqCtx struct {
	r      *http.Request
	caller *account
	lang   string
	reqID  string
	body   []byte
}

const (
	langZH = "zh_CN"
	langEN = "en_US"
)

// ServeHTTP implements http.Handler.
func (s *Simulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.cfg.LogRequests <= 0 {
		s.serve(w, r, nil)
		return
	}
	start := time.Now()
	sw := &statusWriter{ResponseWriter: w}
	var info Request
	s.serve(sw, r, &info)
	info.Time, info.Duration, info.Status = start, time.Since(start), sw.status
	info.Method, info.Path, info.Query = r.Method, r.URL.Path, r.URL.RawQuery
	s.logMu.Lock()
	if len(s.log) >= s.cfg.LogRequests {
		n := copy(s.log, s.log[len(s.log)/2:])
		s.log = s.log[:n]
	}
	s.log = append(s.log, info)
	s.logMu.Unlock()
}

// Request is one logged request (see Config.LogRequests).
type Request struct {
	Time      time.Time     // wall-clock arrival
	Duration  time.Duration // time to answer
	Operation string        // Op* constant; "" for unknown paths
	AccountID string        // authenticated caller; "" if authentication failed
	Method    string
	Path      string
	Query     string // raw query string as received
	Status    int    // HTTP status; 0 when the connection was reset
}

// Requests returns the logged requests, oldest first (Config.LogRequests
// must be positive). When the log is full its older half is dropped.
func (s *Simulator) Requests() []Request {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	return append([]Request(nil), s.log...)
}

// statusWriter records the status code; it passes hijacking through.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("bsssim: connection cannot be hijacked")
	}
	return hj.Hijack()
}

func (s *Simulator) serve(w http.ResponseWriter, r *http.Request, info *Request) {
	if info == nil {
		info = &Request{}
	}
	reqID := s.requestID()
	h := w.Header()
	h.Set("X-Request-Id", reqID)
	h.Set("Content-Type", "application/json;charset=UTF-8")
	path := r.URL.Path
	if len(path) > 1 && path[len(path)-1] == '/' {
		path = path[:len(path)-1]
	}
	rt, ok := routes[r.Method+" "+path]
	if !ok || (s.cfg.Site == SiteIntl && intlAbsent[rt.op]) {
		writeJSON(w, http.StatusNotFound, gatewayError("APIG.0101", "The API does not exist or has not been published in the environment.", reqID))
		return
	}
	info.Operation = rt.op
	cnt := s.counters[rt.op]
	cnt.requests.Add(1)
	body, err := readBody(r)
	if err != nil {
		writeJSON(w, http.StatusRequestEntityTooLarge, gatewayError("APIG.0201", "Request entity too large.", reqID))
		return
	}
	caller, status, msg := s.authenticate(r, body)
	if status != 0 {
		writeJSON(w, status, gatewayError("APIG.0301", msg, reqID))
		return
	}
	info.AccountID = caller.ID
	rc := &reqCtx{r: r, caller: caller, lang: s.language(r), reqID: reqID, body: body}
	if limit, throttled := s.throttle(caller.ID, rt.op); throttled {
		cnt.throttled.Add(1)
		if s.currentFaults().RetryAfter {
			h.Set("Retry-After", "1")
		}
		writeJSON(w, http.StatusTooManyRequests, throttleBody(limit, reqID))
		return
	}
	if s.injectFault(w, r, rt.op, reqID, cnt) {
		return
	}
	var replayKey string
	if s.cfg.ReplayResponses && r.Method == http.MethodGet {
		replayKey = caller.ID + " " + rt.op + " " + r.URL.Query().Encode()
		if b, ok := s.replayed.Load(replayKey); ok {
			cnt.ok.Add(1)
			writeJSON(w, http.StatusOK, b.([]byte))
			return
		}
	}
	status, out := rt.handler(s, rc)
	if replayKey != "" && status == http.StatusOK {
		s.replayed.Store(replayKey, bytes.Clone(out))
	}
	if s.injectTruncate(rt.op) {
		cnt.faults.Add(1)
		h.Set("Content-Length", itoa(len(out)))
		w.WriteHeader(status)
		_, _ = w.Write(out[:len(out)/2])
		putBuf(out)
		return
	}
	if status == http.StatusOK {
		cnt.ok.Add(1)
	}
	writeJSON(w, status, out)
	putBuf(out)
}

func (s *Simulator) language(r *http.Request) string {
	switch v := r.Header.Get("X-Language"); {
	case equalFold(v, langZH):
		return langZH
	case equalFold(v, langEN):
		return langEN
	}
	if s.cfg.Site == SiteIntl {
		return langEN
	}
	return langZH
}

func (s *Simulator) requestID() string {
	n := s.reqSeq.Add(1)
	return hexID(mix(uint64(s.cfg.Seed), 800, n), 32)
}

// RequestCount returns how many requests reached operation op (after routing,
// before authentication), including failed ones.
func (s *Simulator) RequestCount(op string) int64 {
	if c := s.counters[op]; c != nil {
		return c.requests.Load()
	}
	return 0
}

// OpStats are per-operation counters.
type OpStats struct {
	Requests  int64 // requests routed to the operation
	OK        int64 // answered 200 by the handler (faults excluded)
	Throttled int64 // answered 429 by the quota limiter or the throttle fault
	Faults    int64 // injected faults (5xx, resets, truncations, ...)
}

// Stats returns the counters of every operation.
func (s *Simulator) Stats() map[string]OpStats {
	out := make(map[string]OpStats, len(s.counters))
	for op, c := range s.counters {
		out[op] = OpStats{Requests: c.requests.Load(), OK: c.ok.Load(), Throttled: c.throttled.Load(), Faults: c.faults.Load()}
	}
	return out
}

// ResetStats zeroes all counters and empties the request log.
func (s *Simulator) ResetStats() {
	s.logMu.Lock()
	s.log = s.log[:0]
	s.logMu.Unlock()
	for _, c := range s.counters {
		c.requests.Store(0)
		c.ok.Store(0)
		c.throttled.Store(0)
		c.faults.Store(0)
	}
}

// Reissue re-issues the bills of cycle ("2006-01"): 5% of lines get new
// amounts, 2% disappear and 1% new late lines appear, all derived from the
// new version number, which it returns. Works on closed months too.
func (s *Simulator) Reissue(cycle string) (int, error) {
	m, ok := parseMonth(cycle)
	if !ok {
		return 0, errBadCycle(cycle)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.monthStateLocked(m)
	st.version++
	at := st.reissuedAt[:min(len(st.reissuedAt), st.version-1)]
	for len(at) < st.version-1 {
		at = append(at, time.Time{}) // versions set by SetVersion: no time
	}
	st.reissuedAt = append(at, s.cfg.Now())
	return st.version, nil
}

// SetVersion sets the re-issue version of cycle (0 = original bills).
func (s *Simulator) SetVersion(cycle string, version int) error {
	m, ok := parseMonth(cycle)
	if !ok || version < 0 {
		return errBadCycle(cycle)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.monthStateLocked(m).version = version
	return nil
}

// SetEmpty makes cycle a month without any bill lines (a month fully
// refunded or cancelled), or restores its lines with empty false.
func (s *Simulator) SetEmpty(cycle string, empty bool) error {
	m, ok := parseMonth(cycle)
	if !ok {
		return errBadCycle(cycle)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.monthStateLocked(m).empty = empty
	return nil
}

// SetDrift makes total_count of cycle's resource records change between
// reads: each read sees 1-3 extra lines (cycling) until settleAfter reads
// have happened, after which the month is stable again. settleAfter < 0
// never settles; 0 switches drift off. The read counter restarts.
func (s *Simulator) SetDrift(cycle string, settleAfter int) error {
	m, ok := parseMonth(cycle)
	if !ok {
		return errBadCycle(cycle)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.monthStateLocked(m)
	st.driftSettle, st.driftReads = settleAfter, 0
	return nil
}

// CloseMonth finalises cycle now: if it is the current month, its lines stop
// growing with the clock. Only Reissue changes a closed month afterwards.
func (s *Simulator) CloseMonth(cycle string) error {
	m, ok := parseMonth(cycle)
	if !ok {
		return errBadCycle(cycle)
	}
	days := s.snapshot(m).days
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.monthStateLocked(m)
	if !st.closed {
		st.closed, st.frozenDays = true, days
	}
	return nil
}

// MonthClosed reports whether cycle is final: closed by CloseMonth, or past
// 10:00 UTC+8 on the 3rd of the following month by the simulator clock.
func (s *Simulator) MonthClosed(cycle string) bool {
	m, ok := parseMonth(cycle)
	if !ok {
		return false
	}
	s.mu.Lock()
	st := s.months[m]
	closed := st != nil && st.closed
	s.mu.Unlock()
	return closed || !s.cfg.Now().Before(m.finalAt())
}

// SetMaxIndependentForAll changes the CBC.18000048 threshold.
func (s *Simulator) SetMaxIndependentForAll(n int) {
	s.mu.Lock()
	s.maxIndep = n
	s.mu.Unlock()
}

func (s *Simulator) visibleForAll(caller *account) ([]*account, bool) {
	if !caller.Master {
		return []*account{caller}, true
	}
	s.mu.Lock()
	max := s.maxIndep
	s.mu.Unlock()
	indep := 0
	out := []*account{caller}
	for _, a := range s.t.accounts[1:] {
		if a.Independent {
			indep++
		}
		if a.Authorized {
			out = append(out, a)
		}
	}
	return out, indep <= max
}

// handlePartner denies partner-only operations to the tenant's customers.
func (s *Simulator) handlePartner(*reqCtx) (int, []byte) { return accessDenied() }

// authFailed records an authentication failure of ak for the lockout.
func (s *Simulator) authFailed(ak string) {
	if !s.cfg.AuthLockout {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures[ak]++
	if s.failures[ak] >= 5 {
		s.failures[ak] = 0
		s.lockedTil[ak] = s.cfg.Now().Add(5 * time.Minute)
	}
}

// authLocked reports whether ak is locked; a success clears the failures.
func (s *Simulator) authLocked(ak string) bool {
	if !s.cfg.AuthLockout {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cfg.Now().Before(s.lockedTil[ak])
}

func (s *Simulator) authSucceeded(ak string) {
	if !s.cfg.AuthLockout {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.failures, ak)
}
