package bsssim

import (
	"slices"
	"time"
)

// Demo credentials used by `go run ./cmd/bss-sim` and `syncd demo`. They are
// invented values that are only ever accepted by this simulator.
const (
	// DemoAK is the access key of the demo enterprise master account.
	DemoAK = "HPUASIMDEMOAK0000001"
	// DemoSK is the secret key belonging to DemoAK.
	DemoSK = "simDemoSecretKey0123456789abcdefSIMDEMO0"
	// DemoDomainID is the account (domain) ID of the demo enterprise master.
	DemoDomainID = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
	// DemoSeed is the seed of the demo tenant.
	DemoSeed = 20240603
)

// Site selects which Huawei Cloud site the simulator imitates.
type Site string

// The two sites of the BSS API (reference §2).
const (
	SiteCN   Site = "cn"
	SiteIntl Site = "intl"
)

// Operation names, as the official SDK names them. They key quotas, faults
// and request counters.
const (
	OpMonthlySum       = "ShowCustomerMonthlySum"
	OpResourceRecords  = "ListCustomerselfResourceRecords"
	OpBalances         = "ShowCustomerAccountBalances"
	OpFreeResources    = "ListFreeResourceInfos"
	OpFreeResourceUse  = "ListFreeResourceUsages"
	OpOrganizations    = "ListEnterpriseOrganizations"
	OpSubCustomers     = "ListEnterpriseSubCustomers"
	OpServiceTypes     = "ListServiceTypes"
	OpResourceTypes    = "ListResourceTypes"
	OpServiceResources = "ListServiceResources"
	OpUsageTypes       = "ListUsageTypes"
	OpMeasureUnits     = "ListMeasureUnits"
	OpConversions      = "ListConversions"
	// OpMonthlyBreakdown is the amortised monthly cost of Cost Center
	// (China site only).
	OpMonthlyBreakdown = "ListCustomerBillsMonthlyBreakDown"
	// OpTransferAmount and OpRetrieveAmount are the member funds of an
	// enterprise master (China site only): what the master can allocate,
	// and what it can take back from one member.
	OpTransferAmount = "ShowMultiAccountTransferAmount"
	OpRetrieveAmount = "ListEnterpriseMultiAccount"
	// OpPartner counts calls to partner-only endpoints (reference §12),
	// which every tenant account is denied with CBC.0151.
	OpPartner = "PartnerOnly"
)

// Operations lists every operation the simulator serves, sorted: the
// operations of its route table (sim.go), so a new endpoint is listed by its
// route alone. The partner-only stand-in OpPartner is not one.
func Operations() []string {
	var ops []string
	for _, r := range routes {
		if r.op != OpPartner && !slices.Contains(ops, r.op) {
			ops = append(ops, r.op)
		}
	}
	slices.Sort(ops)
	return ops
}

// DocumentedQuotas returns the per-operation request quotas of reference §6:
// 30 requests per second for resource records, 10 for everything else.
func DocumentedQuotas() map[string]float64 {
	q := make(map[string]float64)
	for _, op := range Operations() {
		q[op] = 10
	}
	q[OpResourceRecords] = 30
	return q
}

// Scale sizes the synthetic tenant. Zero fields take the defaults noted.
type Scale struct {
	// Members is the number of member accounts under the enterprise master
	// (default 4; negative means none, i.e. a plain customer).
	Members int
	// IndependentMembers is how many of the members use independent
	// accounting (default Members/2). The others use unified accounting.
	IndependentMembers int
	// UnauthorizedMembers is how many of the independent members have not
	// authorised the master to view their consumption (default 0 unless
	// there are at least 2 independent members, then 1).
	UnauthorizedMembers int
	// OrgUnits is the number of organisation units below the root (default 4).
	OrgUnits int
	// Months is the number of billing months with data, ending with the
	// current month (default 3, at most 36).
	Months int
	// RecordsPerMonth is the nominal number of itemised records per account
	// and month (default 200). Each account/month varies it by -20%..+20%;
	// the current month holds only the days elapsed so far.
	RecordsPerMonth int
	// Resources is the number of resources per account (default 40).
	Resources int
	// Packages is the number of resource packages per account (default 10).
	Packages int
}

// Faults sets injected failure rates. Each rate is a probability in [0,1]
// applied independently per request (after authentication and throttling).
type Faults struct {
	ServerError  float64       // HTTP 500 with CBC.0999
	GatewayError float64       // HTTP 502/504 with an APIG gateway body
	Throttle     float64       // HTTP 429 APIG.0308 regardless of quotas
	Reset        float64       // the connection is reset without a response
	Truncate     float64       // HTTP 200 whose body is cut short
	ErrorBody200 float64       // HTTP 200 carrying a CBC.0999 error body (legacy quirk)
	Latency      time.Duration // extra delay added to requests
	LatencyRate  float64       // share of requests delayed (0 with Latency > 0 means all)
	// RetryAfter adds "Retry-After: 1" to every 429 answer.
	RetryAfter bool
	// Operations restricts the rates above to these operations (empty: all).
	Operations []string
}

// Credential is one AK/SK pair accepted by the simulator. SecurityToken, if
// set, marks temporary credentials: requests must then carry (and sign) a
// matching X-Security-Token header.
type Credential struct {
	AK, SK        string
	DomainID      string
	SecurityToken string
}

// Config configures a Simulator. The zero value is usable: it serves the demo
// credentials, demo seed and default scale on the China site with the real
// clock, no faults and no throttling.
type Config struct {
	// AK, SK and DomainID are the enterprise master's credentials
	// (defaults DemoAK, DemoSK, DemoDomainID). SecurityToken makes them temporary.
	AK, SK, DomainID, SecurityToken string
	// MasterName is the master's login name (default "acme-master").
	MasterName string
	// Site is SiteCN (CNY, default) or SiteIntl (USD, English names by
	// default; ListEnterpriseOrganizations answers 404 APIG.0101, as the
	// operation is absent from the international SDK).
	Site Site
	// Seed determines every generated value (default DemoSeed when zero).
	Seed  int64
	Scale Scale
	// Now is the simulator clock (default time.Now). It decides the current
	// billing month and the ±15 minute signature window.
	Now func() time.Time
	// Faults are the initial fault rates (see SetFaults).
	Faults Faults
	// Quotas maps an operation (Op* constants) to requests per second per
	// account. A nil map disables throttling; in a non-nil map a missing
	// operation gets 10/s and 0 means unthrottled. See DocumentedQuotas.
	Quotas map[string]float64
	// MaxIndependentForAll is the number of independent members above which
	// a master's method=all query fails with CBC.18000048 (default 1000).
	MaxIndependentForAll int
	// StrictDomainID rejects AK/SK requests without X-Domain-Id.
	StrictDomainID bool
	// Credentials are extra accepted credentials, e.g. temporary ones; their
	// DomainID must be the master's or a member's account ID.
	Credentials []Credential
	// AuthTokens maps X-Auth-Token values to account IDs.
	AuthTokens map[string]string
	// DisableAuth skips signature checks entirely (requests act as the master).
	DisableAuth bool
	// LogRequests keeps a log of up to that many recent requests for
	// Requests (0: no log).
	LogRequests int
	// AuthLockout locks an access key for 5 minutes (simulator clock) after
	// 5 consecutive authentication failures, as the gateway does.
	AuthLockout bool
	// NoCostCenter lists account IDs without Cost Center: their amortised
	// cost breakdown answers CBC.18000014 (see SetCostCenter).
	NoCostCenter []string
	// ReplayResponses answers a GET that a caller already made (the same
	// operation and query parameters, in any order) with the body of its
	// first successful answer instead of rendering the page again.
	// Authentication, quotas and faults still apply. For benchmarks, where
	// the simulator stands in for a remote API whose rendering costs the
	// client nothing; a replayed answer ignores later changes (knobs,
	// clock, re-issued months), and every body is kept in memory.
	ReplayResponses bool
}

func (c *Config) applyDefaults() {
	if c.AK == "" {
		c.AK = DemoAK
	}
	if c.SK == "" {
		c.SK = DemoSK
	}
	if c.DomainID == "" {
		c.DomainID = DemoDomainID
	}
	if c.MasterName == "" {
		c.MasterName = "acme-master"
	}
	if c.Site == "" {
		c.Site = SiteCN
	}
	if c.Seed == 0 {
		c.Seed = DemoSeed
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.MaxIndependentForAll == 0 {
		c.MaxIndependentForAll = 1000
	}
	s := &c.Scale
	if s.Members == 0 {
		s.Members = 4
	}
	if s.Members < 0 {
		s.Members = 0
	}
	if s.IndependentMembers == 0 {
		s.IndependentMembers = s.Members / 2
	}
	if s.IndependentMembers > s.Members {
		s.IndependentMembers = s.Members
	}
	if s.UnauthorizedMembers == 0 && s.IndependentMembers >= 2 {
		s.UnauthorizedMembers = 1
	}
	if s.UnauthorizedMembers > s.IndependentMembers {
		s.UnauthorizedMembers = s.IndependentMembers
	}
	if s.OrgUnits == 0 {
		s.OrgUnits = 4
	}
	if s.Months <= 0 {
		s.Months = 3
	}
	if s.Months > 36 {
		s.Months = 36
	}
	if s.RecordsPerMonth == 0 {
		s.RecordsPerMonth = 200
	}
	if s.Resources <= 0 {
		s.Resources = 40
	}
	if s.Packages <= 0 {
		s.Packages = 10
	}
}
