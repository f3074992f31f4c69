package bss

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Signing constants of SDK-HMAC-SHA256 (reference §4.2).
const (
	signAlgorithm     = "SDK-HMAC-SHA256"
	sdkDateFormat     = "20060102T150405Z"
	headerSdkDate     = "X-Sdk-Date"
	headerDomainID    = "X-Domain-Id"
	headerSecToken    = "X-Security-Token"
	headerAuthz       = "Authorization"
	emptyPayloadHash  = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	unsignedPayload   = "UNSIGNED-PAYLOAD"
	headerContentHash = "X-Sdk-Content-Sha256"
)

// Signer is an http.RoundTripper that signs every request with AK/SK
// (SDK-HMAC-SHA256) exactly as the official Go SDK does (reference §4.2),
// then hands it to Base. It copies the request before touching headers, so
// the caller's request is never modified; it sets X-Domain-Id and, for
// temporary credentials, X-Security-Token before signing (both are signed).
// Because it sits below the client's retry loop, every attempt carries a
// fresh X-Sdk-Date and signature.
type Signer struct {
	Credentials Credentials
	// Now returns the signing time; nil means time.Now.
	Now func() time.Time
	// Base performs the signed request; nil means http.DefaultTransport.
	Base http.RoundTripper
}

// RoundTrip implements http.RoundTripper.
func (s *Signer) RoundTrip(req *http.Request) (*http.Response, error) {
	closeBody := func() {
		if req.Body != nil {
			_ = req.Body.Close()
		}
	}
	if s.Credentials.AK == "" || s.Credentials.SK == "" {
		closeBody()
		return nil, errors.New("sign request: AK and SK are required")
	}
	r2 := req.Clone(req.Context())
	body, err := requestBody(req)
	if err != nil {
		closeBody()
		return nil, fmt.Errorf("sign request: read body: %w", err)
	}
	if body != nil {
		r2.Body = io.NopCloser(bytes.NewReader(body))
		r2.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		r2.ContentLength = int64(len(body))
	}
	r2.Header.Del(headerAuthz) // a stale signature must not be signed itself
	if s.Credentials.DomainID != "" {
		r2.Header.Set(headerDomainID, s.Credentials.DomainID)
	}
	if s.Credentials.SecurityToken != "" {
		r2.Header.Set(headerSecToken, s.Credentials.SecurityToken.Reveal())
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	SignRequest(r2, body, s.Credentials.AK.Reveal(), s.Credentials.SK.Reveal(), now())
	base := s.Base
	if base == nil {
		base = http.DefaultTransport
	}
	return base.RoundTrip(r2)
}

// requestBody returns the exact body bytes of req without consuming a body
// that can be re-obtained through GetBody.
func requestBody(req *http.Request) ([]byte, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return nil, nil
	}
	if req.GetBody != nil {
		rc, err := req.GetBody()
		if err != nil {
			return nil, err
		}
		defer rc.Close()
		return io.ReadAll(rc)
	}
	defer req.Body.Close()
	return io.ReadAll(req.Body)
}

// SignRequest signs req in place: it sets X-Sdk-Date (unless the request
// already carries a parseable one, as the SDK does) and Authorization. body
// must be the exact bytes that will be sent. It is exported for tests and
// for tools; clients use Signer.
func SignRequest(req *http.Request, body []byte, ak, sk string, now time.Time) {
	t, err := time.Parse(sdkDateFormat, req.Header.Get(headerSdkDate))
	if err != nil {
		t = now
		req.Header.Set(headerSdkDate, t.UTC().Format(sdkDateFormat))
	}
	hash := payloadHash(req.Header, body) // may add X-Sdk-Content-Sha256, which is then signed
	signed := signedHeaders(req.Header)
	cr := canonicalRequest(req.Method, req.URL.Path, req.URL.RawQuery, req.Header, signed, hash)
	sts := stringToSign(cr, t)
	req.Header.Set(headerAuthz, authorization(ak, signed, signature(sts, sk)))
}

// payloadHash is the hex SHA-256 of the body, or UNSIGNED-PAYLOAD when the
// SDK would not sign the body (a Content-Type that is neither JSON nor BSON).
func payloadHash(h http.Header, body []byte) string {
	if ct, ok := h["Content-Type"]; ok && len(ct) > 0 &&
		!strings.Contains(ct[0], "application/json") && !strings.Contains(ct[0], "application/bson") {
		h.Set(headerContentHash, unsignedPayload)
	}
	if v := h.Get(headerContentHash); v != "" {
		return v
	}
	if len(body) == 0 {
		return emptyPayloadHash
	}
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}

// signedHeaders lists the lower-cased header names to sign: all of them
// except Content-Type* and names containing '_', sorted.
func signedHeaders(h http.Header) []string {
	out := make([]string, 0, len(h))
	for k := range h {
		lk := strings.ToLower(k)
		if strings.HasPrefix(lk, "content-type") || strings.Contains(k, "_") {
			continue
		}
		if !slices.Contains(out, lk) {
			out = append(out, lk)
		}
	}
	slices.Sort(out)
	return out
}

// canonicalRequest builds the canonical request of reference §4.2 steps 3–8.
func canonicalRequest(method, path, rawQuery string, h http.Header, signed []string, hash string) string {
	var b strings.Builder
	b.WriteString(method)
	b.WriteByte('\n')
	b.WriteString(canonicalURI(path))
	b.WriteByte('\n')
	b.WriteString(canonicalQuery(rawQuery))
	b.WriteByte('\n')
	lower := make(map[string][]string, len(h))
	for k, vs := range h {
		lk := strings.ToLower(k)
		lower[lk] = append(lower[lk], vs...)
	}
	for _, name := range signed {
		vs := slices.Clone(lower[name])
		slices.Sort(vs)
		for _, v := range vs {
			b.WriteString(name)
			b.WriteByte(':')
			b.WriteString(strings.TrimSpace(v))
			b.WriteByte('\n')
		}
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(signed, ";"))
	b.WriteByte('\n')
	b.WriteString(hash)
	return b.String()
}

// canonicalURI escapes each path segment and guarantees a trailing slash.
func canonicalURI(path string) string {
	segs := strings.Split(path, "/")
	for i, s := range segs {
		segs[i] = escape(s)
	}
	p := strings.Join(segs, "/")
	if !strings.HasSuffix(p, "/") {
		p += "/"
	}
	return p
}

// canonicalQuery decodes rawQuery (a bare "key" is "key=") and re-encodes it
// sorted by name, then by value.
func canonicalQuery(rawQuery string) string {
	if rawQuery == "" {
		return ""
	}
	q, _ := url.ParseQuery(rawQuery) // malformed pairs are dropped, as a server would
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		vs := slices.Clone(q[k])
		slices.Sort(vs)
		ek := escape(k)
		for _, v := range vs {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(ek)
			b.WriteByte('=')
			b.WriteString(escape(v))
		}
	}
	return b.String()
}

func stringToSign(canonical string, t time.Time) string {
	sum := sha256.Sum256([]byte(canonical))
	return signAlgorithm + "\n" + t.UTC().Format(sdkDateFormat) + "\n" + hex.EncodeToString(sum[:])
}

func signature(sts, sk string) string {
	m := hmac.New(sha256.New, []byte(sk))
	m.Write([]byte(sts))
	return hex.EncodeToString(m.Sum(nil))
}

func authorization(ak string, signed []string, sig string) string {
	return signAlgorithm + " Access=" + ak + ", SignedHeaders=" + strings.Join(signed, ";") + ", Signature=" + sig
}

// shouldEscape reports whether c is outside the unreserved set A–Z a–z 0–9 - _ . ~.
func shouldEscape(c byte) bool {
	return !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '~')
}

// escape percent-encodes every byte outside the unreserved set with
// upper-case hex (space is %20, '+' is %2B, '/' is %2F).
func escape(s string) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if shouldEscape(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	const hexDigits = "0123456789ABCDEF"
	t := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if shouldEscape(c) {
			t = append(t, '%', hexDigits[c>>4], hexDigits[c&15])
		} else {
			t = append(t, c)
		}
	}
	return string(t)
}
