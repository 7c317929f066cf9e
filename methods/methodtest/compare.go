package methodtest

import (
	"fmt"
	"reflect"
	"time"

	"github.com/nusapay/payments"
)

// deepCopy returns a copy of *p that shares no memory with it through
// exported fields, so a later reflect.DeepEqual shows any change made
// through a pointer, slice, map or interface. Unexported fields are
// copied as they are (reflection cannot rebuild them).
func deepCopy[T any](p *T) *T {
	c := new(T)
	c2 := deepClone(reflect.ValueOf(p).Elem())
	reflect.ValueOf(c).Elem().Set(c2)
	return c
}

func deepClone(v reflect.Value) reflect.Value {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		n := reflect.New(v.Elem().Type())
		n.Elem().Set(deepClone(v.Elem()))
		return n
	case reflect.Interface:
		if v.IsNil() {
			return v
		}
		n := reflect.New(v.Type()).Elem()
		n.Set(deepClone(v.Elem()))
		return n
	case reflect.Slice:
		if v.IsNil() {
			return v
		}
		n := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := range v.Len() {
			n.Index(i).Set(deepClone(v.Index(i)))
		}
		return n
	case reflect.Array:
		n := reflect.New(v.Type()).Elem()
		for i := range v.Len() {
			n.Index(i).Set(deepClone(v.Index(i)))
		}
		return n
	case reflect.Map:
		if v.IsNil() {
			return v
		}
		n := reflect.MakeMapWithSize(v.Type(), v.Len())
		for it := v.MapRange(); it.Next(); {
			n.SetMapIndex(deepClone(it.Key()), deepClone(it.Value()))
		}
		return n
	case reflect.Struct:
		n := reflect.New(v.Type()).Elem()
		n.Set(v)
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				n.Field(i).Set(deepClone(v.Field(i)))
			}
		}
		return n
	}
	return v
}

// matchInstructions lists how got differs from want in want's non-zero
// fields; actions are matched by name, never by position.
func matchInstructions(got, want payments.Instructions) []string {
	var msgs []string
	matchFields("", reflect.ValueOf(got), reflect.ValueOf(want), &msgs)
	return msgs
}

func matchFields(path string, got, want reflect.Value, msgs *[]string) {
	if want.IsZero() {
		return
	}
	switch {
	case want.Type() == reflect.TypeFor[time.Time]():
		if !got.Interface().(time.Time).Equal(want.Interface().(time.Time)) {
			*msgs = append(*msgs, fmt.Sprintf("%s = %v, want %v", path, got.Interface(), want.Interface()))
		}
	case want.Type() == reflect.TypeFor[[]payments.Action]():
		for i := range want.Len() {
			w := want.Index(i).Interface().(payments.Action)
			var found *payments.Action
			for j := range got.Len() {
				if a := got.Index(j).Interface().(payments.Action); a.Name == w.Name {
					found = &a
					break
				}
			}
			if found == nil {
				*msgs = append(*msgs, fmt.Sprintf("%s has no action %q", path, w.Name))
				continue
			}
			matchFields(fmt.Sprintf("%s[%q]", path, w.Name), reflect.ValueOf(*found), reflect.ValueOf(w), msgs)
		}
	case want.Kind() == reflect.Pointer:
		if got.IsNil() {
			*msgs = append(*msgs, fmt.Sprintf("%s is nil, want %+v", path, want.Elem().Interface()))
			return
		}
		matchFields(path, got.Elem(), want.Elem(), msgs)
	case want.Kind() == reflect.Struct:
		for i := range want.NumField() {
			name := want.Type().Field(i).Name
			p := name
			if path != "" {
				p = path + "." + name
			}
			matchFields(p, got.Field(i), want.Field(i), msgs)
		}
	default:
		if !reflect.DeepEqual(got.Interface(), want.Interface()) {
			*msgs = append(*msgs, fmt.Sprintf("%s = %#v, want %#v", path, got.Interface(), want.Interface()))
		}
	}
}
