package prompt

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
)

// Values of variables that are not strings, numbers or booleans reach the
// template library wrapped, so that a variable tag prints them as JSON (what
// the Mustache spec and every other Mustache implementation do) and null
// prints nothing, while lists and objects used as sections still iterate and
// open a context. The library prints a value with fmt, so the wrappers
// implement fmt.Formatter: the library looks up a variable among a value's
// methods only when the method takes no argument, which Format does not, so
// no key of an object is shadowed.

// jsonList is a list variable.
type jsonList []any

// jsonMap is an object variable.
type jsonMap map[string]any

// null is a null variable: false in a section, empty in a variable tag.
type null struct{}

func (l jsonList) Format(f fmt.State, _ rune) { writeJSON(f, []any(l)) }
func (m jsonMap) Format(f fmt.State, _ rune)  { writeJSON(f, map[string]any(m)) }
func (null) Format(fmt.State, rune)           {}
func (null) MarshalJSON() ([]byte, error)     { return []byte("null"), nil }

func writeJSON(f fmt.State, v any) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	// A prompt is not HTML: <, > and & stay as they are.
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		fmt.Fprintf(f, "%v", err)
		return
	}
	f.Write(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
}

// templateData wraps the values of vars (see above). Vars of only strings,
// numbers and booleans are returned as they are.
func templateData(vars map[string]any) map[string]any {
	plain := true
	for _, v := range vars {
		if !scalar(v) {
			plain = false
			break
		}
	}
	if plain {
		return vars
	}
	out := make(map[string]any, len(vars))
	for k, v := range vars {
		out[k] = wrapValue(v)
	}
	return out
}

func scalar(v any) bool {
	switch v.(type) {
	case string, bool, float64, float32, int, int64, int32, uint, uint64, uint32, json.Number:
		return true
	}
	return false
}

func wrapValue(v any) any {
	switch x := v.(type) {
	case nil:
		return null{}
	case []any:
		out := make(jsonList, len(x))
		for i, e := range x {
			out[i] = wrapValue(e)
		}
		return out
	case map[string]any:
		out := make(jsonMap, len(x))
		for k, e := range x {
			out[k] = wrapValue(e)
		}
		return out
	}
	if scalar(v) {
		return v
	}
	// Typed lists and maps from Go callers ([]string, map[string]int ...).
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		if rv.Kind() == reflect.Slice && rv.IsNil() {
			return null{}
		}
		out := make(jsonList, rv.Len())
		for i := range out {
			out[i] = wrapValue(rv.Index(i).Interface())
		}
		return out
	case reflect.Map:
		if rv.IsNil() {
			return null{}
		}
		out := make(jsonMap, rv.Len())
		it := rv.MapRange()
		for it.Next() {
			out[strings.TrimSpace(fmt.Sprint(it.Key().Interface()))] = wrapValue(it.Value().Interface())
		}
		return out
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return null{}
		}
	}
	return v
}
