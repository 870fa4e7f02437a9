package modelserver

import (
	"bytes"
	"encoding/json"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

var (
	reQuotedKey   = regexp.MustCompile(`"([a-zA-Z_][a-zA-Z0-9_]*)"\s*:`)
	reTickField   = regexp.MustCompile("`([a-z_][a-z0-9_]*)`")
	reFieldList   = regexp.MustCompile(`(?i)(?:fields|keys|properties)\s*(?::|-)?\s*((?:[a-z][a-z0-9_]*\s*(?:,|and|,\s*and)\s*)+[a-z][a-z0-9_]*)`)
	reExtractList = regexp.MustCompile(`(?i)(?:extract|return|give|with|include)(?: the)?(?: fields?| keys?)?\s*:?\s*((?:[a-z][a-z0-9_]*\s*(?:,|and|,\s*and)\s*)+[a-z][a-z0-9_]*)`)
	reSnake       = regexp.MustCompile(`\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b`)
	reFieldSep    = regexp.MustCompile(`\s*(?:,\s*and|,|\band\b)\s*`)
	reInvoiceNo   = regexp.MustCompile(`(?i)invoice\s*(?:no\.?|number|num|#|id)?\s*[:#]?\s*([A-Z0-9][A-Z0-9-]*\d[A-Z0-9-]*)`)
	reDocID       = regexp.MustCompile(`\b[A-Z]{2,5}-\d{2,}(?:-\d+)?\b`)
	reHashNo      = regexp.MustCompile(`#\s*([A-Z0-9-]*\d+)`)
	reMoney       = regexp.MustCompile(`(?:([$€£])\s?|\b(USD|EUR|GBP)\s?)?(\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?|\d+\.\d{2}|\d+)(?:\s?(USD|EUR|GBP))?`)
	reDate        = regexp.MustCompile(`(?i)\b(\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{4}|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? \d{1,2},? \d{4}|\d{1,2} (?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]* \d{4})\b`)
	reEmail       = regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}`)
	reOrderNo     = regexp.MustCompile(`(?i)order\s*(?:number|no\.?|#|id)?\s*[:#]?\s*([A-Z]*-?\d{3,}[A-Z0-9-]*)`)
	monthNumbers  = map[string]string{"jan": "01", "feb": "02", "mar": "03", "apr": "04", "may": "05", "jun": "06", "jul": "07", "aug": "08", "sep": "09", "oct": "10", "nov": "11", "dec": "12"}
)

// schemaInfo is what the brain reads from a JSON schema: the fields in the
// order they are written and their types.
type schemaInfo struct {
	fields []string
	types  map[string]string
}

func parseSchema(raw []byte) schemaInfo {
	si := schemaInfo{types: map[string]string{}}
	if len(raw) == 0 {
		return si
	}
	var s struct {
		Properties map[string]struct {
			Type any `json:"type"`
		} `json:"properties"`
	}
	if json.Unmarshal(raw, &s) != nil {
		return si
	}
	for k, p := range s.Properties {
		si.fields = append(si.fields, k)
		switch ty := p.Type.(type) {
		case string:
			si.types[k] = ty
		case []any:
			for _, x := range ty {
				if xs, ok := x.(string); ok && xs != "null" {
					si.types[k] = xs
					break
				}
			}
		}
	}
	// Order as written in the schema text.
	sort.Slice(si.fields, func(i, j int) bool {
		return bytes.Index(raw, []byte(`"`+si.fields[i]+`"`)) < bytes.Index(raw, []byte(`"`+si.fields[j]+`"`))
	})
	return si
}

// schemaFromText finds a JSON schema written into the prompt (an object with
// "properties").
func schemaFromText(s string) []byte {
	i := strings.Index(s, `"properties"`)
	if i < 0 {
		return nil
	}
	start := strings.LastIndex(s[:i], "{")
	for tries := 0; start >= 0 && tries < 20; tries++ {
		dec := json.NewDecoder(strings.NewReader(s[start:]))
		var v map[string]any
		if dec.Decode(&v) == nil {
			if _, ok := v["properties"]; ok {
				return []byte(s[start : start+int(dec.InputOffset())])
			}
		}
		start = strings.LastIndex(s[:start], "{")
	}
	return nil
}

// fields finds the JSON fields the prompt asks for.
func (t *task) fields() schemaInfo {
	si := parseSchema(t.in.Schema)
	if len(si.fields) > 0 {
		return si
	}
	if raw := schemaFromText(t.insRaw); raw != nil {
		if si = parseSchema(raw); len(si.fields) > 0 {
			return si
		}
	}
	seen := map[string]bool{}
	add := func(f string) {
		f = strings.ToLower(f)
		if !seen[f] && f != "json" && f != "type" && f != "properties" {
			seen[f] = true
			si.fields = append(si.fields, f)
		}
	}
	for _, m := range reQuotedKey.FindAllStringSubmatch(t.insRaw, -1) {
		add(m[1])
	}
	if len(si.fields) == 0 {
		for _, m := range reFieldList.FindAllStringSubmatch(t.insRaw, -1) {
			for _, f := range reFieldSep.Split(m[1], -1) {
				if f != "" {
					add(f)
				}
			}
		}
	}
	if len(si.fields) == 0 {
		// "Extract invoice_number, total and due_date": a list holding at
		// least one snake_case name is a field list.
		for _, m := range reExtractList.FindAllStringSubmatch(t.insRaw, -1) {
			if !reSnake.MatchString(m[1]) {
				continue
			}
			for _, f := range reFieldSep.Split(m[1], -1) {
				if f != "" {
					add(f)
				}
			}
		}
	}
	if len(si.fields) == 0 {
		for _, m := range reTickField.FindAllStringSubmatch(t.insRaw, -1) {
			add(m[1])
		}
	}
	return si
}

// numbersAsNumbers: told to give amounts as numbers.
func (t *task) numbersAsNumbers() bool {
	return t.has("as a number", "as numbers", "numeric", "number without", "without currency", "without the currency", "plain number", "as a float", "as a decimal")
}

func (t *task) isoDates() bool {
	return t.has("yyyy-mm-dd") || t.large && t.has("iso 8601", "iso-8601", "iso format", "iso date")
}

// jsonReply builds a JSON object with the requested fields extracted from
// the input, raw or wrapped in prose depending on the instructions.
func (t *task) jsonReply() string {
	si := t.fields()
	if len(si.fields) == 0 {
		if labels := t.labels(); len(labels) > 0 {
			si.fields = []string{"label"}
		} else {
			si.fields = []string{"summary"}
		}
	}
	var b bytes.Buffer
	b.WriteString("{\n")
	for i, f := range si.fields {
		v := t.fieldValue(f, si.types[f])
		raw, _ := json.Marshal(v)
		b.WriteString("  ")
		k, _ := json.Marshal(f)
		b.Write(k)
		b.WriteString(": ")
		b.Write(raw)
		if i < len(si.fields)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString("}")
	obj := b.String()
	switch {
	case t.in.JSON:
		return obj
	case t.only() && (t.large || t.has("no markdown", "no code fence", "without code fence", "no backticks", "raw json", "not wrap", "don't wrap", "do not wrap")):
		return obj
	case t.only():
		return "```json\n" + obj + "\n```"
	}
	return t.pick("Here is the extracted information:\n\n", "Sure! Here's the data in JSON format:\n\n") + "```json\n" + obj + "\n```" +
		"\n\nLet me know if you need any other fields extracted."
}

func (t *task) fieldValue(f, typ string) any {
	name := strings.ToLower(f)
	text := t.input
	num := typ == "number" || typ == "integer" || (typ == "" && t.numbersAsNumbers())
	money := func(v string) any {
		if v == "" {
			return nil
		}
		if num {
			n, err := strconv.ParseFloat(strings.NewReplacer(",", "", "$", "", "€", "", "£", "", " ", "", "USD", "", "EUR", "", "GBP", "").Replace(v), 64)
			if err == nil {
				return n
			}
		}
		return v
	}
	switch {
	case strings.Contains(name, "invoice") && (strings.Contains(name, "number") || strings.Contains(name, "id") || strings.Contains(name, "no")) || name == "number" || name == "id":
		if m := reInvoiceNo.FindStringSubmatch(text); m != nil {
			return m[1]
		}
		if m := reHashNo.FindStringSubmatch(text); m != nil {
			return m[1]
		}
		if m := reDocID.FindString(text); m != "" {
			return m
		}
		return nil
	case strings.Contains(name, "order"):
		if m := reOrderNo.FindStringSubmatch(text); m != nil {
			return m[1]
		}
		return nil
	case strings.Contains(name, "currency"):
		switch {
		case strings.Contains(text, "€") || strings.Contains(text, "EUR"):
			return "EUR"
		case strings.Contains(text, "£") || strings.Contains(text, "GBP"):
			return "GBP"
		case strings.Contains(text, "$") || strings.Contains(text, "USD"):
			return "USD"
		}
		return nil
	case strings.Contains(name, "subtotal"):
		return money(moneyOnLine(text, "subtotal"))
	case strings.Contains(name, "tax") || strings.Contains(name, "vat"):
		v := moneyOnLine(text, "tax")
		if v == "" {
			v = moneyOnLine(text, "vat")
		}
		return money(v)
	case strings.Contains(name, "total") || strings.Contains(name, "amount") || strings.Contains(name, "balance"):
		for _, key := range []string{"total due", "amount due", "balance due", "grand total", "total"} {
			if v := moneyOnLine(text, key); v != "" {
				return money(v)
			}
		}
		return nil
	case strings.Contains(name, "date"):
		return t.dateValue(text, name)
	case strings.Contains(name, "email"):
		return reEmail.FindString(text)
	case strings.Contains(name, "item") || strings.Contains(name, "lines"):
		return lineItems(text, num || t.numbersAsNumbers())
	case strings.Contains(name, "vendor") || strings.Contains(name, "supplier") || strings.Contains(name, "seller") || strings.Contains(name, "company") || name == "from":
		if v := valueAfter(text, "from", "vendor", "supplier", "bill from", "seller"); v != "" {
			return v
		}
		if lines := strings.Split(strings.TrimSpace(text), "\n"); len(lines) > 0 {
			return strings.TrimSpace(lines[0])
		}
		return nil
	case strings.Contains(name, "customer") || strings.Contains(name, "bill_to") || strings.Contains(name, "client"):
		return nilIfEmpty(valueAfter(text, "bill to", "billed to", "customer", "client", "to"))
	case name == "label" || strings.Contains(name, "sentiment") || name == "category" || name == "class" || name == "classification":
		labels := t.labels()
		if len(labels) == 0 {
			labels = []string{"positive", "negative", "neutral"}
		}
		return t.chooseLabel(labels)
	case strings.Contains(name, "toxic") || name == "flagged":
		return t.toxic(text)
	case name == "summary" || name == "description":
		if s := sentences(text); len(s) > 0 {
			return s[0]
		}
		return ""
	case strings.Contains(name, "confidence") || strings.Contains(name, "score"):
		return 0.9
	case strings.Contains(name, "priority") || strings.Contains(name, "urgency"):
		return priority(text)
	}
	return nilIfEmpty(valueAfter(text, strings.ReplaceAll(name, "_", " ")))
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// moneyOnLine finds an amount on the first line that starts with or
// contains key (case-insensitive).
func moneyOnLine(text, key string) string {
	for _, line := range strings.Split(text, "\n") {
		l := strings.ToLower(line)
		i := strings.Index(l, key)
		if i < 0 {
			continue
		}
		if key == "total" && strings.Contains(l, "subtotal") && !strings.Contains(strings.ReplaceAll(l, "subtotal", ""), "total") {
			continue
		}
		for _, m := range reMoney.FindAllStringSubmatch(line[i:], -1) {
			if m[1] != "" || m[2] != "" || m[4] != "" || strings.Contains(m[3], ".") || strings.Contains(m[3], ",") {
				return strings.TrimSpace(m[0])
			}
		}
	}
	return ""
}

// valueAfter returns the rest of the first line that starts with one of the
// keys followed by a colon.
func valueAfter(text string, keys ...string) string {
	for _, line := range strings.Split(text, "\n") {
		l := strings.ToLower(strings.TrimSpace(line))
		for _, k := range keys {
			if strings.HasPrefix(l, k+":") {
				return strings.TrimSpace(strings.TrimSpace(line)[len(k)+1:])
			}
		}
	}
	return ""
}

func (t *task) dateValue(text, name string) any {
	var found string
	if strings.Contains(name, "due") {
		for _, line := range strings.Split(text, "\n") {
			if strings.Contains(strings.ToLower(line), "due") {
				if m := reDate.FindString(line); m != "" {
					found = m
					break
				}
			}
		}
	} else {
		for _, line := range strings.Split(text, "\n") {
			if strings.Contains(strings.ToLower(line), "due") {
				continue
			}
			if m := reDate.FindString(line); m != "" {
				found = m
				break
			}
		}
	}
	if found == "" {
		return nil
	}
	if t.isoDates() {
		return isoDate(found)
	}
	return found
}

// isoDate normalises the date forms reDate finds to YYYY-MM-DD (US order for
// slashes).
func isoDate(s string) string {
	if len(s) == 10 && s[4] == '-' {
		return s
	}
	pad := func(n string) string {
		if len(n) == 1 {
			return "0" + n
		}
		return n
	}
	if p := strings.Split(s, "/"); len(p) == 3 {
		return p[2] + "-" + pad(p[0]) + "-" + pad(p[1])
	}
	f := strings.Fields(strings.NewReplacer(",", " ", ".", " ").Replace(s))
	if len(f) == 3 {
		if mo, ok := monthNumbers[strings.ToLower(f[0][:min(3, len(f[0]))])]; ok {
			return f[2] + "-" + mo + "-" + pad(f[1])
		}
		if mo, ok := monthNumbers[strings.ToLower(f[1][:min(3, len(f[1]))])]; ok {
			return f[2] + "-" + mo + "-" + pad(f[0])
		}
	}
	return s
}

func lineItems(text string, num bool) []map[string]any {
	items := []map[string]any{}
	for _, line := range strings.Split(text, "\n") {
		l := strings.ToLower(line)
		if strings.Contains(l, "total") || strings.Contains(l, "tax") || strings.Contains(l, "vat") || strings.Contains(l, "due") || strings.Contains(l, "invoice") {
			continue
		}
		ms := reMoney.FindAllStringSubmatchIndex(line, -1)
		var amt string
		var at int
		for _, m := range ms {
			v := line[m[0]:m[1]]
			if m[2] >= 0 || m[4] >= 0 || strings.Contains(v, ".") {
				amt, at = strings.TrimSpace(v), m[0]
			}
		}
		if amt == "" {
			continue
		}
		desc := strings.TrimSpace(strings.Trim(strings.TrimSpace(line[:at]), "-*•:|"))
		if desc == "" {
			continue
		}
		var a any = amt
		if num {
			if n, err := strconv.ParseFloat(strings.NewReplacer(",", "", "$", "", "€", "", "£", "", " ", "").Replace(amt), 64); err == nil {
				a = n
			}
		}
		items = append(items, map[string]any{"description": desc, "amount": a})
	}
	return items
}

func priority(text string) string {
	l := strings.ToLower(text)
	switch {
	case containsAny(l, "urgent", "asap", "immediately", "production is down", "outage", "cannot access", "can't access", "all users", "data loss", "security"):
		return "high"
	case containsAny(l, "question", "wondering", "feature request", "would be nice", "suggestion"):
		return "low"
	}
	return "medium"
}

func containsAny(s string, subs ...string) bool {
	for _, x := range subs {
		if strings.Contains(s, x) {
			return true
		}
	}
	return false
}
