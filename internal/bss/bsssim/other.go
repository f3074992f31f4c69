package bsssim

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// handleBalances serves GET /v2/accounts/customer-accounts/balances
// (ShowCustomerAccountBalances, reference §8.1): always the caller's own.
func (s *Simulator) handleBalances(rc *reqCtx) (int, []byte) {
	type item struct {
		AccountID        string `json:"account_id"`
		AccountType      int    `json:"account_type"`
		Amount           money  `json:"amount"`
		Currency         string `json:"currency"`
		DesignatedAmount money  `json:"designated_amount"`
		CreditAmount     *money `json:"credit_amount,omitempty"`
		MeasureID        int    `json:"measure_id"`
	}
	a := rc.caller
	out := struct {
		AccountBalances []item `json:"account_balances"`
		DebtAmount      money  `json:"debt_amount"`
		MeasureID       int    `json:"measure_id"`
		Currency        string `json:"currency"`
	}{DebtAmount: money(a.debt), MeasureID: 1, Currency: s.Currency()}
	for _, b := range a.balances {
		it := item{AccountID: b.accountID, AccountType: b.typ, Amount: money(b.amount), Currency: s.Currency(),
			DesignatedAmount: money(b.designated), MeasureID: 1}
		if b.typ == 2 {
			c := money(b.credit)
			it.CreditAmount = &c
		}
		out.AccountBalances = append(out.AccountBalances, it)
	}
	return marshal(out)
}

// decodeBody decodes a JSON request body; an empty body is an empty object.
func decodeBody(body []byte, v any) bool {
	if len(bytes.TrimSpace(body)) == 0 {
		return true
	}
	return json.Unmarshal(body, v) == nil
}

// handleFreeResources serves POST /v3/payments/free-resources/query
// (ListFreeResourceInfos, reference §9.1): quotas are strings here.
func (s *Simulator) handleFreeResources(rc *reqCtx) (int, []byte) {
	var req struct {
		RegionCode          *string  `json:"region_code"`
		OrderID             *string  `json:"order_id"`
		ProductID           *string  `json:"product_id"`
		ProductName         *string  `json:"product_name"`
		EnterpriseProjectID *string  `json:"enterprise_project_id"`
		Status              *int     `json:"status"`
		Offset              *int     `json:"offset"`
		Limit               *int     `json:"limit"`
		ServiceTypeCodeList []string `json:"service_type_code_list"`
	}
	if !decodeBody(rc.body, &req) {
		return paramError("the request body is not valid JSON of the expected types.")
	}
	offset, limit := 0, 10
	if req.Offset != nil {
		if *req.Offset < 0 || *req.Offset > 999999 {
			return paramError("offset must be between 0 and 999999.")
		}
		offset = *req.Offset
	}
	if req.Limit != nil {
		if *req.Limit < 1 || *req.Limit > 1000 {
			return paramError("limit must be between 1 and 1000.")
		}
		limit = *req.Limit
	}
	if req.Status != nil && (*req.Status < 0 || *req.Status > 4) {
		return paramError("status must be between 0 and 4.")
	}
	set := func(p *string) bool { return p != nil && *p != "" }
	type item struct {
		FreeResourceID string `json:"free_resource_id"`
		UsageTypeName  string `json:"usage_type_name"`
		Amount         string `json:"amount"`
		OriginalAmount string `json:"original_amount"`
		MeasureID      int    `json:"measure_id"`
	}
	type pkgOut struct {
		OrderInstanceID        string  `json:"order_instance_id"`
		OrderID                string  `json:"order_id"`
		ProductID              string  `json:"product_id"`
		ProductName            string  `json:"product_name"`
		EnterpriseProjectID    string  `json:"enterprise_project_id"`
		EnterpriseProjectScope int     `json:"enterprise_project_scope"`
		EffectiveTime          string  `json:"effective_time"`
		ExpireTime             string  `json:"expire_time"`
		Status                 int     `json:"status"`
		ServiceTypeCode        string  `json:"service_type_code"`
		ServiceTypeName        string  `json:"service_type_name"`
		RegionCode             *string `json:"region_code"`
		SourceType             int     `json:"source_type"`
		BundleType             string  `json:"bundle_type"`
		QuotaReuseMode         int     `json:"quota_reuse_mode"`
		FreeResources          []item  `json:"free_resources"`
	}
	var all []pkgOut
	for i := range rc.caller.packages {
		p := &rc.caller.packages[i]
		switch {
		case set(req.RegionCode) && (p.region == nil || p.region.code != *req.RegionCode),
			set(req.OrderID) && p.orderID != *req.OrderID,
			set(req.ProductID) && p.productID != *req.ProductID,
			set(req.ProductName) && p.productName != *req.ProductName,
			set(req.EnterpriseProjectID) && p.ep.id != *req.EnterpriseProjectID,
			req.Status != nil && p.status != *req.Status:
			continue
		}
		if len(req.ServiceTypeCodeList) > 0 {
			found := false
			for _, c := range req.ServiceTypeCodeList {
				found = found || strings.EqualFold(c, p.svc.code)
			}
			if !found {
				continue
			}
		}
		o := pkgOut{OrderInstanceID: p.orderInstanceID, OrderID: p.orderID, ProductID: p.productID, ProductName: p.productName,
			EnterpriseProjectID: p.ep.id, EnterpriseProjectScope: p.epScope, EffectiveTime: p.effective, ExpireTime: p.expire,
			Status: p.status, ServiceTypeCode: p.svc.code, ServiceTypeName: pick(rc.lang, p.svc.nameEN, p.svc.nameZH),
			SourceType: p.sourceType, BundleType: p.bundleType, QuotaReuseMode: p.reuseMode, FreeResources: []item{}}
		if p.region != nil {
			o.RegionCode = &p.region.code
		}
		for _, it := range p.items {
			o.FreeResources = append(o.FreeResources, item{FreeResourceID: it.id, UsageTypeName: pick(rc.lang, it.usageNameEN, it.usageNameZH),
				Amount: fixedString(it.remaining, 3), OriginalAmount: fixedString(it.original, 3), MeasureID: it.measureID})
		}
		all = append(all, o)
	}
	return marshal(struct {
		TotalCount           int      `json:"total_count"`
		FreeResourcePackages []pkgOut `json:"free_resource_packages"`
	}{len(all), pageOf(all, offset, limit)})
}

// handleFreeResourceUsages serves POST
// /v2/payments/free-resources/usages/details/query (ListFreeResourceUsages,
// reference §9.2): quotas are numbers here; unknown IDs are omitted.
func (s *Simulator) handleFreeResourceUsages(rc *reqCtx) (int, []byte) {
	var req struct {
		FreeResourceIDs *[]string `json:"free_resource_ids"`
	}
	if !decodeBody(rc.body, &req) {
		return paramError("the request body is not valid JSON of the expected types.")
	}
	if req.FreeResourceIDs == nil || len(*req.FreeResourceIDs) == 0 {
		return paramError("free_resource_ids is required.")
	}
	if len(*req.FreeResourceIDs) > 100 {
		return paramError("free_resource_ids must contain at most 100 IDs.")
	}
	type detail struct {
		FreeResourceID       string `json:"free_resource_id"`
		FreeResourceTypeName string `json:"free_resource_type_name"`
		QuotaReuseCycle      *int   `json:"quota_reuse_cycle"`
		QuotaReuseCycleType  *int   `json:"quota_reuse_cycle_type"`
		UsageTypeName        string `json:"usage_type_name"`
		StartTime            string `json:"start_time"`
		EndTime              string `json:"end_time"`
		Amount               qty    `json:"amount"`
		OriginalAmount       qty    `json:"original_amount"`
		MeasureID            int    `json:"measure_id"`
	}
	items := make(map[string]*pkgItem)
	for i := range rc.caller.packages {
		for j := range rc.caller.packages[i].items {
			it := &rc.caller.packages[i].items[j]
			items[it.id] = it
		}
	}
	out := []detail{}
	for _, id := range *req.FreeResourceIDs {
		if len(id) > 64 {
			return paramError("free_resource_ids entries must be at most 64 bytes.")
		}
		it := items[id]
		if it == nil {
			continue
		}
		d := detail{FreeResourceID: it.id, FreeResourceTypeName: pick(rc.lang, it.typeNameEN, it.typeNameZH),
			UsageTypeName: pick(rc.lang, it.usageNameEN, it.usageNameZH), StartTime: it.start, EndTime: it.end,
			Amount: qty(it.remaining), OriginalAmount: qty(it.original), MeasureID: it.measureID}
		if it.reuseCycle != 0 {
			c, ct := it.reuseCycle, it.reuseCycleType
			d.QuotaReuseCycle, d.QuotaReuseCycleType = &c, &ct
		}
		out = append(out, d)
	}
	return marshal(struct {
		FreeResources []detail `json:"free_resources"`
	}{out})
}

type orgNode struct {
	RelationID string     `json:"relation_id"`
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	ChildNodes *[]orgNode `json:"child_nodes,omitempty"`
}

// handleOrganizations serves GET
// /v2/enterprises/multi-accounts/enterprise-organizations
// (ListEnterpriseOrganizations, reference §10.1).
func (s *Simulator) handleOrganizations(rc *reqCtx) (int, []byte) {
	if !rc.caller.Master || len(s.t.accounts) == 1 {
		return accessDenied()
	}
	q := parseQuery(rc.r.URL.RawQuery)
	recursive := false
	if vs, ok := q["recursive_query"]; ok {
		switch vs[0] {
		case "0":
		case "1":
			recursive = true
		default:
			return paramError("recursive_query must be 0 or 1.")
		}
	}
	start := -1
	rootID, rootName := s.t.root.id, s.t.root.name
	if vs, ok := q["parent_id"]; ok {
		p := vs[0]
		if p == "" || len(p) > 20 || strings.Trim(p, "0123456789") != "" {
			return paramError("parent_id must contain digits only.")
		}
		rootID, rootName = "", ""
		if p != s.t.root.id {
			start = -2
			for i, u := range s.t.orgUnits {
				if u.id == p {
					start = i
				}
			}
		}
	}
	var children func(parent int, depth int) []orgNode
	children = func(parent int, depth int) []orgNode {
		out := []orgNode{}
		for i, u := range s.t.orgUnits {
			if u.parent != parent || parent == -2 {
				continue
			}
			n := orgNode{RelationID: u.relationID, ID: u.id, Name: u.name}
			if recursive {
				c := children(i, depth+1)
				n.ChildNodes = &c
			}
			out = append(out, n)
		}
		return out
	}
	return marshal(struct {
		RootID     string    `json:"root_id"`
		RootName   string    `json:"root_name"`
		ChildNodes []orgNode `json:"child_nodes"`
	}{rootID, rootName, children(start, 0)})
}

// handleSubCustomers serves GET /v2/enterprises/multi-accounts/sub-customers
// (ListEnterpriseSubCustomers, reference §10.2).
func (s *Simulator) handleSubCustomers(rc *reqCtx) (int, []byte) {
	if !rc.caller.Master || len(s.t.accounts) == 1 {
		return accessDenied()
	}
	q := parseQuery(rc.r.URL.RawQuery)
	offset, limit, st, body := pageParams(q, 100, maxInt32)
	if st != 0 {
		return st, body
	}
	fuzzy := false
	if vs, ok := q["fuzzy_query"]; ok {
		switch vs[0] {
		case "0":
		case "1":
			fuzzy = true
		default:
			return paramError("fuzzy_query must be 0 or 1.")
		}
	}
	name, display, org := optParam(q, "sub_customer_account_name"), optParam(q, "sub_customer_display_name"), optParam(q, "org_id")
	if name != nil && (strings.Contains(*name, " ") || len(*name) > 64) {
		return paramError("sub_customer_account_name must not contain spaces.")
	}
	if display != nil && len(*display) > 64 {
		return paramError("sub_customer_display_name is too long.")
	}
	matchName := func(want *string, got string) bool {
		if want == nil {
			return true
		}
		if fuzzy {
			return *want != "" && strings.Contains(got, *want)
		}
		return got == *want
	}
	type info struct {
		ID          string  `json:"id"`
		Name        string  `json:"name"`
		DisplayName string  `json:"display_name"`
		Status      int     `json:"status"`
		OrgID       string  `json:"org_id"`
		OrgName     *string `json:"org_name"`
	}
	var all []info
	for _, a := range s.t.accounts[1:] {
		if !matchName(name, a.Name) || !matchName(display, a.DisplayName) || (org != nil && a.OrgID != *org) {
			continue
		}
		it := info{ID: a.ID, Name: a.Name, DisplayName: a.DisplayName, Status: a.Status, OrgID: a.OrgID}
		if a.OrgName != "" {
			n := a.OrgName
			it.OrgName = &n
		}
		all = append(all, it)
	}
	return marshal(struct {
		TotalCount       int    `json:"total_count"`
		SubCustomerInfos []info `json:"sub_customer_infos"`
	}{len(all), pageOf(all, offset, limit)})
}

// handleServiceTypes serves GET /v2/products/service-types (reference §11.1).
func (s *Simulator) handleServiceTypes(rc *reqCtx) (int, []byte) {
	q := parseQuery(rc.r.URL.RawQuery)
	offset, limit, st, body := pageParams(q, 1000, 1000000000)
	if st != 0 {
		return st, body
	}
	type item struct {
		ServiceTypeName string `json:"service_type_name"`
		ServiceTypeCode string `json:"service_type_code"`
		Abbreviation    string `json:"abbreviation"`
	}
	var all []item
	name := q.Get("service_type_name")
	for _, sv := range catalogServices {
		n := pick(rc.lang, sv.nameEN, sv.nameZH)
		if name != "" && !strings.Contains(strings.ToLower(n), strings.ToLower(name)) {
			continue
		}
		all = append(all, item{n, sv.code, sv.abbr})
	}
	return marshal(struct {
		TotalCount   int    `json:"total_count"`
		ServiceTypes []item `json:"service_types"`
	}{len(all), pageOf(all, offset, limit)})
}

// pageOf returns all[offset:offset+limit], clipped, never nil (an empty
// page encodes as [], as the service sends it).
func pageOf[T any](all []T, offset, limit int) []T {
	out := []T{}
	for i := offset; i < len(all) && i < offset+limit; i++ {
		out = append(out, all[i])
	}
	return out
}

// handleResourceTypes serves GET /v2/products/resource-types (reference §11.2).
func (s *Simulator) handleResourceTypes(rc *reqCtx) (int, []byte) {
	q := parseQuery(rc.r.URL.RawQuery)
	offset, limit, st, body := pageParams(q, 1000, maxInt32)
	if st != 0 {
		return st, body
	}
	type item struct {
		ResourceTypeCode string `json:"resource_type_code"`
		ResourceTypeName string `json:"resource_type_name"`
		ResourceTypeDesc string `json:"resource_type_desc"`
		ServiceTypeCode  string `json:"service_type_code"`
	}
	var all []item
	for _, rt := range catalogResourceTypes {
		all = append(all, item{rt.code, pick(rc.lang, rt.nameEN, rt.nameZH), pick(rc.lang, rt.descEN, rt.descZH), rt.service})
	}
	return marshal(struct {
		TotalCount    int    `json:"total_count"`
		ResourceTypes []item `json:"resource_types"`
	}{len(all), pageOf(all, offset, limit)})
}

// handleServiceResources serves GET /v2/products/service-resources (reference §11.3).
func (s *Simulator) handleServiceResources(rc *reqCtx) (int, []byte) {
	q := parseQuery(rc.r.URL.RawQuery)
	code := q.Get("service_type_code")
	if code == "" {
		return paramError("service_type_code is required.")
	}
	offset, limit, st, body := pageParams(q, 1000, 10000000)
	if st != 0 {
		return st, body
	}
	type basic struct {
		ResourceTypeCode    string `json:"resource_type_code"`
		ProductOwnerService string `json:"product_owner_service"`
		Name                string `json:"name"`
		Description         string `json:"description"`
	}
	type info struct {
		BasicInfo basic `json:"basic_info"`
	}
	var all []info
	for _, rt := range catalogResourceTypes {
		if rt.service == code {
			all = append(all, info{basic{rt.code, rt.service, pick(rc.lang, rt.nameEN, rt.nameZH), pick(rc.lang, rt.descEN, rt.descZH)}})
		}
	}
	return marshal(struct {
		TotalCount int    `json:"total_count"`
		Infos      []info `json:"infos"`
	}{len(all), pageOf(all, offset, limit)})
}

// handleUsageTypes serves GET /v2/products/usage-types (reference §11.4).
func (s *Simulator) handleUsageTypes(rc *reqCtx) (int, []byte) {
	q := parseQuery(rc.r.URL.RawQuery)
	offset, limit, st, body := pageParams(q, 1000, maxInt32)
	if st != 0 {
		return st, body
	}
	rtf := optParam(q, "resource_type_code")
	type item struct {
		Code             string `json:"code"`
		Name             string `json:"name"`
		ResourceTypeCode string `json:"resource_type_code"`
		ResourceTypeName string `json:"resource_type_name"`
		ServiceTypeCode  string `json:"service_type_code"`
		ServiceTypeName  string `json:"service_type_name"`
	}
	var all []item
	for _, rt := range catalogResourceTypes {
		if rtf != nil && rt.code != *rtf {
			continue
		}
		sv := serviceByCode(rt.service)
		all = append(all, item{rt.usageType, pick(rc.lang, rt.usageNameEN, rt.usageNameZH), rt.code,
			pick(rc.lang, rt.nameEN, rt.nameZH), sv.code, pick(rc.lang, sv.nameEN, sv.nameZH)})
	}
	return marshal(struct {
		TotalCount int    `json:"total_count"`
		UsageTypes []item `json:"usage_types"`
	}{len(all), pageOf(all, offset, limit)})
}

// handleMeasureUnits serves GET /v2/bases/measurements (reference §11.5).
func (s *Simulator) handleMeasureUnits(rc *reqCtx) (int, []byte) {
	type item struct {
		MeasureID    int    `json:"measure_id"`
		MeasureName  string `json:"measure_name"`
		Abbreviation string `json:"abbreviation"`
		MeasureType  int    `json:"measure_type"`
	}
	var all []item
	for _, u := range catalogMeasureUnits {
		name, abbr := pick(rc.lang, u.nameEN, u.nameZH), u.abbr
		if u.id == 1 {
			name = s.moneyName(rc.lang)
			if s.cfg.Site == SiteIntl {
				abbr = "USD"
			}
		}
		all = append(all, item{u.id, name, abbr, u.typ})
	}
	return marshal(struct {
		MeasureUnits []item `json:"measure_units"`
	}{all})
}

// handleConversions serves GET /v2/bases/conversions (reference §11.6).
func (s *Simulator) handleConversions(rc *reqCtx) (int, []byte) {
	q := parseQuery(rc.r.URL.RawQuery)
	mt := 0
	if vs, ok := q["measure_type"]; ok {
		n, err := strconv.Atoi(vs[0])
		if err != nil {
			return paramError("measure_type must be an integer.")
		}
		mt = n
	}
	type item struct {
		MeasureID       int   `json:"measure_id"`
		RefMeasureID    int   `json:"ref_measure_id"`
		ConversionRatio int64 `json:"conversion_ratio"`
		MeasureType     int   `json:"measure_type"`
	}
	all := []item{}
	for _, c := range catalogConversions {
		if mt == 0 || c.typ == mt {
			all = append(all, item{c.measureID, c.refMeasureID, c.ratio, c.typ})
		}
	}
	return marshal(struct {
		Conversions []item `json:"conversions"`
	}{all})
}
