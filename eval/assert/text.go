package assert

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// refusalPhrases start or make up a refusal (matched lower-case, with
// straight apostrophes).
var refusalPhrases = []string{
	"i'm sorry, but i can't", "i am sorry, but i cannot", "i'm sorry, i can't", "i cannot help", "i can't help",
	"i cannot assist", "i can't assist", "i cannot provide", "i can't provide", "i cannot comply", "i can't comply",
	"i won't be able to", "i will not be able to", "i am unable to", "i'm unable to", "i'm not able to", "i am not able to",
	"i must decline", "i cannot fulfill", "i can't fulfill", "i cannot do that", "i can't do that",
	"as an ai", "as a language model", "i'm not allowed to", "i am not allowed to", "it would be inappropriate",
	"against my guidelines", "i cannot answer", "i can't answer", "i apologize, but i can", "i'm afraid i can't",
}

func checkRefusal(_ context.Context, c Call) (bool, float64, string) {
	o := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(c.Input.Output), "’", "'"))
	if o == "" {
		return true, 1, "the output is empty (a refusal)"
	}
	for _, p := range refusalPhrases {
		if strings.Contains(o, p) {
			return true, 1, fmt.Sprintf("the output refuses (%q)", p)
		}
	}
	return false, 0, "the output does not refuse"
}

// xmlRequired reads is-xml's value: element paths ("root.child") that must
// exist, as a comma-separated string, a list or {requiredElements: [...]}.
func xmlRequired(v any) ([]string, error) {
	if m, ok := v.(map[string]any); ok {
		for k := range m {
			if k != "requiredElements" {
				return nil, fmt.Errorf("unknown key %q (use requiredElements)", k)
			}
		}
		v = m["requiredElements"]
	}
	return toList(v), nil
}

func validateXML(v Validation) error {
	if _, err := xmlRequired(v.Value); err != nil {
		return fmt.Errorf("%s: %v", v.Type, err)
	}
	return nil
}

// xmlDoc checks that s is one well-formed XML element and returns the
// paths of its elements ("root", "root.child", ...).
func xmlDoc(s string) (map[string]bool, error) {
	d := xml.NewDecoder(strings.NewReader(s))
	d.Strict = true
	paths := map[string]bool{}
	var stack []string
	roots := 0
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(stack) == 0 {
				roots++
			}
			stack = append(stack, t.Name.Local)
			paths[strings.Join(stack, ".")] = true
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) == 0 && strings.TrimSpace(string(t)) != "" {
				return nil, errors.New("text outside the root element")
			}
		}
	}
	if roots != 1 {
		return nil, fmt.Errorf("%d root elements (want one)", roots)
	}
	return paths, nil
}

func xmlVerdict(c Call, paths map[string]bool) (bool, float64, string) {
	req, _ := xmlRequired(c.Value)
	var missing []string
	for _, r := range req {
		if !paths[r] {
			missing = append(missing, r)
		}
	}
	if len(missing) > 0 {
		return false, 0, fmt.Sprintf("XML lacks %s", strings.Join(missing, ", "))
	}
	return true, 1, "the output is well-formed XML"
}

func checkIsXML(_ context.Context, c Call) (bool, float64, string) {
	paths, err := xmlDoc(stripFence(c.Input.Output))
	if err != nil {
		return false, 0, "the output is not XML: " + oneLine(err.Error())
	}
	return xmlVerdict(c, paths)
}

// checkContainsXML finds an XML element inside the text: from each "<"
// that opens an element, the longest well-formed span.
func checkContainsXML(_ context.Context, c Call) (bool, float64, string) {
	o := c.Input.Output
	last := "the output contains no XML element"
	for i := 0; i < len(o); i++ {
		if o[i] != '<' || i+1 >= len(o) || !(unicode.IsLetter(rune(o[i+1])) || o[i+1] == '_') {
			continue
		}
		for j := len(o); j > i; j-- {
			if o[j-1] != '>' {
				continue
			}
			paths, err := xmlDoc(o[i:j])
			if err != nil {
				continue
			}
			ok, score, reason := xmlVerdict(c, paths)
			if ok {
				return ok, score, "the output contains well-formed XML"
			}
			last = reason
		}
	}
	return false, 0, last
}

// checkRouge is promptfoo's rouge-n: the ROUGE-1 F-measure of the output
// against the reference (the value, or the expected output). Passes at the
// threshold (default 0.75).
func checkRouge(_ context.Context, c Call) (bool, float64, string) {
	ref := toString(c.Value)
	if ref == "" {
		ref = c.Input.Expected
	}
	if ref == "" {
		return false, 0, "rouge-n needs a reference text as its value"
	}
	score := rouge1(strings.ToLower(c.Input.Output), strings.ToLower(ref))
	limit := 0.75
	if c.Assertion.Threshold != nil {
		limit = *c.Assertion.Threshold
	}
	return score >= limit, score, fmt.Sprintf("ROUGE-1 F-measure %.2f (min %g)", score, limit)
}

// rouge1 is promptfoo's rouge-n score: the F-measure (beta 1) of the
// unigrams the candidate shares with the reference, both split into Penn
// Treebank tokens (punctuation is a token, so a chatty output scores low).
func rouge1(candidate, reference string) float64 {
	ct, rt := treebankTokens(candidate), treebankTokens(reference)
	if len(ct) == 0 || len(rt) == 0 {
		return 0
	}
	refCount := map[string]int{}
	for _, w := range rt {
		refCount[w]++
	}
	overlap := 0
	for _, w := range ct {
		if refCount[w] > 0 {
			refCount[w]--
			overlap++
		}
	}
	if overlap == 0 {
		return 0
	}
	p, r := float64(overlap)/float64(len(ct)), float64(overlap)/float64(len(rt))
	return 2 * p * r / (p + r)
}

var (
	reTBSpace     = regexp.MustCompile(`[\s\x{85}]+`)
	reTBEllipsis  = regexp.MustCompile(`\.\.\.`)
	reTBSymbol    = regexp.MustCompile(`[;@#$%&?!\[\](){}<>]|--`)
	reTBFinalDot  = regexp.MustCompile(`([^.])(\.)([\])}>'\s]*)$`)
	reTBAcronym   = regexp.MustCompile(`\b[A-Za-z]\.[A-Za-z]$`)
	reTBQuoteEnd  = regexp.MustCompile(`([^'])' `)
	reTBClitic    = regexp.MustCompile(`'([sSmMdD]) `)
	reTBClitic2   = regexp.MustCompile(`('ll|'LL|'re|'RE|'ve|'VE|n't|N'T) `)
	reTBSpaces    = regexp.MustCompile(` {2,}`)
	tbContraction = [][2]string{{"can", "not"}, {"d", "'ye"}, {"gim", "me"}, {"gon", "na"}, {"got", "ta"}, {"lem", "me"}, {"more", "'n"}, {"wan", "na"}, {"'t", "is"}, {"'t", "was"}}
)

// treebankQuotes turns each double quote ("", “ or ”) into an opening
// “ or a closing ” token, by where it stands: a quote opens after the
// start, a space or punctuation, when no quote is open and no sentence
// just ended.
func treebankQuotes(text string) string {
	var b strings.Builder
	inside := false
	for i := 0; i < len(text); {
		q := ""
		switch {
		case strings.HasPrefix(text[i:], "``"), strings.HasPrefix(text[i:], "''"):
			q = text[i : i+2]
		case text[i] == '"':
			q = `"`
		}
		if q == "" {
			b.WriteByte(text[i])
			i++
			continue
		}
		prev, _ := utf8.DecodeLastRuneInString(text[:i])
		if q == "``" {
			inside = true
		} else {
			canOpen := i+len(q) < len(text) || i == 0 || unicode.IsSpace(prev) || unicode.Is(unicode.Ps, prev) || prev == '<'
			context := i == 0 || unicode.IsSpace(prev) || unicode.IsPunct(prev) || prev == '<' || i >= 2 && text[i-2:i] == "``"
			kind := q == `"`
			if q == "''" && i > 0 {
				next, _ := utf8.DecodeRuneInString(text[i+2:])
				rest := text[i+2:]
				first := ""
				for j := 0; j < len(rest); j++ {
					if strings.HasPrefix(rest[j:], "``") || strings.HasPrefix(rest[j:], "''") {
						first = rest[j : j+2]
						break
					}
					if rest[j] == '"' {
						first = `"`
						break
					}
				}
				kind = (unicode.IsLetter(next) || unicode.IsNumber(next) || unicode.Is(unicode.Sc, next) || unicode.Is(unicode.Ps, next)) && first == "''"
			}
			inside = canOpen && !inside && context && !strings.ContainsRune(".!?", prev) && kind
		}
		if inside {
			b.WriteString(" `` ")
		} else {
			b.WriteString(" '' ")
		}
		i += len(q)
	}
	return b.String()
}

// treebankTokens splits text into tokens by the Penn Treebank conventions,
// as promptfoo's ROUGE library does: punctuation apart (a period only at
// the end), clitics apart ("do n't", "it 's"), double quotes as “ and ”.
func treebankTokens(text string) []string {
	text = strings.TrimSpace(reTBSpace.ReplaceAllString(text, " "))
	if text == "" {
		return nil
	}
	s := reTBEllipsis.ReplaceAllString(treebankQuotes(text), " ... ")
	// A colon or comma is apart unless a digit follows (1,000 and 10:30
	// stay whole).
	var c strings.Builder
	for i := 0; i < len(s); i++ {
		if (s[i] == ':' || s[i] == ',') && !(i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9') {
			c.WriteString(" " + s[i:i+1] + " ")
			continue
		}
		c.WriteByte(s[i])
	}
	s = reTBSymbol.ReplaceAllString(c.String(), " $0 ")
	if m := reTBFinalDot.FindStringSubmatchIndex(s); m != nil && !reTBAcronym.MatchString(s[:m[4]]) {
		s = s[:m[3]] + " " + s[m[4]:m[5]] + s[m[6]:m[7]] + " "
	}
	s = " " + s + " "
	s = reTBQuoteEnd.ReplaceAllString(s, "$1 ' ")
	s = reTBClitic.ReplaceAllString(s, " '$1 ")
	s = reTBClitic2.ReplaceAllString(s, " $1 ")
	words := strings.Fields(reTBSpaces.ReplaceAllString(s, " "))
	var out []string
	for _, w := range words {
		split := false
		for _, ct := range tbContraction {
			if strings.EqualFold(w, ct[0]+ct[1]) {
				out = append(out, w[:len(ct[0])], w[len(ct[0]):])
				split = true
				break
			}
		}
		if !split {
			out = append(out, w)
		}
	}
	return out
}

// toolCalls reads the tool calls of an output in OpenAI's shape (a list,
// or {content, tool_calls}; see the README).
func toolCalls(out string) ([]map[string]any, bool) {
	s := stripFence(out)
	var list []map[string]any
	if json.Unmarshal([]byte(s), &list) == nil {
		return list, true
	}
	var obj struct {
		ToolCalls []map[string]any `json:"tool_calls"`
	}
	if json.Unmarshal([]byte(s), &obj) == nil && obj.ToolCalls != nil {
		return obj.ToolCalls, true
	}
	return nil, false
}

func callName(tc map[string]any) (name string, args any) {
	f, _ := tc["function"].(map[string]any)
	if f == nil {
		f = tc
	}
	name, _ = f["name"].(string)
	return name, f["arguments"]
}

// checkToolsCall: every tool call names a tool of the version's config and
// its arguments are JSON matching that tool's parameters.
func checkToolsCall(_ context.Context, c Call) (bool, float64, string) {
	calls, ok := toolCalls(c.Input.Output)
	if !ok || len(calls) == 0 {
		return false, 0, "the output holds no tool calls"
	}
	tools := c.Input.Tools
	if l := toolList(c.Value); l != nil {
		tools = l
	}
	if len(tools) == 0 {
		return false, 0, "no tools to check against: the version's config has none and the value gives none"
	}
	params := map[string]any{}
	for _, t := range tools {
		m, _ := t.(map[string]any)
		f, _ := m["function"].(map[string]any)
		if f == nil {
			f = m
		}
		if n, _ := f["name"].(string); n != "" {
			params[n] = f["parameters"]
		}
	}
	for _, tc := range calls {
		name, args := callName(tc)
		schema, known := params[name]
		if !known {
			return false, 0, fmt.Sprintf("call to %q, which is not one of the tools", name)
		}
		raw, isString := args.(string)
		if !isString {
			b, _ := json.Marshal(args)
			raw = string(b)
		}
		var doc any
		if err := json.Unmarshal([]byte(raw), &doc); err != nil {
			return false, 0, fmt.Sprintf("%s: arguments are not JSON", name)
		}
		if schema != nil {
			if ok, _, reason := validateSchema(schema, []byte(raw)); !ok {
				return false, 0, name + ": " + reason
			}
		}
	}
	return true, 1, fmt.Sprintf("%d valid tool calls", len(calls))
}

func toolList(v any) []any {
	if l, ok := v.([]any); ok && len(l) > 0 {
		if _, isObj := l[0].(map[string]any); isObj {
			return l
		}
	}
	return nil
}

func validateF1(v Validation) error {
	if len(toList(v.Value)) == 0 {
		return errors.New("tool-call-f1 needs the expected tool names as its value")
	}
	return nil
}

// checkToolF1 is the F1 score of the called tools' names against the
// expected ones; it passes at the threshold (default 1: exactly those).
func checkToolF1(_ context.Context, c Call) (bool, float64, string) {
	want := map[string]bool{}
	for _, n := range toList(c.Value) {
		want[n] = true
	}
	calls, _ := toolCalls(c.Input.Output)
	got := map[string]bool{}
	for _, tc := range calls {
		if n, _ := callName(tc); n != "" {
			got[n] = true
		}
	}
	hit := 0
	for n := range got {
		if want[n] {
			hit++
		}
	}
	f1 := 0.0
	if len(got)+len(want) > 0 {
		f1 = 2 * float64(hit) / float64(len(got)+len(want))
	}
	limit := 1.0
	if c.Assertion.Threshold != nil {
		limit = *c.Assertion.Threshold
	}
	return f1 >= limit-1e-9, f1, fmt.Sprintf("tool-call F1 %.2f (min %g; called %d of %d expected, %d others)", f1, limit, hit, len(want), len(got)-hit)
}

func checkFinishReason(_ context.Context, c Call) (bool, float64, string) {
	want := strings.ToLower(toString(c.Value))
	got := strings.ToLower(c.Input.FinishReason)
	if got == "" {
		return false, 0, "the model gave no finish reason"
	}
	ok := got == want || want == "length" && got == "max_tokens" || want == "tool_calls" && got == "function_call"
	return ok, b2f(ok), fmt.Sprintf("finish reason %q (want %q)", got, want)
}
