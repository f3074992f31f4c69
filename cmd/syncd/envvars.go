package main

import (
	"context"
	"fmt"
	"reflect"
	"strings"

	"github.com/sethvargo/go-envconfig"
)

// envVar is one environment variable read through a config struct tag.
type envVar struct {
	Name    string       // full variable name, prefixes applied
	Default string       // default= option, "" if none
	Type    reflect.Type // the field's type
	Field   string       // the Go field name
	PkgPath string       // the package that declares the field's struct
	Struct  string       // the name of that struct
}

// envVars lists the variables of a config struct type, walking nested
// structs and applying their prefix= options, in field order.
func envVars(t reflect.Type, prefix string) []envVar {
	var out []envVar
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag, hasTag := f.Tag.Lookup("env")
		if tag == "-" {
			continue
		}
		name, opts := parseTag(tag)
		if f.Type.Kind() == reflect.Struct && name == "" && !implementsDecoder(f.Type) {
			p := prefix
			if v, ok := opts["prefix"]; ok {
				p += v
			}
			out = append(out, envVars(f.Type, p)...)
			continue
		}
		if !hasTag || name == "" {
			continue
		}
		out = append(out, envVar{Name: prefix + name, Default: opts["default"], Type: f.Type, Field: f.Name, PkgPath: t.PkgPath(), Struct: t.Name()})
	}
	return out
}

func implementsDecoder(t reflect.Type) bool {
	return reflect.PointerTo(t).Implements(reflect.TypeFor[envconfig.Decoder]())
}

// parseTag splits `NAME, opt=v, flag` into the name and options as
// go-envconfig does: a default= option takes the rest of the tag verbatim,
// commas included (a schedule such as "CRON_TZ=Asia/Shanghai 17 6,18 * * *"),
// and only the first "=" of an option separates key and value.
func parseTag(tag string) (string, map[string]string) {
	parts := strings.Split(tag, ",")
	opts := make(map[string]string)
	for i, p := range parts[1:] {
		p = strings.TrimSpace(p)
		if strings.HasPrefix(p, "default=") {
			opts["default"] = strings.TrimPrefix(strings.TrimLeft(strings.Join(parts[i+1:], ","), " "), "default=")
			break
		}
		k, v, _ := strings.Cut(p, "=")
		opts[k] = v
	}
	return strings.TrimSpace(parts[0]), opts
}

// checkDecodable decodes every set variable of vars on its own, exactly as
// go-envconfig would, so that all bad values are reported at once and each
// error names its variable (go-envconfig stops at the first and names the
// Go field).
func checkDecodable(ctx context.Context, vars []envVar, lookup envconfig.Lookuper) ([]error, map[string]bool) {
	var errs []error
	bad := make(map[string]bool)
	for _, v := range vars {
		val, ok := lookup.Lookup(v.Name)
		if !ok {
			continue
		}
		st := reflect.StructOf([]reflect.StructField{{Name: "Value", Type: v.Type, Tag: `env:"V"`}})
		target := reflect.New(st)
		err := envconfig.ProcessWith(ctx, &envconfig.Config{Target: target.Interface(), Lookuper: envconfig.MapLookuper(map[string]string{"V": val})})
		if err != nil {
			msg := strings.TrimPrefix(err.Error(), "Value: ")
			errs = append(errs, fmt.Errorf("%s: %s (want %s)", v.Name, msg, describeType(v.Type)))
			bad[v.Name] = true
		}
	}
	return errs, bad
}

// describeType says what a variable of type t expects, for messages and docs.
func describeType(t reflect.Type) string {
	switch {
	case t.String() == "time.Duration":
		return "a duration such as 30s, 5m or 1h"
	case t.Kind() == reflect.Bool:
		return "true or false"
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		return "an integer"
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		return "a number"
	case t.Kind() == reflect.Slice:
		return "a comma-separated list"
	case t.Kind() == reflect.Map:
		return "comma-separated key:value pairs"
	}
	return "a string"
}
