package bsssim

import (
	"fmt"
	"time"
)

// Balance types of the member-funds operations (reference §10.3, §10.4).
const (
	BalanceTypeDebit  = "BALANCE_TYPE_DEBIT"
	BalanceTypeCredit = "BALANCE_TYPE_CREDIT"
)

// Funds is one amount_infos element of the member-funds operations, in
// cents: Available is avail_transfer_amount (the master) or
// avail_retrieve_amount (a member); Amount and CreditAmount are set for the
// credit ledgers only, as is ExpireTime (empty: never expires).
type Funds struct {
	Available, Amount, CreditAmount int64
	ExpireTime                      string
}

// funds is the amount_infos of account a for a balance type: the debit
// (cash) account is one element, the cash balance; credit has one ledger
// that never expires and, for every other account, a second one that
// expires at the end of the year after the simulator's start.
func (s *Simulator) funds(a *account, balanceType string) []Funds {
	var cash, credit balance
	for _, b := range a.balances {
		switch b.typ {
		case 1:
			cash = b
		case 2:
			credit = b
		}
	}
	if balanceType == BalanceTypeDebit {
		return []Funds{{Available: cash.amount}}
	}
	out := []Funds{{Available: credit.amount, Amount: credit.amount, CreditAmount: credit.credit}}
	if a.idx%2 == 0 {
		y := s.cfg.Now().UTC().Year() + 1
		out = append(out, Funds{Available: 250000, Amount: 250000, CreditAmount: 500000,
			ExpireTime: time.Date(y, 12, 31, 16, 0, 0, 0, time.UTC).Format("2006-01-02T15:04:05Z")})
	}
	return out
}

// TransferFunds is what ShowMultiAccountTransferAmount answers the master
// for a balance type: the truth of the allocatable amount.
func (s *Simulator) TransferFunds(balanceType string) []Funds {
	return s.funds(s.t.accounts[0], balanceType)
}

// RetrieveFunds is what ListEnterpriseMultiAccount answers the master for
// one member and balance type (nil for an ID that is no member).
func (s *Simulator) RetrieveFunds(memberID, balanceType string) []Funds {
	a := s.t.byID[memberID]
	if a == nil || a.Master {
		return nil
	}
	return s.funds(a, balanceType)
}

type wFunds struct {
	AvailTransfer *money  `json:"avail_transfer_amount,omitempty"`
	AvailRetrieve *money  `json:"avail_retrieve_amount,omitempty"`
	MeasureID     int     `json:"measure_id"`
	Currency      string  `json:"currency"`
	Amount        *money  `json:"amount,omitempty"`
	CreditAmount  *money  `json:"credit_amount,omitempty"`
	ExpireTime    *string `json:"expire_time,omitempty"`
}

// fundsPage validates balance_type, offset and limit (which page the
// credit ledgers only) and renders one page of amount_infos.
func (s *Simulator) fundsPage(rc *reqCtx, a *account, retrieve bool) (int, []byte) {
	q := parseQuery(rc.r.URL.RawQuery)
	bt := q.Get("balance_type")
	if bt != BalanceTypeDebit && bt != BalanceTypeCredit {
		return paramError("balance_type must be %s or %s.", BalanceTypeDebit, BalanceTypeCredit)
	}
	offset, limit, st, body := pageParams(q, 100, maxInt32)
	if st != 0 {
		return st, body
	}
	all := s.funds(a, bt)
	page := all
	if bt == BalanceTypeCredit {
		page = pageOf(all, offset, limit)
	}
	out := struct {
		TotalCount  int      `json:"total_count"`
		AmountInfos []wFunds `json:"amount_infos"`
	}{TotalCount: len(all), AmountInfos: []wFunds{}}
	for _, f := range page {
		av := money(f.Available)
		w := wFunds{MeasureID: 1, Currency: s.Currency()}
		if retrieve {
			w.AvailRetrieve = &av
		} else {
			w.AvailTransfer = &av
		}
		if bt == BalanceTypeCredit {
			am, cr := money(f.Amount), money(f.CreditAmount)
			w.Amount, w.CreditAmount = &am, &cr
			if f.ExpireTime != "" {
				e := f.ExpireTime
				w.ExpireTime = &e
			}
		}
		out.AmountInfos = append(out.AmountInfos, w)
	}
	return marshal(out)
}

// handleTransferAmount serves GET /v2/enterprises/multi-accounts/transfer-amount
// (ShowMultiAccountTransferAmount, reference §10.3): enterprise masters only.
func (s *Simulator) handleTransferAmount(rc *reqCtx) (int, []byte) {
	if !rc.caller.Master || len(s.t.accounts) == 1 {
		return accessDenied()
	}
	return s.fundsPage(rc, rc.caller, false)
}

// handleRetrieveAmount serves GET /v2/enterprises/multi-accounts/retrieve-amount
// (ListEnterpriseMultiAccount, reference §10.4): one member of the calling
// master per call.
func (s *Simulator) handleRetrieveAmount(rc *reqCtx) (int, []byte) {
	if !rc.caller.Master || len(s.t.accounts) == 1 {
		return accessDenied()
	}
	q := parseQuery(rc.r.URL.RawQuery)
	id := q.Get("sub_customer_id")
	if id == "" {
		return paramError("sub_customer_id is mandatory.")
	}
	a := s.t.byID[id]
	if a == nil || a.Master {
		return paramError("sub_customer_id %s is not a member account of the enterprise.", fmt.Sprintf("%.40s", id))
	}
	return s.fundsPage(rc, a, true)
}
