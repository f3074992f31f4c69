package main

import (
	"context"
	"errors"
	"fmt"
	"go/token"
	"reflect"
	"slices"
	"strings"

	"github.com/sethvargo/go-envconfig"

	"github.com/syncd-io/syncd/internal/jobs"
)

// envVar is one environment variable read through a config struct tag.
type envVar struct {
	Name    string       // full variable name, prefixes applied
	Default string       // default= option, "" if none
	Type    reflect.Type // the field's type
	Field   string       // the Go field name
	PkgPath string       // the package that declares the field's struct
	Struct  string       // the name of that struct
	Doc     string       // the description, for variables that are no struct field (the schedules)
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

// configVars is the table of Config's variables, derived once from its tags
// and, for the schedules, from the job catalogue: the README table
// (TestConfigTable) and the "(want …)" of decoding errors.
var configVars = withSchedules(envVars(reflect.TypeFor[Config](), ""))

// withSchedules inserts the catalogue's schedule variables before the other
// variables of the jobs' configuration.
func withSchedules(vars []envVar) []envVar {
	var sched []envVar
	for _, s := range jobs.Catalogue {
		sched = append(sched, envVar{Name: jobs.ScheduleVar(s.Name), Default: s.Schedule, Type: reflect.TypeFor[string](), Doc: s.About})
	}
	jobsPkg := reflect.TypeFor[jobs.Config]().PkgPath()
	i := slices.IndexFunc(vars, func(v envVar) bool { return v.PkgPath == jobsPkg })
	if i < 0 {
		i = len(vars)
	}
	return slices.Insert(vars, i, sched...)
}

// checkDecodable lets go-envconfig decode Config's sections through lookup
// and collects every value it cannot decode, each named by its variable:
// go-envconfig stops at the first bad value and names the Go field, so each
// pass records the key it looked up last (the field that failed), hides that
// key and runs again, until the section decodes.
func checkDecodable(ctx context.Context, lookup envconfig.Lookuper) ([]error, map[string]bool) {
	var (
		errs []error
		last string
	)
	bad := make(map[string]bool)
	l := envconfig.LookuperFunc(func(key string) (string, bool) {
		last = key
		if bad[key] {
			return "", false
		}
		return lookup.Lookup(key)
	})
	for i := range (&Config{}).sections(l) {
		for {
			last = ""
			sec := (&Config{}).sections(l)[i] // a fresh target each pass: nothing left from the last one
			err := envconfig.ProcessWith(ctx, &envconfig.Config{Target: sec.target, Lookuper: sec.lookup})
			if err == nil || last == "" || bad[last] {
				break // decoded, or not a value's fault: LoadConfig reports it
			}
			bad[last] = true
			errs = append(errs, fmt.Errorf("%s: %s (want %s)", last, fieldless(err), describeType(varType(last))))
		}
	}
	return errs, bad
}

// fieldless strips the "Field: " prefixes go-envconfig wraps a decoding
// error in, leaving the decoder's own message.
func fieldless(err error) string {
	for {
		inner := errors.Unwrap(err)
		if inner == nil {
			return err.Error()
		}
		field, ok := strings.CutSuffix(err.Error(), ": "+inner.Error())
		if !ok || !token.IsIdentifier(field) {
			return err.Error()
		}
		err = inner
	}
}

// varType returns the Go type of a Config variable (string if unknown).
func varType(name string) reflect.Type {
	for _, v := range configVars {
		if v.Name == name {
			return v.Type
		}
	}
	return reflect.TypeFor[string]()
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
