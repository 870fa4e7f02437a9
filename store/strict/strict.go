// Package strict decodes the JSON and YAML files people hand to Verso
// (exports, suites, chat messages, model configs) by one set of rules:
//
//   - the text must be valid UTF-8;
//   - a key the target type does not know is refused by name (keys are
//     case-sensitive: "Prompts" is not "prompts");
//   - a key that appears twice in one object is refused by name;
//   - there is exactly one document;
//   - the error is one line and complete (every problem YAML reports, the
//     line and the JSON path), never cut after its first line.
//
// JSON goes through github.com/go-json-experiment/json (the encoding/json v2
// design), which decodes surrogate-pair escapes such as "\ud83d\ude00" (what
// Python's json module writes for emoji) and rejects duplicate names. YAML
// goes through go.yaml.in/yaml/v3 with known fields enforced.
package strict

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"unicode/utf8"

	json "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"go.yaml.in/yaml/v3"
)

// IsJSON reports whether a file is JSON: by its extension (.json), else, for
// stdin or an unknown extension, by its content (an object or a list that
// parses as JSON).
// YAML files (.yaml, .yml) are never JSON.
func IsJSON(name string, data []byte) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".json":
		return true
	case ".yaml", ".yml":
		return false
	}
	// Flow-style YAML starts with '{' or '[' too: it is JSON only if it
	// parses as JSON (duplicates and bad UTF-8 are refused later, by name).
	t := bytes.TrimSpace(data)
	return len(t) > 0 && (t[0] == '{' || t[0] == '[') &&
		jsontext.Value(t).IsValid(jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
}

// Decode decodes data into v as JSON or YAML (see IsJSON).
func Decode(name string, data []byte, v any) error {
	if IsJSON(name, data) {
		return JSON(data, v)
	}
	return YAML(data, v)
}

// JSON decodes one JSON value into v under the package rules.
func JSON(data []byte, v any) error {
	if err := checkUTF8(data); err != nil {
		return err
	}
	err := json.Unmarshal(data, v, json.RejectUnknownMembers(true))
	if err == nil {
		return nil
	}
	return errors.New(jsonMessage(data, err))
}

func jsonMessage(data []byte, err error) string {
	var se *json.SemanticError
	var sy *jsontext.SyntacticError
	switch {
	case errors.As(err, &se) && errors.Is(se.Err, json.ErrUnknownName):
		key := se.JSONPointer.LastToken()
		return fmt.Sprintf("unknown key %q%s%s: remove it or fix its spelling (keys are case-sensitive)", key, at(se.JSONPointer.Parent()), line(data, se.ByteOffset))
	case errors.As(err, &sy) && errors.Is(sy.Err, jsontext.ErrDuplicateName):
		key := sy.JSONPointer.LastToken()
		return fmt.Sprintf("key %q appears twice in one object%s%s: keep one", key, at(sy.JSONPointer.Parent()), line(data, sy.ByteOffset))
	case errors.As(err, &se):
		what := "value"
		if se.JSONKind != 0 {
			what = "JSON " + se.JSONKind.String()
		}
		msg := fmt.Sprintf("cannot use a %s%s%s", what, at(se.JSONPointer), line(data, se.ByteOffset))
		if se.GoType != nil {
			msg += ": expected " + goKind(se.GoType.Kind().String())
		}
		if se.Err != nil {
			msg += ": " + oneLine(se.Err.Error())
		}
		return msg
	case errors.As(err, &sy):
		msg := "invalid JSON" + at(sy.JSONPointer) + line(data, sy.ByteOffset)
		if sy.Err != nil {
			msg += ": " + oneLine(sy.Err.Error())
		}
		return msg
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "invalid JSON: the text ends in the middle of a value"
	}
	return "invalid JSON: " + oneLine(strings.TrimPrefix(err.Error(), "json: "))
}

func goKind(k string) string {
	switch k {
	case "struct", "map":
		return "an object"
	case "slice", "array":
		return "a list"
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "interface":
		return "a value"
	}
	return "a number"
}

// at names a JSON pointer ("" for the top level).
func at(p jsontext.Pointer) string {
	if p == "" {
		return " at the top level"
	}
	return " at " + string(p)
}

// line names the line of a byte offset (1-based), when known.
func line(data []byte, off int64) string {
	if off <= 0 || off > int64(len(data)) {
		return ""
	}
	return fmt.Sprintf(" (line %d)", bytes.Count(data[:off], []byte("\n"))+1)
}

// YAML decodes one YAML document into v under the package rules.
func YAML(data []byte, v any) error {
	if err := checkUTF8(data); err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	err := dec.Decode(v)
	if errors.Is(err, io.EOF) {
		return nil // an empty document: v keeps its zero value
	}
	if err != nil {
		return errors.New(YAMLMessage(err))
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return fmt.Errorf("more than one YAML document (a second '---' at line %d): keep one", extra.Line)
	} else if !errors.Is(err, io.EOF) {
		return errors.New(YAMLMessage(err))
	}
	return nil
}

// YAMLMessage is a YAML error on one line with every problem it lists
// ("line 3: field x not found in type ...; line 7: ..."), Go type names
// replaced by plain words.
func YAMLMessage(err error) string {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		parts := make([]string, len(te.Errors))
		for i, e := range te.Errors {
			parts[i] = plainYAML(e)
		}
		return strings.Join(parts, "; ")
	}
	return plainYAML(strings.TrimPrefix(err.Error(), "yaml: "))
}

func plainYAML(s string) string {
	s = oneLine(s)
	// "field foo not found in type store.ExportPrompt" -> "unknown key "foo""
	if i := strings.Index(s, "field "); i >= 0 {
		if j := strings.Index(s[i:], " not found in type "); j >= 0 {
			key := s[i+len("field ") : i+j]
			return s[:i] + fmt.Sprintf("unknown key %q: remove it or fix its spelling (keys are case-sensitive)", key)
		}
	}
	if i := strings.Index(s, " already defined at line "); i >= 0 && strings.Contains(s, "mapping key ") {
		return strings.Replace(s, "mapping key ", "key ", 1) + ": keep one"
	}
	return s
}

// oneLine joins a multi-line message into one line.
func oneLine(s string) string {
	f := strings.FieldsFunc(strings.TrimSpace(s), func(r rune) bool { return r == '\n' || r == '\r' })
	for i := range f {
		f[i] = strings.TrimSpace(f[i])
	}
	return strings.Join(f, "; ")
}

// checkUTF8 refuses bytes that are not UTF-8, naming the line.
func checkUTF8(data []byte) error {
	if utf8.Valid(data) {
		return nil
	}
	off := 0
	for off < len(data) {
		r, size := utf8.DecodeRune(data[off:])
		if r == utf8.RuneError && size == 1 {
			break
		}
		off += size
	}
	return fmt.Errorf("not valid UTF-8 (bad byte 0x%02x at line %d): save the file as UTF-8", data[off], bytes.Count(data[:off], []byte("\n"))+1)
}
