package jobs

import (
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/syncd-io/syncd/internal/bss"
	"github.com/syncd-io/syncd/internal/sink"
)

// Names holds the look-up dictionaries: service and resource type names by
// code and measure units by ID. The zero value is empty and usable; the
// lookups job fills it. It is safe for concurrent use.
type Names struct {
	mu        sync.RWMutex
	services  map[string]string
	resources map[string]string
	units     map[int]bss.MeasureUnit
}

// Set replaces the dictionaries.
func (n *Names) Set(services, resources map[string]string, units map[int]bss.MeasureUnit) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.services, n.resources, n.units = services, resources, units
}

// Loaded reports whether the dictionaries have been filled.
func (n *Names) Loaded() bool {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return n.units != nil
}

// ServiceType returns name if set, else the look-up name of code.
func (n *Names) ServiceType(code, name string) string {
	return n.name(func() map[string]string { return n.services }, code, name)
}

// ResourceType returns name if set, else the look-up name of code.
func (n *Names) ResourceType(code, name string) string {
	return n.name(func() map[string]string { return n.resources }, code, name)
}

// name returns name if set, else code's entry in the dictionary dict
// returns (read under the lock).
func (n *Names) name(dict func() map[string]string, code, name string) string {
	if name != "" || n == nil {
		return name
	}
	n.mu.RLock()
	defer n.mu.RUnlock()
	return dict()[code]
}

// Unit returns the abbreviation of a measure unit ID (its name when it has
// none, the number when it is unknown, "" for 0 = not given).
func (n *Names) Unit(id int) string {
	if id == 0 {
		return ""
	}
	if n != nil {
		n.mu.RLock()
		u, ok := n.units[id]
		n.mu.RUnlock()
		if ok {
			if u.Abbreviation != "" {
				return u.Abbreviation
			}
			if u.Name != "" {
				return u.Name
			}
		}
	}
	return strconv.Itoa(id)
}

// parseBillDate turns the API's "YYYY-MM-DD" (a UTC+8 civil date) into the
// stored form: midnight UTC of that civil date, never shifted.
func parseBillDate(s string) time.Time {
	t, err := time.Parse(time.DateOnly, strings.TrimSpace(s))
	if err != nil {
		return time.Time{}
	}
	return t
}

// CostRecord maps one itemised resource record of month cycle, read with the
// credentials of scope, to its cost_records row. bill_cycle is the month that
// was asked for (UTC+8), stored as its civil first day, never derived from a
// converted timestamp.
func CostRecord(scope string, cycle bss.Month, r bss.ResourceRecord, names *Names) sink.CostRecord {
	return sink.CostRecord{
		Scope:                     scope,
		RecordID:                  r.ID,
		BillCycle:                 cycle.Date(),
		BillDate:                  parseBillDate(r.BillDate),
		BillType:                  int32(r.BillType),
		CustomerID:                r.CustomerID,
		AccountName:               r.AccountName,
		RegionCode:                r.Region,
		RegionName:                r.RegionName,
		ServiceTypeCode:           r.ServiceTypeCode,
		ServiceTypeName:           names.ServiceType(r.ServiceTypeCode, r.ServiceTypeName),
		ResourceTypeCode:          r.ResourceTypeCode,
		ResourceTypeName:          names.ResourceType(r.ResourceTypeCode, r.ResourceTypeName),
		ResourceID:                r.ResourceID,
		ResourceName:              r.ResourceName,
		ResourceTags:              r.ResourceTag,
		ProductID:                 r.ProductID,
		ProductName:               r.ProductName,
		ProductSpecDesc:           r.ProductSpecDesc,
		SkuCode:                   r.SkuCode,
		EnterpriseProjectID:       r.EnterpriseProjectID,
		EnterpriseProjectName:     r.EnterpriseProjectName,
		ChargeMode:                r.ChargeMode,
		PeriodType:                r.PeriodType,
		TradeID:                   r.TradeID,
		OrderID:                   r.OrderID,
		TradeTime:                 r.TradeTime.UTC(),
		EffectiveTime:             r.EffectiveTime.UTC(),
		ExpireTime:                r.ExpireTime.UTC(),
		UsageType:                 r.UsageType,
		Usage:                     r.Usage,
		UsageUnit:                 names.Unit(r.UsageMeasureID),
		UnitPrice:                 r.UnitPrice,
		OfficialAmount:            r.OfficialAmount,
		DiscountAmount:            r.DiscountAmount,
		Amount:                    r.Amount,
		CashAmount:                r.CashAmount,
		CreditAmount:              r.CreditAmount,
		CouponAmount:              r.CouponAmount,
		FlexipurchaseCouponAmount: r.FlexipurchaseCouponAmount,
		StoredCardAmount:          r.StoredCardAmount,
		BonusAmount:               r.BonusAmount,
		DebtAmount:                r.DebtAmount,
		AdjustmentAmount:          r.AdjustmentAmount,
		Currency:                  r.Currency,
		RIUsage:                   r.RIUsage,
		RIUsageUnit:               names.Unit(r.RIUsageMeasureID),
		SubResourceID:             r.SubResourceID,
		SubResourceName:           r.SubResourceName,
	}
}

// BillSummary maps one monthly summary row of month cycle to its
// bill_summaries row. A null resource type is stored as "".
func BillSummary(scope string, cycle bss.Month, s bss.MonthlySum, names *Names) sink.BillSummary {
	return sink.BillSummary{
		Scope:                     scope,
		BillCycle:                 cycle.Date(),
		CustomerID:                s.CustomerID,
		AccountName:               s.AccountName,
		ServiceTypeCode:           s.ServiceTypeCode,
		ServiceTypeName:           names.ServiceType(s.ServiceTypeCode, s.ServiceTypeName),
		ResourceTypeCode:          s.ResourceTypeCode,
		ResourceTypeName:          names.ResourceType(s.ResourceTypeCode, s.ResourceTypeName),
		ChargingMode:              int32(s.ChargingMode),
		BillType:                  int32(s.BillType),
		OfficialAmount:            s.OfficialAmount,
		OfficialDiscountAmount:    s.OfficialDiscountAmount,
		TruncatedAmount:           s.TruncatedAmount,
		ConsumeAmount:             s.ConsumeAmount,
		CashAmount:                s.CashAmount,
		CreditAmount:              s.CreditAmount,
		CouponAmount:              s.CouponAmount,
		FlexipurchaseCouponAmount: s.FlexipurchaseCouponAmount,
		StoredCardAmount:          s.StoredValueCardAmount,
		DebtAmount:                s.DebtAmount,
		WriteoffAmount:            s.WriteoffAmount,
		Currency:                  s.Currency,
	}
}

// BalanceRows maps a balance response to one snapshot row per account. The
// debt amount belongs to the customer, so it is repeated on every row.
func BalanceRows(scope, customerID string, observedAt time.Time, b *bss.Balances) []sink.BalanceSnapshot {
	rows := make([]sink.BalanceSnapshot, 0, len(b.Accounts))
	for _, a := range b.Accounts {
		cur := a.Currency
		if cur == "" {
			cur = b.Currency
		}
		rows = append(rows, sink.BalanceSnapshot{
			Scope:            scope,
			ObservedAt:       observedAt.UTC(),
			CustomerID:       customerID,
			AccountID:        a.AccountID,
			AccountType:      int32(a.AccountType),
			Amount:           a.Amount,
			CreditAmount:     a.CreditAmount,
			DesignatedAmount: a.DesignatedAmount,
			DebtAmount:       b.DebtAmount,
			Currency:         cur,
		})
	}
	return rows
}

// PackageRows maps resource packages to one snapshot row per package item.
// When usages holds the item's current-window usage (ListFreeResourceUsages)
// its remaining and original amounts win over the package list's.
func PackageRows(scope, customerID string, observedAt time.Time, pkgs []bss.ResourcePackage, usages map[string]bss.ResourceUsage, names *Names) []sink.ResourcePackageSnapshot {
	var rows []sink.ResourcePackageSnapshot
	for _, p := range pkgs {
		for _, it := range p.Items {
			remaining, original, unit := it.Amount, it.OriginalAmount, it.MeasureID
			if u, ok := usages[it.FreeResourceID]; ok {
				remaining, original = u.Amount, u.OriginalAmount
				if u.MeasureID != 0 {
					unit = u.MeasureID
				}
			}
			rows = append(rows, sink.ResourcePackageSnapshot{
				Scope:               scope,
				ObservedAt:          observedAt.UTC(),
				CustomerID:          customerID,
				OrderInstanceID:     p.OrderInstanceID,
				OrderID:             p.OrderID,
				FreeResourceID:      it.FreeResourceID,
				ProductID:           p.ProductID,
				ProductName:         p.ProductName,
				ServiceTypeCode:     p.ServiceTypeCode,
				RegionCode:          p.RegionCode,
				EnterpriseProjectID: p.EnterpriseProjectID,
				UsageType:           it.UsageTypeName,
				Status:              int32(p.Status),
				EffectiveTime:       p.EffectiveTime.UTC(),
				ExpireTime:          p.ExpireTime.UTC(),
				OriginalAmount:      original,
				RemainingAmount:     remaining,
				MeasureUnit:         names.Unit(unit),
			})
		}
	}
	return rows
}

// OrgRows flattens the org tree of account a into org_units rows (the root
// first, each with its parent, its path of names and its path of IDs from
// the root) and maps the member accounts to accounts rows. The account
// itself is an accounts row too, under the root unit (the master's own
// costs belong to the whole enterprise), so that every customer_id of
// cost_records is in accounts. Each row's payer_scope is the configured
// scope whose balance pays for that customer (see Payer; all lists every
// configured account).
func OrgRows(a Account, all []Account, tree *bss.OrgTree, members []bss.SubCustomer) ([]sink.OrgUnit, []sink.Account) {
	scope := a.Scope
	var units []sink.OrgUnit
	if tree != nil && tree.RootID != "" {
		rootPath := tree.RootName
		units = append(units, sink.OrgUnit{Scope: scope, OrgID: tree.RootID, Name: tree.RootName, Path: rootPath, IDPath: tree.RootID})
		var walk func(parentID, parentPath, parentIDs string, nodes []bss.OrgNode)
		walk = func(parentID, parentPath, parentIDs string, nodes []bss.OrgNode) {
			for _, n := range nodes {
				p, ids := parentPath+"/"+n.Name, parentIDs+"/"+n.ID
				units = append(units, sink.OrgUnit{Scope: scope, OrgID: n.ID, ParentID: parentID, RelationID: n.RelationID, Name: n.Name, Path: p, IDPath: ids})
				walk(n.ID, p, ids, n.Children)
			}
		}
		walk(tree.RootID, rootPath, tree.RootID, tree.Nodes)
	}
	accounts := make([]sink.Account, 0, len(members)+1)
	self := a.CustomerID != ""
	for _, m := range members {
		self = self && m.ID != a.CustomerID
	}
	if self {
		r := sink.Account{Scope: scope, CustomerID: a.CustomerID, DisplayName: scope, Status: 1, PayerScope: scope}
		if tree != nil && tree.RootID != "" {
			r.DisplayName, r.OrgID, r.OrgName = tree.RootName, tree.RootID, tree.RootName
		}
		accounts = append(accounts, r)
	}
	for _, m := range members {
		accounts = append(accounts, sink.Account{
			Scope:       scope,
			CustomerID:  m.ID,
			Name:        m.Name,
			DisplayName: m.DisplayName,
			OrgID:       m.OrgID,
			OrgName:     m.OrgName,
			Status:      int32(m.Status),
			PayerScope:  Payer(all, scope, m.ID),
		})
	}
	return units, accounts
}

// sums accumulates exact amounts per currency.
type sums map[string]decimal.Decimal

func (s sums) add(currency string, d decimal.Decimal) { s[currency] = s[currency].Add(d) }

// tally accumulates exact amounts per currency like sums, for the totals
// of a month's rows (millions of additions, where every decimal.Decimal.Add
// allocates new big.Ints): an amount of at most tallyScale decimals is
// added as an integer number of 10^-tallyScale while the total fits int64
// (about 92 billion), any other as a decimal. sums returns the same values,
// with the same exponents, sums would hold.
type tally map[string]*tallied

type tallied struct {
	units int64           // Σ of the amounts added as integers, ×10^tallyScale
	exp   int32           // the smallest exponent of those amounts (0 when none)
	rest  decimal.Decimal // Σ of the others
}

const tallyScale = 8

// tallyPow10 holds 10^0..10^tallyScale.
var tallyPow10 = [tallyScale + 1]int64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8}

func (t tally) add(currency string, d decimal.Decimal) {
	e := t[currency]
	if e == nil {
		e = &tallied{}
		t[currency] = e
	}
	if exp := d.Exponent(); exp <= 0 && exp >= -tallyScale && d.NumDigits() <= 18 {
		c, p := d.CoefficientInt64(), tallyPow10[exp+tallyScale]
		if u := c * p; u/p == c {
			if sum := e.units + u; (sum > e.units) == (u > 0) || u == 0 {
				e.units, e.exp = sum, min(e.exp, exp)
				return
			}
		}
	}
	e.rest = e.rest.Add(d)
}

// sums returns the totals.
func (t tally) sums() sums {
	out := make(sums, len(t))
	for c, e := range t {
		out[c] = decimal.New(e.units, -tallyScale).Round(-e.exp).Add(e.rest)
	}
	return out
}

// drift returns |a - b| summed over the currencies of either side, and the
// currency when there is only one.
func drift(itemised, summary sums) (decimal.Decimal, string) {
	seen := unionKeys(itemised, summary)
	total := decimal.Zero
	cur := ""
	for c := range seen {
		total = total.Add(itemised[c].Sub(summary[c]).Abs())
		cur = c
	}
	if len(seen) > 1 {
		cur = "mixed"
	}
	return total, cur
}

func (s sums) total() decimal.Decimal {
	t := decimal.Zero
	for _, v := range s {
		t = t.Add(v)
	}
	return t
}
