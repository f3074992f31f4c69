package bss

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
)

// redacted is what a Secret prints in every textual form.
const redacted = "[REDACTED]"

// Secret is a credential value that redacts itself wherever it could leak:
// fmt verbs, slog, JSON and text marshalling all yield "[REDACTED]".
// Use Reveal to obtain the value, and only where it is really needed
// (signing a request).
type Secret string

// Reveal returns the secret value itself.
func (s Secret) Reveal() string { return string(s) }

// String returns "[REDACTED]".
func (s Secret) String() string { return redacted }

// GoString returns "[REDACTED]", so that %#v does not leak the value either.
func (s Secret) GoString() string { return redacted }

// Format implements fmt.Formatter so that every verb (%s, %v, %q, %x, %d …)
// prints "[REDACTED]".
func (s Secret) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, redacted) }

// LogValue implements slog.LogValuer.
func (s Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalJSON encodes the secret as the JSON string "[REDACTED]".
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// MarshalText encodes the secret as "[REDACTED]".
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// Credentials are the AK/SK credentials of one Huawei Cloud account (domain).
// SecurityToken is set only for temporary credentials (STS, agencies).
type Credentials struct {
	AK            Secret
	SK            Secret
	DomainID      string
	SecurityToken Secret
}

// Environment variable names, the same the official Huawei Cloud SDKs read.
// Each may instead be given as a file path in the variable of the same name
// with a "_FILE" suffix (Kubernetes secrets mounted as files).
const (
	EnvAK            = "HUAWEICLOUD_SDK_AK"
	EnvSK            = "HUAWEICLOUD_SDK_SK"
	EnvDomainID      = "HUAWEICLOUD_SDK_DOMAIN_ID"
	EnvSecurityToken = "HUAWEICLOUD_SDK_SECURITY_TOKEN"
)

// Validate reports missing or malformed credentials. Its messages name the
// field, never the value.
func (c Credentials) Validate() error {
	return errors.Join(c.check([4]string{"access key (AK)", "secret key (SK)", "domain (account) ID", "security token"}, true)...)
}

// check validates c, naming each field as names (AK, SK, domain ID,
// security token) says. Emptiness is checked only when required is set
// (CredentialsFromEnv reports unset variables itself).
func (c Credentials) check(names [4]string, required bool) []error {
	var errs []error
	if c.AK == "" {
		if required {
			errs = append(errs, fmt.Errorf("%s is empty", names[0]))
		}
	} else if strings.ContainsAny(string(c.AK), " \t\r\n,=") {
		errs = append(errs, fmt.Errorf("%s contains whitespace, ',' or '=' (want the access key exactly as issued)", names[0]))
	}
	if c.SK == "" && required {
		errs = append(errs, fmt.Errorf("%s is empty", names[1]))
	}
	if c.DomainID == "" {
		if required {
			errs = append(errs, fmt.Errorf("%s is empty", names[2]))
		}
	} else if strings.ContainsAny(c.DomainID, " \t\r\n") {
		errs = append(errs, fmt.Errorf("%s contains whitespace (want the account (domain) ID as shown in My Credentials)", names[2]))
	}
	if strings.ContainsAny(string(c.SecurityToken), "\r\n") {
		errs = append(errs, fmt.Errorf("%s contains a line break (want the token on one line)", names[3]))
	}
	return errs
}

// CredentialsFromEnv reads credentials through lookup (os.LookupEnv in
// production, a map in tests) from HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK,
// HUAWEICLOUD_SDK_DOMAIN_ID and the optional HUAWEICLOUD_SDK_SECURITY_TOKEN.
// Each can instead name a file in NAME_FILE; the file's content, with
// surrounding whitespace trimmed, is the value. Setting both NAME and
// NAME_FILE is an error. AK, SK and the domain ID are required. Error
// messages name the variable (and the file path), never the value.
func CredentialsFromEnv(lookup func(string) (string, bool)) (Credentials, error) {
	var errs []error
	get := func(name string, required bool) string {
		v, ok := lookup(name)
		path, fok := lookup(name + "_FILE")
		switch {
		case ok && fok && v != "" && path != "":
			errs = append(errs, fmt.Errorf("both %s and %s_FILE are set; set only one", name, name))
			return ""
		case fok && path != "":
			b, err := os.ReadFile(path)
			if err != nil {
				var pe *os.PathError
				if errors.As(err, &pe) {
					err = pe.Err
				}
				errs = append(errs, fmt.Errorf("%s_FILE: read %q: %w", name, path, err))
				return ""
			}
			v = strings.TrimSpace(string(b))
			if v == "" && required {
				errs = append(errs, fmt.Errorf("%s_FILE: file %q is empty", name, path))
			}
			return v
		case ok && v != "":
			return strings.TrimSpace(v)
		}
		if required {
			errs = append(errs, fmt.Errorf("%s (or %s_FILE) is not set", name, name))
		}
		return ""
	}
	c := Credentials{
		AK:            Secret(get(EnvAK, true)),
		SK:            Secret(get(EnvSK, true)),
		DomainID:      get(EnvDomainID, true),
		SecurityToken: Secret(get(EnvSecurityToken, false)),
	}
	// Malformed values are reported with the unset ones, all at once.
	errs = append(errs, c.check([4]string{EnvAK, EnvSK, EnvDomainID, EnvSecurityToken}, false)...)
	if err := errors.Join(errs...); err != nil {
		return Credentials{}, fmt.Errorf("bss credentials: %w", err)
	}
	return c, nil
}
