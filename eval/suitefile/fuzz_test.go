package suitefile

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzSuiteFile: a suite file in any format, however malformed, is parsed
// or refused with an error, never a panic; a parsed suite writes back and
// reads again.
func FuzzSuiteFile(f *testing.F) {
	for _, s := range []string{
		"tests:\n  - vars: {q: hi}\n    assert:\n      - type: contains\n        value: hi\n",
		"defaultTest:\n  assert: [{type: is-json}]\ntests:\n  - vars: {a: 1}\n",
		"- vars: {x: [1, 2]}\n  assert: [{type: regex, value: '^a+$'}, {type: not-icontains, value: x}]\n",
		`{"tests": [{"vars": {"q": "\ud83d\ude00"}, "assert": [{"type": "is-json", "value": {"type": "object"}}]}]}`,
		"{\"vars\": {\"q\": \"a\"}, \"assert\": [{\"type\": \"equals\", \"value\": \"a\"}]}\n{\"q\": \"b\"}\n",
		"q,__expected,__threshold\nhello,contains:hi,0.5\n\"multi\nline\",regex:^x,\n",
		"\xef\xbb\xbfa,b\n1\n",
	} {
		for ft := range uint8(3) {
			f.Add(ft, []byte(s))
		}
	}
	formats := []Format{YAML, JSONL, CSV}
	f.Fuzz(func(t *testing.T, ft uint8, data []byte) {
		fm := formats[int(ft)%len(formats)]
		su, err := ParseReader(bytes.NewReader(data), fm, Limits{MaxCases: 1000, MaxYAMLBytes: 1 << 20})
		if err != nil {
			return
		}
		for _, out := range formats {
			var b bytes.Buffer
			if err := Write(&b, su, out); err != nil {
				continue
			}
			Parse(b.Bytes(), out)
		}
	})
}

// FuzzExpected parses promptfoo CSV __expected cells: always an assertion,
// and a typed cell is one of promptfoo's types.
func FuzzExpected(f *testing.F) {
	for _, s := range []string{"contains:x", "latency(500)", "grade: polite", "not-icontains-any:a,b", "fn:output.length", "plain", "word-count:3", "is-refusal", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, typed := ParseExpected(s)
		if a.Type == "" {
			t.Fatalf("%q: no type", s)
		}
		if typed == (a.Type == "equals" && a.Value == strings.TrimSpace(s)) && !strings.HasPrefix(strings.TrimSpace(s), "equals") {
			t.Fatalf("%q: typed=%v but %+v", s, typed, a)
		}
	})
}
