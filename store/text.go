package store

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"
)

// validUTF8 refuses a string that is not valid UTF-8, naming the field and
// the byte offset. Text is stored exactly and exported as JSON, which
// cannot carry invalid bytes: accepting them would make every export and
// re-import a different version (U+FFFD in place of the bytes).
func validUTF8(field, s string) error {
	if utf8.ValidString(s) {
		return nil
	}
	off := 0
	for off < len(s) {
		r, size := utf8.DecodeRuneInString(s[off:])
		if r == utf8.RuneError && size == 1 {
			break
		}
		off += size
	}
	return fmt.Errorf("%s is not valid UTF-8 (bad byte 0x%02x at byte %d): save it as UTF-8: %w", field, s[off], off, ErrInvalid)
}

// validUTF8Value checks every string (keys included) of a decoded JSON or
// YAML value.
func validUTF8Value(field string, v any) error {
	switch x := v.(type) {
	case string:
		return validUTF8(field, x)
	case []any:
		for i, e := range x {
			if err := validUTF8Value(fmt.Sprintf("%s[%d]", field, i), e); err != nil {
				return err
			}
		}
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if err := validUTF8(field+" key", k); err != nil {
				return err
			}
			if err := validUTF8Value(field+"."+k, x[k]); err != nil {
				return err
			}
		}
	case []string:
		for i, e := range x {
			if err := validUTF8(fmt.Sprintf("%s[%d]", field, i), e); err != nil {
				return err
			}
		}
	}
	return nil
}

// validUTF8Config checks the text of a model config.
func validUTF8Config(c Config) error {
	if err := validUTF8("model", c.Model); err != nil {
		return err
	}
	if err := validUTF8Value("stop", c.Stop); err != nil {
		return err
	}
	if err := validUTF8Value("response_format", c.ResponseFormat); err != nil {
		return err
	}
	return validUTF8Value("tools", c.Tools)
}

// oneLine joins a multi-line message into one line ("a; b"): every part is
// kept.
func oneLine(s string) string {
	f := strings.FieldsFunc(strings.TrimSpace(s), func(r rune) bool { return r == '\n' || r == '\r' })
	for i := range f {
		f[i] = strings.TrimSpace(f[i])
	}
	return strings.Join(f, "; ")
}
