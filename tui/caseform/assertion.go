package caseform

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/textinput"

	"github.com/seed94f0f622/verso/eval/assert"
	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/tui/common"
)

// need is what an assertion type asks for in the form.
type need struct {
	value     string // the value field's hint ("" = no value field)
	threshold string // the threshold field's hint ("" = none)
	schema    bool   // the value is a JSON schema
	bounds    bool   // the value is N or min-max
}

func needsOf(typ string) need {
	switch strings.TrimPrefix(typ, "not-") {
	case "equals":
		return need{value: "the exact answer (empty: the expected output)"}
	case "contains", "icontains", "starts-with":
		return need{value: "the text to find, e.g. refund policy"}
	case "contains-any", "contains-all", "icontains-any", "icontains-all":
		return need{value: "values separated by commas"}
	case "regex":
		return need{value: "a regular expression, e.g. (?i)refund"}
	case "is-json", "contains-json":
		return need{value: `optional JSON schema, e.g. {"type":"object"}`, schema: true}
	case "json-schema":
		return need{value: `a JSON schema, e.g. {"type":"object"}`, schema: true}
	case "levenshtein":
		return need{value: "the text to compare with (empty: expected output)", threshold: "max edits (default 5)"}
	case "word-count", "length":
		return need{value: "N, or min-max, e.g. 20-120", bounds: true}
	case "latency":
		return need{threshold: "milliseconds, e.g. 2000"}
	case "cost":
		return need{threshold: "dollars, e.g. 0.01"}
	case "llm-rubric":
		return need{value: "what a good answer does, e.g. mentions the refund policy"}
	case "similar":
		return need{value: "text the answer should resemble", threshold: "0 to 1 (default 0.75)"}
	}
	return need{value: "value"}
}

// row is one assertion being edited.
type row struct {
	typ       string // with "not-" when negated
	value     textinput.Model
	threshold textinput.Model
}

func newRow(c *common.Common, typ string) row {
	n := needsOf(typ)
	r := row{typ: typ, value: c.NewInput("", n.value), threshold: c.NewInput("", n.threshold)}
	r.value.CharLimit, r.threshold.CharLimit = 4000, 40
	return r
}

func rowOf(c *common.Common, a store.Assertion) row {
	r := newRow(c, a.Type)
	switch v := a.Value.(type) {
	case nil:
	case string:
		r.value.SetValue(v)
	case map[string]any:
		n := needsOf(a.Type)
		if n.bounds {
			lo, hasLo := v["min"]
			hi, hasHi := v["max"]
			switch {
			case hasLo && hasHi:
				r.value.SetValue(fmt.Sprintf("%v-%v", lo, hi))
			case hasLo:
				r.value.SetValue(fmt.Sprintf("%v-", lo))
			default:
				r.value.SetValue(fmt.Sprintf("-%v", hi))
			}
			break
		}
		b, _ := json.Marshal(v)
		r.value.SetValue(string(b))
	case []any:
		parts := make([]string, len(v))
		for i, p := range v {
			parts[i] = fmt.Sprint(p)
		}
		r.value.SetValue(strings.Join(parts, ", "))
	default:
		if b, err := json.Marshal(v); err == nil {
			r.value.SetValue(string(b))
		}
	}
	if a.Threshold != nil {
		r.threshold.SetValue(strconv.FormatFloat(*a.Threshold, 'f', -1, 64))
	}
	return r
}

var rangeRE = regexp.MustCompile(`^\s*(\d*)\s*(?:-|\.\.|,)\s*(\d*)\s*$`)

// assertion builds the row's assertion, or says what is wrong with it (as
// the run would, through eval/assert's validation).
func (r row) assertion() (store.Assertion, error) {
	a := store.Assertion{Type: r.typ}
	n := needsOf(r.typ)
	v := strings.TrimSpace(r.value.Value())
	switch {
	case v == "":
	case n.schema:
		var doc any
		if err := json.Unmarshal([]byte(v), &doc); err != nil {
			return a, fmt.Errorf("the schema is not JSON: %v", err)
		}
		a.Value = doc
	case n.bounds:
		if m := rangeRE.FindStringSubmatch(v); m != nil && (m[1] != "" || m[2] != "") {
			b := map[string]any{}
			if m[1] != "" {
				b["min"], _ = strconv.Atoi(m[1])
			}
			if m[2] != "" {
				b["max"], _ = strconv.Atoi(m[2])
			}
			a.Value = b
		} else if k, err := strconv.Atoi(v); err == nil {
			a.Value = k
		} else {
			return a, fmt.Errorf("%s: write a number, or min-max such as 20-120", r.typ)
		}
	default:
		a.Value = v
	}
	if t := strings.TrimSpace(r.threshold.Value()); t != "" {
		f, err := strconv.ParseFloat(t, 64)
		if err != nil {
			return a, fmt.Errorf("%s: the threshold must be a number", r.typ)
		}
		a.Threshold = &f
	}
	return a, assert.Validate(a)
}

// kindDoc is a type's one-line explanation.
func kindDoc(typ string) string {
	name := strings.TrimPrefix(typ, "not-")
	for _, k := range assert.Kinds() {
		if k.Name == name {
			if name != typ {
				return "fails when: " + k.Doc
			}
			return k.Doc
		}
	}
	return ""
}
