// Package bss is a client for the Huawei Cloud BSS (billing) API: monthly
// bill summaries, itemised resource consumption records, balances, resource
// packages, the enterprise organisation and its members, and the look-ups
// that decode them. One Client serves one account on either site (China,
// CNY; international, USD) chosen by Config.Site; Config.Endpoint points it
// at a simulator or proxy (a path prefix is kept).
//
// Requests. Every HTTP attempt is signed with AK/SK (SDK-HMAC-SHA256,
// byte-for-byte as the official Go SDK signs) by a Signer RoundTripper that
// sits below the retry loop, so each attempt carries a fresh X-Sdk-Date.
// Attempts are paced by a token bucket per (account, operation) at the
// documented quotas (10/s, 30/s for ListCustomerselfResourceRecords; see
// Config) and counted by WithCallCounter.
//
// Retries. Transport errors (resets, timeouts of one attempt, cut bodies),
// 5xx, throttling (HTTP 429, APIG(W).0308, CBC.99007197) and HTTP 200 with
// an error body are retried with capped exponential backoff and ±20%
// jitter; Retry-After overrides the backoff. CBC.* 4xx, gateway 4xx, type
// errors in a body and a done context are never retried. IsRetryable tells
// the two apart. Errors are *Error (any error answer), *RateLimitError
// (throttling, unwraps to *Error), *DecodeError (a body that does not
// decode; names operation, field with array index, byte offset and paging
// offset), *DriftError (total_count moved while paging) and
// *UnsupportedError (an operation the site does not offer).
//
// Decoding. Money and quantities are exact decimal.Decimal values; a JSON
// number, a numeric string and exponent form are all accepted, anything else
// is a *DecodeError, never a silent zero. JSON null and absent fields are
// zero. Codes the API sends as string on one endpoint and integer on another
// (charge_mode, period_type) are strings; integer fields also accept numeric
// strings. Timestamps are UTC time.Time, parsed leniently. Amounts under a
// money measure_id of 2 (jiao) or 3 (fen) are converted to currency units;
// other money measure IDs are refused. Enterprise project IDs sent as null,
// "" or "-1" become UnassignedEnterpriseProject ("-1"). Unknown fields are
// ignored.
//
// Paging. Each list has a page method (ListResourceRecords, ListMonthlySums,
// …) and an iter.Seq2 iterator (ResourceRecords, MonthlySums, …) that pages by
// row offset at the largest documented limit (1000; 100 for members). An
// iterator that finishes without error has yielded exactly the stable
// total_count rows; otherwise it ends with a *DriftError and the caller
// should re-read the whole set. ResourceRecords and MonthlySums with method
// "all" fall back to querying the master and each member one by one when
// the service answers CBC.18000048; callers need no fallback of their own.
//
// Sites. Both sites share paths and field names; the client normalises the
// currency (a response without one gets the site's). Organizations
// (ListEnterpriseOrganizations) exists on the China site only: on the
// international site it returns an *UnsupportedError (matching
// errors.ErrUnsupported) without sending a request.
package bss
