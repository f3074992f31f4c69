package bss

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/shopspring/decimal"
)

// The member-funds operations of an enterprise master (reference §10.3,
// §10.4; China site only, absent from the international SDK).
var (
	OpTransferAmount = operation("ShowMultiAccountTransferAmount")
	OpRetrieveAmount = operation("ListEnterpriseMultiAccount")
)

// BalanceType selects the cash (debit) or credit ledgers of the
// member-funds operations.
type BalanceType string

// The balance types of reference §10.3.
const (
	BalanceDebit  BalanceType = "BALANCE_TYPE_DEBIT"
	BalanceCredit BalanceType = "BALANCE_TYPE_CREDIT"
)

// fundsPageLimit is the documented default page size of the credit ledgers;
// the maximum is not documented (reference §3.2), so syncd asks for no more.
const fundsPageLimit = 10

// Funds is one amount_infos element of the member-funds operations, in
// currency units: Available is what the master can still allocate
// (avail_transfer_amount) or take back from a member
// (avail_retrieve_amount). Amount (the ledger's balance), CreditAmount (its
// credit line) and ExpireTime (zero: never expires) are set for credit
// ledgers only.
type Funds struct {
	BalanceType  BalanceType
	Available    decimal.Decimal
	Amount       decimal.Decimal
	CreditAmount decimal.Decimal
	Currency     string
	MeasureID    int
	ExpireTime   time.Time
}

type wFunds struct {
	AvailTransfer wDec   `json:"avail_transfer_amount"`
	AvailRetrieve wDec   `json:"avail_retrieve_amount"`
	MeasureID     wInt   `json:"measure_id"`
	Currency      string `json:"currency"`
	Amount        wDec   `json:"amount"`
	CreditAmount  wDec   `json:"credit_amount"`
	ExpireTime    wTime  `json:"expire_time"`
}

type wFundsPage struct {
	wStatus
	TotalCount  *wInt    `json:"total_count"`
	AmountInfos []wFunds `json:"amount_infos"`
}

// decodeFundsPage decodes one answer; retrieve picks avail_retrieve_amount
// over avail_transfer_amount, which must be present.
func decodeFundsPage(body []byte, bt BalanceType, retrieve bool, siteCurrency string) ([]Funds, int, error) {
	var p wFundsPage
	if err := decodeBody(body, &p, "amount_infos", func() any { return new(wFunds) }); err != nil {
		return nil, 0, err
	}
	total, err := pageTotal(p.TotalCount)
	if err != nil {
		return nil, 0, err
	}
	field := "avail_transfer_amount"
	if retrieve {
		field = "avail_retrieve_amount"
	}
	out := make([]Funds, len(p.AmountInfos))
	for i, w := range p.AmountInfos {
		fail := func(f string, err error) error {
			return &DecodeError{Field: fmt.Sprintf("amount_infos[%d].%s", i, f), Offset: elemOffset(body, "amount_infos", i), Err: err}
		}
		s, ok := moneyScale(int(w.MeasureID))
		if !ok {
			return nil, 0, fail("measure_id", fmt.Errorf("unsupported money measure_id %d", w.MeasureID))
		}
		avail := w.AvailTransfer
		if retrieve {
			avail = w.AvailRetrieve
		}
		if !avail.set {
			return nil, 0, fail(field, errors.New("missing"))
		}
		cur := w.Currency
		if cur == "" {
			cur = siteCurrency
		}
		out[i] = Funds{BalanceType: bt, Available: money(avail, s), Amount: money(w.Amount, s), CreditAmount: money(w.CreditAmount, s),
			Currency: cur, MeasureID: int(w.MeasureID), ExpireTime: timeOf(w.ExpireTime)}
	}
	return out, total, nil
}

// TransferAmount returns the master's allocatable funds of a balance type:
// GET /v2/enterprises/multi-accounts/transfer-amount (reference §10.3; the
// official SDK's ShowMultiAccountTransferAmount). The debit answer is
// one element; credit ledgers are paged. Only an enterprise master may ask
// (else CBC.0151); on the international site it returns an *UnsupportedError
// without sending a request.
func (c *Client) TransferAmount(ctx context.Context, bt BalanceType) ([]Funds, error) {
	return c.funds(ctx, OpTransferAmount, "v2/enterprises/multi-accounts/transfer-amount", "", bt)
}

// RetrieveAmount returns what the master can take back from one member of a
// balance type: GET /v2/enterprises/multi-accounts/retrieve-amount
// (reference §10.4; the SDK's ListEnterpriseMultiAccount), one member per
// call. It is not the member's whole balance (funds the member recharged
// itself are not retrievable). Master only; China site only, as
// TransferAmount.
func (c *Client) RetrieveAmount(ctx context.Context, memberID string, bt BalanceType) ([]Funds, error) {
	if memberID == "" {
		return nil, fmt.Errorf("bss %s: a member account ID is required", OpRetrieveAmount)
	}
	return c.funds(ctx, OpRetrieveAmount, "v2/enterprises/multi-accounts/retrieve-amount", memberID, bt)
}

func (c *Client) funds(ctx context.Context, op, path, member string, bt BalanceType) ([]Funds, error) {
	if c.cfg.Site == SiteInternational {
		return nil, &UnsupportedError{Operation: op, Site: c.cfg.Site}
	}
	if bt != BalanceDebit && bt != BalanceCredit {
		return nil, fmt.Errorf("bss %s: balance type %q is neither %s nor %s", op, bt, BalanceDebit, BalanceCredit)
	}
	page := func(off int) (rows []Funds, total int, err error) {
		var q query
		if member != "" {
			q.add("sub_customer_id", member)
		}
		q.add("balance_type", string(bt))
		if bt == BalanceCredit {
			q.add("offset", strconv.Itoa(off))
			q.add("limit", strconv.Itoa(fundsPageLimit))
		}
		_, err = c.do(ctx, call{op: op, method: "GET", path: path, query: q, offset: off}, func(b []byte) (err error) {
			rows, total, err = decodeFundsPage(b, bt, member != "", c.currency)
			return err
		})
		return rows, total, err
	}
	if bt == BalanceDebit { // one element, not paged
		rows, _, err := page(0)
		return rows, err
	}
	return readAll(op, "amount_infos", fundsPageLimit, page)
}
