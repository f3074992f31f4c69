package bsssim

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

const (
	sdkAlgorithm  = "SDK-HMAC-SHA256"
	sdkDateFormat = "20060102T150405Z"
	maxClockSkew  = 15 * time.Minute
)

// authenticate verifies the request's credentials (reference §4.2, §4.6) and
// returns the calling account, or a non-zero HTTP status with the gateway
// message.
func (s *Simulator) authenticate(r *http.Request, body []byte) (*account, int, string) {
	if s.cfg.DisableAuth {
		return s.t.accounts[0], 0, ""
	}
	authz := r.Header.Get("Authorization")
	if authz == "" {
		if tok := r.Header.Get("X-Auth-Token"); tok != "" {
			id, ok := s.tokens[tok]
			a := s.t.byID[id]
			if !ok || a == nil {
				return nil, http.StatusUnauthorized, "Incorrect IAM authentication information: decrypt token fail"
			}
			return a, 0, ""
		}
		return nil, http.StatusUnauthorized, "Incorrect IAM authentication information: Authorization not found"
	}
	ak, signed, sig, ok := parseAuthorization(authz)
	if !ok {
		return nil, http.StatusUnauthorized, "Incorrect IAM authentication information: Authorization format incorrect"
	}
	cred, ok := s.creds[ak]
	if !ok {
		return nil, http.StatusUnauthorized, "Incorrect IAM authentication information: Get secretKey failed"
	}
	if s.authLocked(ak) {
		return nil, http.StatusUnauthorized, "Incorrect IAM authentication information: the access key is locked after repeated authentication failures"
	}
	a, status, msg := s.verify(r, body, cred, signed, sig)
	if status != 0 {
		s.authFailed(ak)
		return nil, status, msg
	}
	s.authSucceeded(ak)
	return a, 0, ""
}

// verify checks date, signature, token and domain of an AK/SK request.
func (s *Simulator) verify(r *http.Request, body []byte, cred Credential, signed []string, sig string) (*account, int, string) {
	if !contains(signed, "x-sdk-date") {
		return nil, http.StatusUnauthorized, "Incorrect IAM authentication information: x-sdk-date not signed"
	}
	date := r.Header.Get("X-Sdk-Date")
	t, err := time.Parse(sdkDateFormat, date)
	if err != nil {
		return nil, http.StatusUnauthorized, "Incorrect IAM authentication information: X-Sdk-Date is invalid"
	}
	if d := s.cfg.Now().Sub(t); d > maxClockSkew || d < -maxClockSkew {
		return nil, http.StatusUnauthorized, "Incorrect IAM authentication information: the request has expired, the X-Sdk-Date differs from the server time by more than 15 minutes"
	}
	want := signature(canonicalRequest(r, signed, body), date, cred.SK)
	if subtle.ConstantTimeCompare([]byte(want), []byte(sig)) != 1 {
		return nil, http.StatusUnauthorized, "Incorrect IAM authentication information: verify aksk signature fail"
	}
	tok := r.Header.Get("X-Security-Token")
	switch {
	case cred.SecurityToken != "" && (tok == "" || !contains(signed, "x-security-token")):
		return nil, http.StatusUnauthorized, "Incorrect IAM authentication information: security token not found"
	case cred.SecurityToken != "" && subtle.ConstantTimeCompare([]byte(tok), []byte(cred.SecurityToken)) != 1:
		return nil, http.StatusUnauthorized, "Incorrect IAM authentication information: security token invalid"
	case cred.SecurityToken == "" && tok != "":
		return nil, http.StatusUnauthorized, "Incorrect IAM authentication information: security token invalid"
	}
	dom := r.Header.Get("X-Domain-Id")
	if dom == "" && s.cfg.StrictDomainID {
		return nil, http.StatusUnauthorized, "Incorrect IAM authentication information: X-Domain-Id not found"
	}
	if dom != "" && dom != cred.DomainID {
		return nil, http.StatusUnauthorized, "Incorrect IAM authentication information: the X-Domain-Id does not match the access key"
	}
	a := s.t.byID[cred.DomainID]
	if a == nil {
		return nil, http.StatusUnauthorized, "Incorrect IAM authentication information: unknown domain"
	}
	return a, 0, ""
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// parseAuthorization splits "SDK-HMAC-SHA256 Access=AK, SignedHeaders=a;b, Signature=hex".
func parseAuthorization(v string) (ak string, signed []string, sig string, ok bool) {
	rest, found := strings.CutPrefix(v, sdkAlgorithm+" ")
	if !found {
		return "", nil, "", false
	}
	for _, part := range strings.Split(rest, ",") {
		k, val, found := strings.Cut(strings.TrimSpace(part), "=")
		if !found {
			return "", nil, "", false
		}
		switch k {
		case "Access":
			ak = val
		case "SignedHeaders":
			signed = strings.Split(val, ";")
		case "Signature":
			sig = val
		}
	}
	return ak, signed, sig, ak != "" && len(signed) > 0 && sig != ""
}

// canonicalRequest rebuilds the SDK-HMAC-SHA256 canonical request from the
// received request (reference §4.2 steps 2-8).
func canonicalRequest(r *http.Request, signed []string, body []byte) string {
	var b strings.Builder
	b.WriteString(r.Method)
	b.WriteByte('\n')
	b.WriteString(canonicalURI(r.URL.Path))
	b.WriteByte('\n')
	b.WriteString(canonicalQuery(r.URL.RawQuery))
	b.WriteByte('\n')
	for _, name := range signed {
		var vals []string
		if name == "host" {
			vals = []string{r.Host}
		} else {
			vals = append(vals, r.Header.Values(name)...)
		}
		sort.Strings(vals)
		for _, v := range vals {
			b.WriteString(name)
			b.WriteByte(':')
			b.WriteString(strings.TrimSpace(v))
			b.WriteByte('\n')
		}
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(signed, ";"))
	b.WriteByte('\n')
	sum := sha256.Sum256(body)
	b.WriteString(hex.EncodeToString(sum[:]))
	return b.String()
}

func signature(canonical, date, sk string) string {
	h := sha256.Sum256([]byte(canonical))
	sts := sdkAlgorithm + "\n" + date + "\n" + hex.EncodeToString(h[:])
	m := hmac.New(sha256.New, []byte(sk))
	m.Write([]byte(sts))
	return hex.EncodeToString(m.Sum(nil))
}

func canonicalURI(path string) string {
	parts := strings.Split(path, "/")
	for i, p := range parts {
		parts[i] = sigEscape(p)
	}
	u := strings.Join(parts, "/")
	if !strings.HasSuffix(u, "/") {
		u += "/"
	}
	return u
}

// canonicalQuery decodes the raw query (a bare key counts as key=) and
// re-encodes it sorted by name, then value.
func canonicalQuery(raw string) string {
	q := parseQuery(raw)
	names := make([]string, 0, len(q))
	for k := range q {
		names = append(names, k)
	}
	sort.Strings(names)
	var parts []string
	for _, k := range names {
		vals := append([]string(nil), q[k]...)
		sort.Strings(vals)
		for _, v := range vals {
			parts = append(parts, sigEscape(k)+"="+sigEscape(v))
		}
	}
	return strings.Join(parts, "&")
}

// parseQuery is url.ParseQuery that keeps going past malformed parts and
// treats a bare key (no '=') as an empty value.
func parseQuery(raw string) url.Values {
	q := make(url.Values)
	for raw != "" {
		var part string
		part, raw, _ = strings.Cut(raw, "&")
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		k1, err1 := url.QueryUnescape(k)
		v1, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			k1, v1 = k, v
		}
		q[k1] = append(q[k1], v1)
	}
	return q
}

func sigEscape(s string) string {
	const hexUpper = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if ('A' <= c && c <= 'Z') || ('a' <= c && c <= 'z') || ('0' <= c && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexUpper[c>>4])
		b.WriteByte(hexUpper[c&15])
	}
	return b.String()
}

// signRequest signs r the way the Go SDK does (used by tests and the
// command's self-check): it sets X-Sdk-Date and Authorization over all
// headers except Content-Type.
func signRequest(r *http.Request, body []byte, ak, sk string, now time.Time) {
	date := now.UTC().Format(sdkDateFormat)
	r.Header.Set("X-Sdk-Date", date)
	var signed []string
	for k := range r.Header {
		lk := strings.ToLower(k)
		if strings.HasPrefix(lk, "content-type") || strings.Contains(lk, "_") || lk == "authorization" {
			continue
		}
		signed = append(signed, lk)
	}
	sort.Strings(signed)
	sig := signature(canonicalRequest(r, signed, body), date, sk)
	r.Header.Set("Authorization", sdkAlgorithm+" Access="+ak+", SignedHeaders="+strings.Join(signed, ";")+", Signature="+sig)
}
