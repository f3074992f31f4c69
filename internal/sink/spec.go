package sink

import (
	"fmt"
	"reflect"
	"strings"
	"time"
	"unsafe"

	"github.com/shopspring/decimal"
)

// specOf builds the tableSpec of a row type from its `ch` struct tags, so a
// column is named once, beside its field: `ch:"name"`, with the option
// `ch:"name,date"` for a Date column (a civil date), `ch:"name,nulldate"`
// for a Nullable(Date) one or `ch:"name,nulltime"` for a
// Nullable(DateTime('UTC')) one (the zero time is NULL). The column type follows
// the field's Go type: string, decimal.Decimal (Decimal(38, 8), checked),
// int32, uint64, time.Time (DateTime('UTC')). Every exported field must be
// tagged; a row type the sink cannot write is a programming error, reported
// when the package is initialised (and by TestRowSpecs).
func specOf[R any](table string) *tableSpec[R] {
	t := reflect.TypeFor[R]()
	spec := &tableSpec[R]{table: table}
	for i := range t.NumField() {
		f := t.Field(i)
		tag, ok := f.Tag.Lookup("ch")
		if !f.IsExported() || tag == "-" {
			continue
		}
		if !ok {
			panic(fmt.Sprintf("sink: %s.%s has no ch tag", t.Name(), f.Name))
		}
		name, opt, _ := strings.Cut(tag, ",")
		fl, err := fieldOf[R](name, opt, f.Type, f.Offset)
		if err != nil {
			panic(fmt.Sprintf("sink: %s.%s: %v", t.Name(), f.Name, err))
		}
		spec.fields = append(spec.fields, fl)
	}
	return spec
}

// fieldOf returns the column writer of the field of type typ at offset off
// of R. The getters read the field through its offset, as fast as the
// hand-written closures they replace.
func fieldOf[R any](name, opt string, typ reflect.Type, off uintptr) (field[R], error) {
	if name == "" {
		return field[R]{}, fmt.Errorf("empty column name")
	}
	at := func(r *R) unsafe.Pointer { return unsafe.Add(unsafe.Pointer(r), off) }
	switch {
	case opt != "" && typ != reflect.TypeFor[time.Time]():
		return field[R]{}, fmt.Errorf("option %q needs a time.Time field", opt)
	case typ == reflect.TypeFor[string]():
		return strField(name, func(r *R) string { return *(*string)(at(r)) }), nil
	case typ == reflect.TypeFor[decimal.Decimal]():
		return decField(name, func(r *R) decimal.Decimal { return *(*decimal.Decimal)(at(r)) }), nil
	case typ == reflect.TypeFor[int32]():
		return int32Field(name, func(r *R) int32 { return *(*int32)(at(r)) }), nil
	case typ == reflect.TypeFor[uint64]():
		return uint64Field(name, func(r *R) uint64 { return *(*uint64)(at(r)) }), nil
	case typ == reflect.TypeFor[time.Time]():
		get := func(r *R) time.Time { return *(*time.Time)(at(r)) }
		switch opt {
		case "":
			return timeField(name, get), nil
		case "date":
			return dateField(name, get), nil
		case "nulldate":
			return nullDateField(name, get), nil
		case "nulltime":
			return nullTimeField(name, get), nil
		}
		return field[R]{}, fmt.Errorf("unknown option %q (want date, nulldate or nulltime)", opt)
	}
	return field[R]{}, fmt.Errorf("unsupported type %s", typ)
}
