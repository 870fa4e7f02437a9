package importer

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// maxFile bounds a file read whole (configs, prompts, vars). Test files in
// CSV and JSONL are streamed instead.
const maxFile = 64 << 20

func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%s: no such file", path)
		}
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s: larger than %d MB: too big to read whole", path, limit>>20)
	}
	return b, nil
}

// decodeAny decodes JSON or YAML into plain values (maps with string keys,
// lists, strings, float64 numbers, bools). YAML alias bombs are refused by
// the YAML library ("excessive aliasing").
func decodeAny(path string, b []byte) (any, error) {
	var v any
	if strings.EqualFold(filepath.Ext(path), ".json") {
		if err := json.Unmarshal(b, &v); err != nil {
			return nil, fmt.Errorf("%s: not valid JSON: %v", path, err)
		}
		return v, nil
	}
	if err := yaml.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("%s: not valid YAML: %s", path, oneLine(strings.TrimPrefix(err.Error(), "yaml: ")))
	}
	return normalize(v)
}

// normalize round-trips a value through JSON: YAML's ints and maps become
// what JSON gives, so values compare and store alike.
func normalize(v any) (any, error) {
	if plainJSON(v) {
		return v, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("a value that JSON cannot hold: %v", err)
	}
	var out any
	err = json.Unmarshal(b, &out)
	return out, err
}

// plainJSON reports whether v already holds only JSON's types (as read
// from CSV or JSON), so normalize has nothing to do.
func plainJSON(v any) bool {
	switch x := v.(type) {
	case nil, string, float64, bool:
		return true
	case map[string]any:
		for _, e := range x {
			if !plainJSON(e) {
				return false
			}
		}
		return true
	case []any:
		for _, e := range x {
			if !plainJSON(e) {
				return false
			}
		}
		return true
	}
	return false
}

func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// refs resolves file:// references relative to the file that holds them,
// confined to the folder of the imported file unless allowed, and refuses
// cycles (a file that references itself through others).
type refs struct {
	root    string // folder of the imported file, absolute
	outside bool
	stack   []string
}

func newRefs(path string, outside bool) (*refs, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	return &refs{root: filepath.Dir(abs), outside: outside, stack: []string{abs}}, nil
}

// resolve turns "file://x" (relative to dir) into a checked absolute path.
func (r *refs) resolve(dir, ref string) (string, error) {
	rel := strings.TrimPrefix(ref, "file://")
	if i := strings.Index(rel, ":"); i > 1 && !filepath.IsAbs(rel) {
		// file://module.py:function names a function in a file.
		rel = rel[:i]
	}
	p := rel
	if !filepath.IsAbs(p) {
		p = filepath.Join(dir, p)
	}
	p = filepath.Clean(p)
	if !r.outside {
		in, err := filepath.Rel(r.root, p)
		if err != nil || in == ".." || strings.HasPrefix(in, ".."+string(filepath.Separator)) {
			return "", &OutsideError{Ref: ref, Root: r.root}
		}
		// A symbolic link inside the folder may lead out of it.
		if real, err := filepath.EvalSymlinks(p); err == nil {
			rootReal, _ := filepath.EvalSymlinks(r.root)
			if in, err := filepath.Rel(rootReal, real); err != nil || in == ".." || strings.HasPrefix(in, ".."+string(filepath.Separator)) {
				return "", &OutsideError{Ref: ref, Root: r.root, Link: true}
			}
		}
	}
	if slices.Contains(r.stack, p) {
		return "", fmt.Errorf("%s: cyclic file:// reference (%s)", ref, strings.Join(append(r.relStack(), filepath.Base(p)), " -> "))
	}
	if _, err := os.Stat(p); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("%s: no such file (%s)", ref, p)
		}
		return "", fmt.Errorf("%s: %v", ref, err)
	}
	return p, nil
}

func (r *refs) relStack() []string {
	out := make([]string, len(r.stack))
	for i, s := range r.stack {
		out[i] = filepath.Base(s)
	}
	return out
}

// enter marks a file as being read (for cycle detection); leave unmarks it.
func (r *refs) enter(p string) { r.stack = append(r.stack, p) }
func (r *refs) leave()         { r.stack = r.stack[:len(r.stack)-1] }

// text reads a referenced text file; a binary file is refused by name.
func (r *refs) text(dir, ref string) (string, string, error) {
	p, err := r.resolve(dir, ref)
	if err != nil {
		return "", "", err
	}
	b, err := readLimited(p, maxFile)
	if err != nil {
		return "", "", err
	}
	if isBinary(b) {
		return "", "", fmt.Errorf("%s is a binary file (%s): Verso sends text only", ref, filepath.Ext(p))
	}
	return string(b), p, nil
}

func isBinary(b []byte) bool {
	head := b
	if len(head) > 8000 {
		head = head[:8000]
	}
	return bytes.IndexByte(head, 0) >= 0 || !utf8.Valid(head) && !utf8.Valid(b)
}

// jsTrim trims s as JavaScript's String.prototype.trim does (promptfoo
// trims the text of a file:// var): Unicode white space and line
// terminators and the byte order mark, but not U+0085.
func jsTrim(s string) string {
	return strings.TrimFunc(s, func(r rune) bool {
		return r == '\uFEFF' || r != '\u0085' && unicode.IsSpace(r)
	})
}

// yamlAsJSON is a YAML document as promptfoo passes a file://*.yaml var:
// JSON.stringify of the parsed document, so keys keep the document's order
// (integer keys first, as in a JavaScript object), no spaces, and dates as
// ISO strings with milliseconds.
func yamlAsJSON(path string, b []byte) (string, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return "", fmt.Errorf("%s: not valid YAML: %s", path, oneLine(strings.TrimPrefix(err.Error(), "yaml: ")))
	}
	var out bytes.Buffer
	if err := writeJSValue(&out, &doc, 0); err != nil {
		return "", fmt.Errorf("%s: %v", path, err)
	}
	return out.String(), nil
}

func writeJSValue(w *bytes.Buffer, n *yaml.Node, depth int) error {
	if depth > 1000 {
		return errors.New("nested too deeply")
	}
	switch n.Kind {
	case 0:
		return nil // an empty document
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil
		}
		return writeJSValue(w, n.Content[0], depth+1)
	case yaml.AliasNode:
		return writeJSValue(w, n.Alias, depth+1)
	case yaml.SequenceNode:
		w.WriteByte('[')
		for i, e := range n.Content {
			if i > 0 {
				w.WriteByte(',')
			}
			if err := writeJSValue(w, e, depth+1); err != nil {
				return err
			}
		}
		w.WriteByte(']')
		return nil
	case yaml.MappingNode:
		keys, vals, err := jsPairs(n, depth)
		if err != nil {
			return err
		}
		w.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				w.WriteByte(',')
			}
			writeJSString(w, k)
			w.WriteByte(':')
			if err := writeJSValue(w, vals[k], depth+1); err != nil {
				return err
			}
		}
		w.WriteByte('}')
		return nil
	}
	var v any
	if err := n.Decode(&v); err != nil {
		return err
	}
	switch x := v.(type) {
	case nil:
		w.WriteString("null")
	case string:
		writeJSString(w, x)
	case bool:
		w.WriteString(strconv.FormatBool(x))
	case time.Time:
		writeJSString(w, x.UTC().Format("2006-01-02T15:04:05.000Z"))
	case int, int64, uint64:
		fmt.Fprint(w, x)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			w.WriteString("null")
			return nil
		}
		b, _ := json.Marshal(x) // encoding/json formats numbers as ECMAScript does
		w.Write(b)
	default:
		writeJSString(w, n.Value)
	}
	return nil
}

// jsPairs is a mapping's keys in a JavaScript object's order (keys that are
// array indices first, ascending; then the others as written; a repeated
// key keeps its first place and last value) with merge keys (<<) applied.
func jsPairs(n *yaml.Node, depth int) ([]string, map[string]*yaml.Node, error) {
	vals := map[string]*yaml.Node{}
	var order []string
	set := func(k string, v *yaml.Node, override bool) {
		if _, ok := vals[k]; !ok {
			order = append(order, k)
		} else if !override {
			return
		}
		vals[k] = v
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Tag == "!!merge" {
			srcs := []*yaml.Node{v}
			if v.Kind == yaml.SequenceNode {
				srcs = v.Content
			}
			for _, s := range srcs {
				for s.Kind == yaml.AliasNode {
					s = s.Alias
				}
				if s.Kind != yaml.MappingNode {
					return nil, nil, errors.New("a merge key (<<) needs a mapping")
				}
				ks, vs, err := jsPairs(s, depth+1)
				if err != nil {
					return nil, nil, err
				}
				for _, mk := range ks {
					set(mk, vs[mk], false)
				}
			}
			continue
		}
		for k.Kind == yaml.AliasNode {
			k = k.Alias
		}
		set(k.Value, v, true)
	}
	var idx, rest []string
	for _, k := range order {
		if u, err := strconv.ParseUint(k, 10, 32); err == nil && u < math.MaxUint32 && strconv.FormatUint(u, 10) == k {
			idx = append(idx, k)
		} else {
			rest = append(rest, k)
		}
	}
	slices.SortFunc(idx, func(a, b string) int {
		x, _ := strconv.ParseUint(a, 10, 32)
		y, _ := strconv.ParseUint(b, 10, 32)
		return cmp.Compare(x, y)
	})
	return append(idx, rest...), vals, nil
}

// writeJSString writes s as JSON.stringify does: only quotes, backslashes
// and control characters are escaped (not <, > or &, nor U+2028/U+2029).
func writeJSString(w *bytes.Buffer, s string) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	out := strings.TrimSuffix(b.String(), "\n")
	out = strings.NewReplacer(`\u2028`, "\u2028", `\u2029`, "\u2029").Replace(out)
	w.WriteString(out)
}
