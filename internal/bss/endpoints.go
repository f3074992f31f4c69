package bss

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strconv"
)

// ---- ShowCustomerMonthlySum ----

type wBillSum struct {
	BillCycle                 string `json:"bill_cycle"`
	CustomerID                string `json:"customer_id"`
	AccountName               string `json:"account_name"`
	ServiceTypeCode           string `json:"service_type_code"`
	ServiceTypeName           string `json:"service_type_name"`
	ResourceTypeCode          string `json:"resource_type_code"`
	ResourceTypeName          string `json:"resource_type_name"`
	ChargingMode              wInt   `json:"charging_mode"`
	BillType                  wInt   `json:"bill_type"`
	OfficialAmount            wDec   `json:"official_amount"`
	OfficialDiscountAmount    wDec   `json:"official_discount_amount"`
	TruncatedAmount           wDec   `json:"truncated_amount"`
	ConsumeAmount             wDec   `json:"consume_amount"`
	CouponAmount              wDec   `json:"coupon_amount"`
	FlexipurchaseCouponAmount wDec   `json:"flexipurchase_coupon_amount"`
	StoredValueCardAmount     wDec   `json:"stored_value_card_amount"`
	DebtAmount                wDec   `json:"debt_amount"`
	WriteoffAmount            wDec   `json:"writeoff_amount"`
	CashAmount                wDec   `json:"cash_amount"`
	CreditAmount              wDec   `json:"credit_amount"`
	MeasureID                 wInt   `json:"measure_id"`
}

type wBillSumPage struct {
	wStatus
	TotalCount                *wInt      `json:"total_count"`
	BillSums                  []wBillSum `json:"bill_sums"`
	ConsumeAmount             wDec       `json:"consume_amount"`
	DebtAmount                wDec       `json:"debt_amount"`
	CouponAmount              wDec       `json:"coupon_amount"`
	FlexipurchaseCouponAmount wDec       `json:"flexipurchase_coupon_amount"`
	StoredValueCardAmount     wDec       `json:"stored_value_card_amount"`
	CashAmount                wDec       `json:"cash_amount"`
	CreditAmount              wDec       `json:"credit_amount"`
	WriteoffAmount            wDec       `json:"writeoff_amount"`
	MeasureID                 wInt       `json:"measure_id"`
	Currency                  string     `json:"currency"`
}

func decodeMonthlySumPage(body []byte, siteCurrency string) ([]MonthlySum, *MonthlySumTotals, int, error) {
	var p wBillSumPage
	if err := decodeBody(body, &p, "bill_sums", func() any { return new(wBillSum) }); err != nil {
		return nil, nil, 0, err
	}
	total, err := pageTotal(p.TotalCount)
	if err != nil {
		return nil, nil, 0, err
	}
	cur := p.Currency
	if cur == "" {
		cur = siteCurrency
	}
	hs, ok := moneyScale(int(p.MeasureID))
	if !ok {
		return nil, nil, 0, &DecodeError{Field: "measure_id", Offset: -1, Err: fmt.Errorf("unsupported money measure_id %d", p.MeasureID)}
	}
	tot := &MonthlySumTotals{
		ConsumeAmount: money(p.ConsumeAmount, hs), DebtAmount: money(p.DebtAmount, hs), CouponAmount: money(p.CouponAmount, hs),
		FlexipurchaseCouponAmount: money(p.FlexipurchaseCouponAmount, hs), StoredValueCardAmount: money(p.StoredValueCardAmount, hs),
		CashAmount: money(p.CashAmount, hs), CreditAmount: money(p.CreditAmount, hs), WriteoffAmount: money(p.WriteoffAmount, hs), Currency: cur,
	}
	out := make([]MonthlySum, len(p.BillSums))
	for i := range p.BillSums {
		w := &p.BillSums[i]
		fail := func(f string, err error) error {
			return &DecodeError{Field: fmt.Sprintf("bill_sums[%d].%s", i, f), Offset: elemOffset(body, "bill_sums", i), Err: err}
		}
		m, err := ParseMonth(w.BillCycle)
		if err != nil {
			return nil, nil, 0, fail("bill_cycle", err)
		}
		s, ok := moneyScale(int(w.MeasureID))
		if !ok {
			return nil, nil, 0, fail("measure_id", fmt.Errorf("unsupported money measure_id %d (want 1, 2 or 3)", w.MeasureID))
		}
		out[i] = MonthlySum{
			BillCycle: m, CustomerID: w.CustomerID, AccountName: w.AccountName,
			ServiceTypeCode: w.ServiceTypeCode, ServiceTypeName: w.ServiceTypeName,
			ResourceTypeCode: w.ResourceTypeCode, ResourceTypeName: w.ResourceTypeName,
			ChargingMode: int(w.ChargingMode), BillType: int(w.BillType),
			OfficialAmount: money(w.OfficialAmount, s), OfficialDiscountAmount: money(w.OfficialDiscountAmount, s),
			TruncatedAmount: money(w.TruncatedAmount, s), ConsumeAmount: money(w.ConsumeAmount, s),
			CouponAmount: money(w.CouponAmount, s), FlexipurchaseCouponAmount: money(w.FlexipurchaseCouponAmount, s),
			StoredValueCardAmount: money(w.StoredValueCardAmount, s), DebtAmount: money(w.DebtAmount, s),
			WriteoffAmount: money(w.WriteoffAmount, s), CashAmount: money(w.CashAmount, s), CreditAmount: money(w.CreditAmount, s),
			MeasureID: int(w.MeasureID), Currency: cur,
		}
	}
	return out, tot, total, nil
}

func (o MonthlySumOptions) validate() error {
	var errs []error
	if !o.Cycle.Valid() {
		errs = append(errs, fmt.Errorf("cycle %q is not a valid month", o.Cycle))
	}
	errs = append(errs, validateMethod(o.Method, o.SubCustomerID, o.Members))
	return errors.Join(errs...)
}

// ListMonthlySums fetches one page of the monthly bill summary with its
// header totals: GET /v2/bills/customer-bills/monthly-sum
// (https://support.huaweicloud.com/api-oce/mbc_00008.html). A zero Limit means 1000.
func (c *Client) ListMonthlySums(ctx context.Context, opts MonthlySumOptions, lo ListOptions) ([]MonthlySum, *MonthlySumTotals, *Response, error) {
	if err := errors.Join(opts.validate(), onePage(opts.Members)); err != nil {
		return nil, nil, nil, fmt.Errorf("bss %s: %w", OpMonthlySum, err)
	}
	lo, err := lo.normalise(maxLimit)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("bss %s: %w", OpMonthlySum, err)
	}
	var q query
	q.add("bill_cycle", opts.Cycle.String())
	addMethod(&q, opts.Method, opts.SubCustomerID)
	q.add("offset", strconv.Itoa(lo.Offset))
	q.add("limit", strconv.Itoa(lo.Limit))
	var tot *MonthlySumTotals
	rows, resp, err := getPage(ctx, c, call{op: OpMonthlySum, method: "GET", path: "v2/bills/customer-bills/monthly-sum", query: q, offset: lo.Offset},
		"bill_sums", lo.Limit, func(b []byte) (rows []MonthlySum, total int, err error) {
			rows, tot, total, err = decodeMonthlySumPage(b, c.currency)
			return rows, total, err
		})
	if err != nil {
		return nil, nil, nil, err
	}
	resp.Currency = tot.Currency
	return rows, tot, resp, nil
}

// MonthlySums iterates over all monthly summary rows of a cycle, paging at
// limit 1000, with the drift and CBC.18000048 fan-out behaviour of
// ResourceRecords.
func (c *Client) MonthlySums(ctx context.Context, opts MonthlySumOptions) iter.Seq2[MonthlySum, error] {
	o := opts
	one := func(ctx context.Context, o MonthlySumOptions) iter.Seq2[MonthlySum, error] {
		return paginate(ctx, OpMonthlySum, c.cfg.ahead(OpMonthlySum), maxLimit, func(ctx context.Context, off int) ([]MonthlySum, *Response, error) {
			rows, _, resp, err := c.ListMonthlySums(ctx, o, ListOptions{Offset: off, Limit: maxLimit})
			return rows, resp, err
		})
	}
	return fanOut(ctx, c, OpMonthlySum, o.validate(), o, o.Method, o.Members, one, func(m Method, sub string) MonthlySumOptions {
		p := o
		p.Method, p.SubCustomerID, p.Members = m, sub, nil
		return p
	})
}

// ---- ShowCustomerAccountBalances ----

type wBalances struct {
	wStatus
	AccountBalances []wBalance `json:"account_balances"`
	DebtAmount      wDec       `json:"debt_amount"`
	MeasureID       wInt       `json:"measure_id"`
	Currency        string     `json:"currency"`
}

func decodeBalances(body []byte, siteCurrency string) (*Balances, error) {
	var w wBalances
	if err := decodeBody(body, &w, "account_balances", func() any { return new(wBalance) }); err != nil {
		return nil, err
	}
	if w.AccountBalances == nil {
		return nil, &DecodeError{Field: "account_balances", Offset: -1, Err: errors.New("missing")}
	}
	hs, ok := moneyScale(int(w.MeasureID))
	if !ok {
		return nil, &DecodeError{Field: "measure_id", Offset: -1, Err: fmt.Errorf("unsupported money measure_id %d", w.MeasureID)}
	}
	b := &Balances{DebtAmount: money(w.DebtAmount, hs), MeasureID: int(w.MeasureID), Currency: w.Currency}
	if b.Currency == "" {
		b.Currency = siteCurrency
	}
	for i, a := range w.AccountBalances {
		s, ok := moneyScale(int(a.MeasureID))
		if !ok {
			return nil, &DecodeError{Field: fmt.Sprintf("account_balances[%d].measure_id", i), Offset: elemOffset(body, "account_balances", i),
				Err: fmt.Errorf("unsupported money measure_id %d", a.MeasureID)}
		}
		cur := a.Currency
		if cur == "" {
			cur = b.Currency
		}
		b.Accounts = append(b.Accounts, AccountBalance{AccountID: a.AccountID, AccountType: int(a.AccountType),
			Amount: money(a.Amount, s), DesignatedAmount: money(a.DesignatedAmount, s), CreditAmount: money(a.CreditAmount, s),
			Currency: cur, MeasureID: int(a.MeasureID)})
	}
	return b, nil
}

// Balances returns the caller's account balances:
// GET /v2/accounts/customer-accounts/balances
// (https://support.huaweicloud.com/api-oce/mac_00001.html).
func (c *Client) Balances(ctx context.Context) (*Balances, error) {
	var out *Balances
	_, err := c.do(ctx, call{op: OpBalances, method: "GET", path: "v2/accounts/customer-accounts/balances"}, func(b []byte) (err error) {
		out, err = decodeBalances(b, c.currency)
		return err
	})
	return out, err
}

// ---- ListFreeResourceInfos (v3) ----

type wPackage struct {
	OrderInstanceID        string         `json:"order_instance_id"`
	OrderID                string         `json:"order_id"`
	ProductID              string         `json:"product_id"`
	ProductName            string         `json:"product_name"`
	EnterpriseProjectID    string         `json:"enterprise_project_id"`
	EnterpriseProjectScope wInt           `json:"enterprise_project_scope"`
	EffectiveTime          wTime          `json:"effective_time"`
	ExpireTime             wTime          `json:"expire_time"`
	Status                 wInt           `json:"status"`
	ServiceTypeCode        string         `json:"service_type_code"`
	ServiceTypeName        string         `json:"service_type_name"`
	RegionCode             string         `json:"region_code"`
	SourceType             wInt           `json:"source_type"`
	BundleType             string         `json:"bundle_type"`
	QuotaReuseMode         wInt           `json:"quota_reuse_mode"`
	FreeResources          []wPackageItem `json:"free_resources"`
}

type wPackagePage struct {
	wStatus
	TotalCount *wInt      `json:"total_count"`
	Packages   []wPackage `json:"free_resource_packages"`
}

func decodePackagePage(body []byte) ([]ResourcePackage, int, error) {
	var p wPackagePage
	if err := decodeBody(body, &p, "free_resource_packages", func() any { return new(wPackage) }); err != nil {
		return nil, 0, err
	}
	total, err := pageTotal(p.TotalCount)
	if err != nil {
		return nil, 0, err
	}
	out := make([]ResourcePackage, len(p.Packages))
	for i, w := range p.Packages {
		rp := ResourcePackage{OrderInstanceID: w.OrderInstanceID, OrderID: w.OrderID, ProductID: w.ProductID, ProductName: w.ProductName,
			EnterpriseProjectID: normaliseEnterpriseProject(w.EnterpriseProjectID), EnterpriseProjectScope: int(w.EnterpriseProjectScope),
			EffectiveTime: timeOf(w.EffectiveTime), ExpireTime: timeOf(w.ExpireTime), Status: int(w.Status),
			ServiceTypeCode: w.ServiceTypeCode, ServiceTypeName: w.ServiceTypeName, RegionCode: w.RegionCode,
			SourceType: int(w.SourceType), BundleType: w.BundleType, QuotaReuseMode: int(w.QuotaReuseMode)}
		for _, it := range w.FreeResources {
			rp.Items = append(rp.Items, PackageItem{FreeResourceID: it.FreeResourceID, UsageTypeName: it.UsageTypeName,
				Amount: it.Amount.d, OriginalAmount: it.OriginalAmount.d, MeasureID: int(it.MeasureID)})
		}
		out[i] = rp
	}
	return out, total, nil
}

// ListResourcePackages fetches one page of resource packages:
// POST /v3/payments/free-resources/query
// (https://support.huaweicloud.com/api-oce/api_order_00027.html). A zero Limit means 1000.
func (c *Client) ListResourcePackages(ctx context.Context, opts ResourcePackageOptions, lo ListOptions) ([]ResourcePackage, *Response, error) {
	lo, err := lo.normalise(maxLimit)
	if err != nil {
		return nil, nil, fmt.Errorf("bss %s: %w", OpResourcePackages, err)
	}
	if lo.Offset > 999999 {
		return nil, nil, fmt.Errorf("bss %s: offset %d above 999999", OpResourcePackages, lo.Offset)
	}
	if opts.Status != nil && (*opts.Status < 0 || *opts.Status > 4) {
		return nil, nil, fmt.Errorf("bss %s: status %d out of range 0..4", OpResourcePackages, *opts.Status)
	}
	body := map[string]any{"offset": lo.Offset, "limit": lo.Limit}
	for k, v := range map[string]string{"region_code": opts.RegionCode, "order_id": opts.OrderID, "product_id": opts.ProductID,
		"product_name": opts.ProductName, "enterprise_project_id": opts.EnterpriseProjectID} {
		if v != "" {
			body[k] = v
		}
	}
	if opts.Status != nil {
		body["status"] = *opts.Status
	}
	if len(opts.ServiceTypeCodes) > 0 {
		body["service_type_code_list"] = opts.ServiceTypeCodes
	}
	return getPage(ctx, c, call{op: OpResourcePackages, method: "POST", path: "v3/payments/free-resources/query", body: body, offset: lo.Offset},
		"free_resource_packages", lo.Limit, decodePackagePage)
}

// ResourcePackages iterates over all resource packages matching opts
// (copied), paging at limit 1000 with drift detection.
func (c *Client) ResourcePackages(ctx context.Context, opts ResourcePackageOptions) iter.Seq2[ResourcePackage, error] {
	o := opts
	o.ServiceTypeCodes = append([]string(nil), opts.ServiceTypeCodes...)
	return paginateSeq(ctx, OpResourcePackages, func(ctx context.Context, off int) ([]ResourcePackage, *Response, error) {
		return c.ListResourcePackages(ctx, o, ListOptions{Offset: off, Limit: maxLimit})
	})
}

// ---- ListFreeResourceUsages ----

type wUsages struct {
	wStatus
	FreeResources []wUsage `json:"free_resources"`
}

// ResourceUsages returns the current-window usage of the given package
// items: POST /v2/payments/free-resources/usages/details/query
// (https://support.huaweicloud.com/api-oce/api_order_00028.html), in
// batches of 100 IDs. Unknown IDs are simply absent from the result.
func (c *Client) ResourceUsages(ctx context.Context, freeResourceIDs []string) ([]ResourceUsage, error) {
	var out []ResourceUsage
	for i, id := range freeResourceIDs {
		if id == "" || len(id) > 64 {
			return nil, fmt.Errorf("bss %s: free resource ID #%d is empty or longer than 64 bytes", OpResourceUsages, i)
		}
	}
	for start := 0; start < len(freeResourceIDs); start += maxUsageBatch {
		batch := freeResourceIDs[start:min(start+maxUsageBatch, len(freeResourceIDs))]
		var w wUsages
		_, err := c.do(ctx, call{op: OpResourceUsages, method: "POST", path: "v2/payments/free-resources/usages/details/query",
			body: map[string]any{"free_resource_ids": batch}, offset: start}, func(b []byte) error {
			w = wUsages{}
			return decodeBody(b, &w, "free_resources", func() any { return new(wUsage) })
		})
		if err != nil {
			return nil, err
		}
		for _, u := range w.FreeResources {
			out = append(out, ResourceUsage{FreeResourceID: u.FreeResourceID, FreeResourceTypeName: u.FreeResourceTypeName,
				UsageTypeName: u.UsageTypeName, QuotaReuseCycle: int(u.QuotaReuseCycle), QuotaReuseCycleType: int(u.QuotaReuseCycleType),
				StartTime: timeOf(u.StartTime), EndTime: timeOf(u.EndTime), Amount: u.Amount.d, OriginalAmount: u.OriginalAmount.d,
				MeasureID: int(u.MeasureID)})
		}
	}
	return out, nil
}

// ---- ListEnterpriseOrganizations ----

type wOrgNode struct {
	RelationID string     `json:"relation_id"`
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	ChildNodes []wOrgNode `json:"child_nodes"`
}

type wOrgs struct {
	wStatus
	RootID     string     `json:"root_id"`
	RootName   string     `json:"root_name"`
	ChildNodes []wOrgNode `json:"child_nodes"`
}

func orgNodes(ws []wOrgNode, depth int) ([]OrgNode, error) {
	if depth > 64 {
		return nil, errors.New("organisation tree deeper than 64 levels")
	}
	out := make([]OrgNode, 0, len(ws))
	for _, w := range ws {
		ch, err := orgNodes(w.ChildNodes, depth+1)
		if err != nil {
			return nil, err
		}
		out = append(out, OrgNode{ID: w.ID, RelationID: w.RelationID, Name: w.Name, Children: ch})
	}
	return out, nil
}

// Organizations returns the whole enterprise organisation tree (master
// accounts only): GET /v2/enterprises/multi-accounts/enterprise-organizations?recursive_query=1
// (https://support.huaweicloud.com/api-oce/ep_00020.html). The operation
// exists on the China site only (absent from the international SDK): on
// the intl site it returns an *UnsupportedError (errors.ErrUnsupported)
// without sending a request. Member accounts (SubCustomers) are served on
// both sites.
func (c *Client) Organizations(ctx context.Context) (*OrgTree, error) {
	if c.cfg.Site == SiteInternational {
		return nil, &UnsupportedError{Operation: OpOrganizations, Site: c.cfg.Site}
	}
	var q query
	q.add("recursive_query", "1")
	var out *OrgTree
	_, err := c.do(ctx, call{op: OpOrganizations, method: "GET", path: "v2/enterprises/multi-accounts/enterprise-organizations", query: q},
		func(b []byte) error {
			var w wOrgs
			if err := decodeBody(b, &w, "child_nodes", func() any { return new(wOrgNode) }); err != nil {
				return err
			}
			nodes, err := orgNodes(w.ChildNodes, 0)
			if err != nil {
				return &DecodeError{Field: "child_nodes", Offset: -1, Err: err}
			}
			out = &OrgTree{RootID: w.RootID, RootName: w.RootName, Nodes: nodes}
			return nil
		})
	return out, err
}

// ---- ListEnterpriseSubCustomers ----

type wSubCustomerPage struct {
	wStatus
	TotalCount *wInt          `json:"total_count"`
	Infos      []wSubCustomer `json:"sub_customer_infos"`
}

// ListSubCustomers fetches one page of member accounts (master only):
// GET /v2/enterprises/multi-accounts/sub-customers
// (https://support.huaweicloud.com/api-oce/ep_00021.html). A zero Limit means 100, the maximum.
func (c *Client) ListSubCustomers(ctx context.Context, opts SubCustomerOptions, lo ListOptions) ([]SubCustomer, *Response, error) {
	lo, err := lo.normalise(maxSubCustomerLimit)
	if err != nil {
		return nil, nil, fmt.Errorf("bss %s: %w", OpSubCustomers, err)
	}
	var q query
	if opts.AccountName != "" {
		q.add("sub_customer_account_name", opts.AccountName)
	}
	if opts.DisplayName != "" {
		q.add("sub_customer_display_name", opts.DisplayName)
	}
	if opts.Fuzzy {
		q.add("fuzzy_query", "1")
	}
	if opts.OrgID != "" {
		q.add("org_id", opts.OrgID)
	}
	q.add("offset", strconv.Itoa(lo.Offset))
	q.add("limit", strconv.Itoa(lo.Limit))
	return getPage(ctx, c, call{op: OpSubCustomers, method: "GET", path: "v2/enterprises/multi-accounts/sub-customers", query: q, offset: lo.Offset},
		"sub_customer_infos", lo.Limit, func(b []byte) ([]SubCustomer, int, error) {
			var w wSubCustomerPage
			if err := decodeBody(b, &w, "sub_customer_infos", func() any { return new(wSubCustomer) }); err != nil {
				return nil, 0, err
			}
			total, err := pageTotal(w.TotalCount)
			if err != nil {
				return nil, 0, err
			}
			out := make([]SubCustomer, 0, len(w.Infos))
			for _, s := range w.Infos {
				out = append(out, SubCustomer{ID: s.ID, Name: s.Name, DisplayName: s.DisplayName, Status: int(s.Status), OrgID: s.OrgID, OrgName: s.OrgName})
			}
			return out, total, nil
		})
}

// SubCustomers iterates over all member accounts matching opts, paging at
// limit 100 with drift detection.
func (c *Client) SubCustomers(ctx context.Context, opts SubCustomerOptions) iter.Seq2[SubCustomer, error] {
	o := opts
	return paginateSeq(ctx, OpSubCustomers, func(ctx context.Context, off int) ([]SubCustomer, *Response, error) {
		return c.ListSubCustomers(ctx, o, ListOptions{Offset: off, Limit: maxSubCustomerLimit})
	})
}

// ---- look-ups ----

// listLookup fetches one page of a dictionary endpoint at the given limit.
func listLookup[W any, T any](ctx context.Context, c *Client, op, path, key string, off, limit int, conv func(W) T, arr func(*lookupPage[W]) []W) ([]T, *Response, error) {
	var q query
	q.add("offset", strconv.Itoa(off))
	q.add("limit", strconv.Itoa(limit))
	return getPage(ctx, c, call{op: op, method: "GET", path: path, query: q, offset: off}, key, limit, func(b []byte) ([]T, int, error) {
		var p lookupPage[W]
		if err := decodeBody(b, &p, key, func() any { return new(W) }); err != nil {
			return nil, 0, err
		}
		total, err := pageTotal(p.TotalCount)
		if err != nil {
			return nil, 0, err
		}
		var out []T
		for _, w := range arr(&p) {
			out = append(out, conv(w))
		}
		return out, total, nil
	})
}

// lookupPage holds both dictionary arrays; only the one named key is set.
type lookupPage[W any] struct {
	wStatus
	TotalCount    *wInt `json:"total_count"`
	ServiceTypes  []W   `json:"service_types"`
	ResourceTypes []W   `json:"resource_types"`
}

type wServiceType struct {
	Code         string `json:"service_type_code"`
	Name         string `json:"service_type_name"`
	Abbreviation string `json:"abbreviation"`
}

type wResourceType struct {
	Code            string `json:"resource_type_code"`
	Name            string `json:"resource_type_name"`
	Description     string `json:"resource_type_desc"`
	ServiceTypeCode string `json:"service_type_code"`
}

// ServiceTypes iterates over all cloud service types: GET /v2/products/service-types
// (https://support.huaweicloud.com/api-oce/zh-cn_topic_0000001256679455.html).
func (c *Client) ServiceTypes(ctx context.Context) iter.Seq2[ServiceType, error] {
	return paginateSeq(ctx, OpServiceTypes, withLimitFallback(func(ctx context.Context, off, limit int) ([]ServiceType, *Response, error) {
		return listLookup(ctx, c, OpServiceTypes, "v2/products/service-types", "service_types", off, limit,
			func(w wServiceType) ServiceType { return ServiceType(w) },
			func(p *lookupPage[wServiceType]) []wServiceType { return p.ServiceTypes })
	}))
}

// ResourceTypes iterates over all resource types: GET /v2/products/resource-types
// (https://support.huaweicloud.com/api-oce/zh-cn_topic_0000001256519451.html).
// The maximum limit of this endpoint is not documented: it pages at 1000
// and falls back to 100 if the service answers CBC.0100.
func (c *Client) ResourceTypes(ctx context.Context) iter.Seq2[ResourceType, error] {
	return paginateSeq(ctx, OpResourceTypes, withLimitFallback(func(ctx context.Context, off, limit int) ([]ResourceType, *Response, error) {
		return listLookup(ctx, c, OpResourceTypes, "v2/products/resource-types", "resource_types", off, limit,
			func(w wResourceType) ResourceType { return ResourceType(w) },
			func(p *lookupPage[wResourceType]) []wResourceType { return p.ResourceTypes })
	}))
}

// limitFallback pages at limit 1000 and, if the service rejects that with
// CBC.0100 (parameter error), at 100 from then on (reference §3.2). Not
// safe for concurrent use.
type limitFallback[T any] struct {
	page  func(ctx context.Context, off, limit int) ([]T, *Response, error)
	limit int
}

func (f *limitFallback[T]) at(ctx context.Context, off int) ([]T, *Response, error) {
	items, resp, err := f.page(ctx, off, f.limit)
	if err != nil && f.limit == maxLimit && HasCode(err, CodeParameterError) {
		f.limit = 100
		return f.page(ctx, off, f.limit)
	}
	return items, resp, err
}

// withLimitFallback returns the page function of a listing paged one page
// at a time with limitFallback.
func withLimitFallback[T any](page func(ctx context.Context, off, limit int) ([]T, *Response, error)) func(context.Context, int) ([]T, *Response, error) {
	return (&limitFallback[T]{page: page, limit: maxLimit}).at
}

// paginateFallback is paginate (with read-ahead) for a listing whose
// maximum page size is not documented: the first page decides the page
// size as limitFallback does, and the rest of the listing is then paged,
// and read ahead, at that size.
func paginateFallback[T any](ctx context.Context, op string, ahead int, page func(ctx context.Context, off, limit int) ([]T, *Response, error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		lf := &limitFallback[T]{page: page, limit: maxLimit}
		items, resp, err := lf.at(ctx, 0)
		first := true // paginate asks for offset 0 first, and only once
		at := func(ctx context.Context, off int) ([]T, *Response, error) {
			if off == 0 && first {
				first = false
				return items, resp, err
			}
			return page(ctx, off, lf.limit) // lf.limit is settled: read-ahead calls this concurrently
		}
		for it, err := range paginate(ctx, op, ahead, lf.limit, at) {
			if !yield(it, err) {
				return
			}
		}
	}
}

// MeasureUnits returns all units of measure: GET /v2/bases/measurements
// (https://support.huaweicloud.com/api-oce/qct_00006.html).
func (c *Client) MeasureUnits(ctx context.Context) ([]MeasureUnit, error) {
	var out []MeasureUnit
	_, err := c.do(ctx, call{op: OpMeasureUnits, method: "GET", path: "v2/bases/measurements"}, func(b []byte) error {
		var w struct {
			wStatus
			Units []wMeasureUnit `json:"measure_units"`
		}
		if err := decodeBody(b, &w, "measure_units", func() any { return new(wMeasureUnit) }); err != nil {
			return err
		}
		if w.Units == nil {
			return &DecodeError{Field: "measure_units", Offset: -1, Err: errors.New("missing")}
		}
		out = out[:0]
		for _, u := range w.Units {
			out = append(out, MeasureUnit{ID: int(u.ID), Name: u.Name, Abbreviation: u.Abbreviation, MeasureType: int(u.MeasureType)})
		}
		return nil
	})
	return out, err
}

// Named wire element types, so that decode errors can be located.

type wBalance struct {
	AccountID        string `json:"account_id"`
	AccountType      wInt   `json:"account_type"`
	Amount           wDec   `json:"amount"`
	Currency         string `json:"currency"`
	DesignatedAmount wDec   `json:"designated_amount"`
	CreditAmount     wDec   `json:"credit_amount"`
	MeasureID        wInt   `json:"measure_id"`
}

type wPackageItem struct {
	FreeResourceID string `json:"free_resource_id"`
	UsageTypeName  string `json:"usage_type_name"`
	Amount         wDec   `json:"amount"`
	OriginalAmount wDec   `json:"original_amount"`
	MeasureID      wInt   `json:"measure_id"`
}

type wUsage struct {
	FreeResourceID       string `json:"free_resource_id"`
	FreeResourceTypeName string `json:"free_resource_type_name"`
	QuotaReuseCycle      wInt   `json:"quota_reuse_cycle"`
	QuotaReuseCycleType  wInt   `json:"quota_reuse_cycle_type"`
	UsageTypeName        string `json:"usage_type_name"`
	StartTime            wTime  `json:"start_time"`
	EndTime              wTime  `json:"end_time"`
	Amount               wDec   `json:"amount"`
	OriginalAmount       wDec   `json:"original_amount"`
	MeasureID            wInt   `json:"measure_id"`
}

type wSubCustomer struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	DisplayName string `json:"display_name"`
	Status      wInt   `json:"status"`
	OrgID       string `json:"org_id"`
	OrgName     string `json:"org_name"`
}

type wMeasureUnit struct {
	ID           wInt   `json:"measure_id"`
	Name         string `json:"measure_name"`
	Abbreviation string `json:"abbreviation"`
	MeasureType  wInt   `json:"measure_type"`
}
