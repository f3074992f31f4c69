package bsssim

import (
	"encoding/hex"
	"fmt"
	"strconv"
)

// mix hashes a sequence of integers into 64 well-mixed bits (splitmix64
// finaliser over a running state). Every generated value derives from it.
func mix(vals ...uint64) uint64 {
	h := uint64(0x9E3779B97F4A7C15)
	for _, v := range vals {
		h ^= v + 0x9E3779B97F4A7C15 + (h << 6) + (h >> 2)
		h = splitmix(h)
	}
	return h
}

func splitmix(x uint64) uint64 {
	x += 0x9E3779B97F4A7C15
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9
	x = (x ^ (x >> 27)) * 0x94D049BB133111EB
	return x ^ (x >> 31)
}

// rng is a tiny deterministic generator seeded from mix.
type rng struct{ s uint64 }

func (r *rng) next() uint64 {
	r.s += 0x9E3779B97F4A7C15
	z := r.s
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

// intn returns a value in [0, n).
func (r *rng) intn(n int) int {
	if n <= 1 {
		return 0
	}
	return int(r.next() % uint64(n))
}

// between returns a value in [lo, hi].
func (r *rng) between(lo, hi int64) int64 {
	if hi <= lo {
		return lo
	}
	return lo + int64(r.next()%uint64(hi-lo+1))
}

func hexID(h uint64, n int) string {
	var b [16]byte
	for i := 0; i < 8; i++ {
		b[i] = byte(h >> (8 * i))
	}
	h2 := splitmix(h)
	for i := 0; i < 8; i++ {
		b[8+i] = byte(h2 >> (8 * i))
	}
	s := hex.EncodeToString(b[:])
	return s[:n]
}

func uuidLike(h uint64) string {
	s := hexID(h, 32)
	return s[0:8] + "-" + s[8:12] + "-4" + s[13:16] + "-8" + s[17:20] + "-" + s[20:32]
}

// Account describes one account of the synthetic tenant.
type Account struct {
	// Index is 0 for the master and 1..N for members, in listing order.
	Index       int
	ID          string // account (domain) ID, 32 hex characters
	Name        string // login name
	DisplayName string
	Master      bool
	// Independent is true for members with independent accounting.
	Independent bool
	// Authorized is true for independent members that let the master view
	// their consumption (always true for the master and unified members).
	Authorized bool
	Status     int    // member status (1 normal, 3 closing, ...)
	OrgID      string // org unit of a member
	OrgName    string
	// AK and SK are the account's own credentials (members get derived ones).
	AK, SK string
}

type enterpriseProject struct {
	id, name string
}

type resource struct {
	id, name, tag string
	rt            *resourceType
	svc           *serviceType
	region        *region // nil for global services
	chargeMode    int     // 1, 3, 10, 11
	sku           string
	ep            *enterpriseProject // nil: null project
	specSize      int64              // GB, for linear products
	productName   string
	// ri is the reserved instance of the same account and resource type that
	// covers this pay-per-use resource's usage (nil: none): its usage lines
	// carry ri_usage and the RI's ID in sub_resource_id. The simulator does
	// not model an RI's region or flavour scope.
	ri *resource
}

type account struct {
	Account
	idx       int
	resources []resource
	packages  []pkg
	balances  []balance
	debt      int64 // cents
}

type orgUnit struct {
	id, relationID, name string
	parent               int // index into org units; -1 = root
}

type pkg struct {
	orderInstanceID, orderID, productID, productName string
	ep                                               *enterpriseProject
	epScope                                          int
	effective, expire                                string
	status                                           int
	svc                                              *serviceType
	region                                           *region
	sourceType                                       int
	bundleType                                       string
	reuseMode                                        int
	items                                            []pkgItem
}

type pkgItem struct {
	id, usageNameEN, usageNameZH, typeNameEN, typeNameZH string
	remaining, original                                  int64 // 1e-3 units
	measureID                                            int
	reuseCycle, reuseCycleType                           int // 0: none (null)
	start, end                                           string
}

type balance struct {
	accountID  string
	typ        int
	amount     int64 // cents
	designated int64
	credit     int64 // credit line, only type 2
}

type tenant struct {
	root     orgUnit
	orgUnits []orgUnit
	accounts []*account // 0 = master
	byID     map[string]*account
	eps      []enterpriseProject
	regions  []region
}

func (s *Simulator) buildTenant() {
	cfg := &s.cfg
	seed := uint64(cfg.Seed)
	t := &tenant{byID: make(map[string]*account)}
	if cfg.Site == SiteIntl {
		t.regions = catalogRegionsIntl
	} else {
		t.regions = catalogRegionsCN
	}
	t.eps = []enterpriseProject{
		{"0", "default"},
		{uuidLike(mix(seed, 901)), "web-platform"},
		{uuidLike(mix(seed, 902)), "data-lake"},
	}
	t.root = orgUnit{id: "1000000001", name: "Acme Group", parent: -1}
	names := []string{"R&D", "Platform Team", "Finance", "Operations", "Marketing", "Data Science", "Security", "Sales"}
	for k := 0; k < cfg.Scale.OrgUnits; k++ {
		parent := -1
		if k >= 2 {
			parent = (k - 2) / 2
		}
		name := names[k%len(names)]
		if k >= len(names) {
			name += " " + strconv.Itoa(k/len(names)+1)
		}
		t.orgUnits = append(t.orgUnits, orgUnit{
			id:         strconv.Itoa(1000000102 + 2*k),
			relationID: strconv.Itoa(2000000101 + 2*k),
			name:       name,
			parent:     parent,
		})
	}
	master := &account{Account: Account{Index: 0, ID: cfg.DomainID, Name: cfg.MasterName, DisplayName: "Acme Group",
		Master: true, Authorized: true, Status: 1, AK: cfg.AK, SK: cfg.SK}}
	t.accounts = append(t.accounts, master)
	sc := cfg.Scale
	for j := 1; j <= sc.Members; j++ {
		h := mix(seed, 100, uint64(j))
		a := &account{Account: Account{Index: j, ID: hexID(h, 32), Name: fmt.Sprintf("%s-m%02d", cfg.MasterName, j),
			DisplayName: fmt.Sprintf("Team %d", j), Status: 1, Authorized: true}}
		if j == 2 {
			a.DisplayName = "研发 部/A+B"
		}
		if j == 3 && sc.Members >= 4 {
			a.Status = 3
		}
		// The last IndependentMembers members are independent; the first
		// UnauthorizedMembers of those have not authorised the master.
		first := sc.Members - sc.IndependentMembers + 1
		if j >= first {
			a.Independent = true
			a.Authorized = j >= first+sc.UnauthorizedMembers
		}
		org := j % (len(t.orgUnits) + 1)
		if org == 0 {
			a.OrgID, a.OrgName = t.root.id, ""
		} else {
			a.OrgID, a.OrgName = t.orgUnits[org-1].id, t.orgUnits[org-1].name
		}
		a.AK = fmt.Sprintf("HPUASIMMEMBER%07d", j)
		a.SK = "simMemberSK" + hexID(mix(seed, 200, uint64(j)), 29)
		t.accounts = append(t.accounts, a)
	}
	for i, a := range t.accounts {
		a.idx = i
		t.byID[a.ID] = a
		s.genResources(t, a)
		s.genPackages(t, a)
		s.genBalances(a)
	}
	s.t = t
}

func (s *Simulator) genResources(t *tenant, a *account) {
	seed := uint64(s.cfg.Seed)
	n := s.cfg.Scale.Resources
	a.resources = make([]resource, n)
	for k := 0; k < n; k++ {
		r := rng{s: mix(seed, 300, uint64(a.idx), uint64(k))}
		rt := &catalogResourceTypes[r.intn(len(catalogResourceTypes))]
		res := resource{rt: rt, svc: serviceByCode(rt.service)}
		res.id = uuidLike(r.next())
		if rt.code == "hws.resource.type.cdn" {
			res.id = fmt.Sprintf("static%d.a%d.example-acme.com", k, a.idx)
		}
		res.name = fmt.Sprintf("%s-%s-%02d", a.Name, shortName(rt.code), k)
		switch r.intn(4) {
		case 0:
			res.tag = ""
		case 1:
			res.tag = "env=prod"
		case 2:
			res.tag = "env=dev;team=platform"
		default:
			res.tag = "cost-center=cc" + strconv.Itoa(r.intn(9)+1)
		}
		if !rt.global {
			res.region = &t.regions[r.intn(len(t.regions))]
		}
		res.chargeMode = 3
		if rt.prepaid {
			switch p := r.intn(10); {
			case p < 4:
				res.chargeMode = 1
			case p == 4 && rt.code == "hws.resource.type.vm":
				res.chargeMode = 10
			case p == 5 && rt.code == "hws.resource.type.vm":
				res.chargeMode = 11
			}
		}
		res.sku = rt.skus[r.intn(len(rt.skus))]
		if !rt.noEP {
			res.ep = &t.eps[r.intn(len(t.eps))]
		}
		if rt.specSize {
			res.specSize = 40 * r.between(1, 10)
		}
		mode := "pay-per-use"
		switch res.chargeMode {
		case 1:
			mode = "yearly/monthly"
		case 10:
			mode = "reserved instance"
		case 11:
			mode = "savings plan"
		}
		res.productName = res.sku + " " + mode
		a.resources[k] = res
	}
	linkReservedInstances(a.resources)
}

// linkReservedInstances lets the first reserved instance of a resource type
// cover every pay-per-use resource of that type in the same account.
func linkReservedInstances(rs []resource) {
	for i := range rs {
		if rs[i].chargeMode != 3 {
			continue
		}
		for j := range rs {
			if rs[j].chargeMode == 10 && rs[j].rt == rs[i].rt {
				rs[i].ri = &rs[j]
				break
			}
		}
	}
}

func shortName(code string) string {
	for i := len(code) - 1; i >= 0; i-- {
		if code[i] == '.' {
			return code[i+1:]
		}
	}
	return code
}

func (s *Simulator) genPackages(t *tenant, a *account) {
	seed := uint64(s.cfg.Seed)
	now := s.cfg.Now().UTC()
	for k := 0; k < s.cfg.Scale.Packages; k++ {
		r := rng{s: mix(seed, 400, uint64(a.idx), uint64(k))}
		status := k % 5
		var svc *serviceType
		var item pkgItem
		switch r.intn(4) {
		case 0:
			svc = serviceByCode("hws.service.type.obs")
			item = pkgItem{usageNameEN: "Standard storage capacity", usageNameZH: "标准存储容量", typeNameEN: "OBS standard storage package", typeNameZH: "OBS标准存储包", measureID: 10}
		case 1:
			svc = serviceByCode("hws.service.type.cdn")
			item = pkgItem{usageNameEN: "Downstream traffic (Chinese mainland)", usageNameZH: "下行流量(中国大陆)", typeNameEN: "CDN traffic package", typeNameZH: "CDN流量包", measureID: 10}
		case 2:
			svc = serviceByCode("hws.service.type.ec2")
			item = pkgItem{usageNameEN: "Duration", usageNameZH: "时长", typeNameEN: "ECS duration package", typeNameZH: "云主机时长包", measureID: 4}
		default:
			svc = serviceByCode("hws.service.type.vpc")
			item = pkgItem{usageNameEN: "Shared data transfer", usageNameZH: "共享流量", typeNameEN: "Shared traffic package", typeNameZH: "共享流量包", measureID: 10}
		}
		p := pkg{svc: svc, status: status, bundleType: "ATOMIC_PKG", sourceType: 0, reuseMode: 2}
		p.orderInstanceID = hexID(r.next(), 32)
		p.orderID = fmt.Sprintf("CS%s%05d", now.Format("060102"), r.intn(99999))
		if k%7 == 6 {
			p.sourceType = 1
			p.orderID = ""
		}
		if k%4 == 3 {
			p.bundleType = "BUNDLE_PKG"
		}
		p.productID = fmt.Sprintf("00301-%06d-0--0", 300000+r.intn(99999))
		p.productName = item.typeNameEN + fmt.Sprintf(" %d units (1 year)", 100*(k+1))
		if svc.code != "hws.service.type.cdn" {
			p.region = &t.regions[r.intn(len(t.regions))]
		}
		if r.intn(3) == 0 {
			p.ep = &t.eps[1+r.intn(len(t.eps)-1)]
			p.epScope = 1
		} else {
			p.ep = &t.eps[0]
		}
		// Validity relative to the clock, consistent with the status.
		start := now.AddDate(0, -6, 0)
		end := now.AddDate(0, 6, 0)
		switch status {
		case 0:
			start, end = now.AddDate(0, 1, 0), now.AddDate(1, 1, 0)
		case 3:
			start, end = now.AddDate(-1, -2, 0), now.AddDate(0, -2, 0)
		case 4:
			end = now.AddDate(0, -1, 0)
		}
		start = start.Truncate(timeSecond)
		end = end.Truncate(timeSecond)
		p.effective, p.expire = fmtTime(start), fmtTime(end)
		nItems := 1
		if p.bundleType == "BUNDLE_PKG" {
			nItems = 2
		}
		for it := 0; it < nItems; it++ {
			i2 := item
			i2.id = uuidLike(r.next())
			i2.original = 1000 * 100 * int64(k+1)
			switch status {
			case 0:
				i2.remaining = i2.original
			case 2:
				i2.remaining = 0
			default:
				i2.remaining = r.between(0, i2.original)
			}
			i2.start, i2.end = p.effective, p.expire
			if k%3 == 1 {
				p.reuseMode = 1
				i2.reuseCycle, i2.reuseCycleType = 4, 2
				i2.start = fmtTime(now.AddDate(0, 0, -10).Truncate(timeSecond))
				i2.end = fmtTime(now.AddDate(0, 0, 20).Truncate(timeSecond))
			}
			p.items = append(p.items, i2)
		}
		a.packages = append(a.packages, p)
	}
}

func (s *Simulator) genBalances(a *account) {
	seed := uint64(s.cfg.Seed)
	r := rng{s: mix(seed, 500, uint64(a.idx))}
	id := func(t int) string {
		return fmt.Sprintf("AT%03d0%s", t, hexID(mix(seed, 501, uint64(a.idx), uint64(t)), 14))
	}
	credit := r.between(10000, 100000) * 100
	a.balances = []balance{
		{accountID: id(1), typ: 1, amount: r.between(0, 5000000), designated: r.between(0, 10000)},
		{accountID: id(2), typ: 2, amount: r.between(0, credit), credit: credit},
		{accountID: id(5), typ: 5, amount: 0},
		{accountID: id(7), typ: 7, amount: r.between(0, 3) * 100000},
	}
	if a.idx%4 == 3 {
		a.balances[0].amount = 0
		a.debt = r.between(1, 99999)
	}
}
