package modelserver

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
)

// GraderMarker is the phrase that makes a request a grading request
// (promptfoo's llm-rubric system prompt starts with it). The grader expects
// the output and rubric as "<Output>...</Output>" and "<Rubric>...</Rubric>"
// (or "Output:" / "Rubric:" sections) in the user message.
const GraderMarker = "You are grading output"

var (
	reOutputTag = regexp.MustCompile(`(?s)<Output>\s*(.*?)\s*</Output>`)
	reRubricTag = regexp.MustCompile(`(?s)<Rubric>\s*(.*?)\s*</Rubric>`)
	reClauseSep = regexp.MustCompile(`(?i)\s*(?:;|\.\s|\.$|,\s*and\s+|\band\b|\bbut\b|,)\s*`)
	reNegation  = regexp.MustCompile(`(?i)\b(?:does not|doesn't|do not|don't|never|not|no|without|avoids?|free of|nothing)\b`)
	reWordsN    = regexp.MustCompile(`(\d+)\s+words`)
	rePromise   = regexp.MustCompile(`(?i)\bwill (?:refund|reimburse|credit)|refund you|guarantee|promise`)
	reGreetName = regexp.MustCompile(`(?m)^(?:Hi|Hello|Dear|Hey)\s+([A-Z][a-z]+)`)
)

func (t *task) isGrader() bool {
	if strings.Contains(t.sys, GraderMarker) {
		return true
	}
	return strings.Contains(t.ins, `"pass"`) && strings.Contains(t.ins, `"score"`) && strings.Contains(t.ins, `"reason"`)
}

// grade returns a JSON verdict: each clause of the rubric is checked
// against the output by the concept it names, and the output passes when
// every clause holds.
func (t *task) grade() string {
	user := ""
	for _, m := range t.in.Messages {
		if m.Role == "user" {
			user = m.Content
		}
	}
	output, rubric := "", ""
	if m := reOutputTag.FindStringSubmatch(user); m != nil {
		output = m[1]
	}
	if m := reRubricTag.FindStringSubmatch(user); m != nil {
		rubric = m[1]
	}
	if rubric == "" {
		// The other model-graded tasks, told apart by their sections.
		sec := func(name string) (string, bool) {
			i := strings.Index(user, "<"+name+">")
			j := strings.Index(user, "</"+name+">")
			if i < 0 || j < i {
				return "", false
			}
			return strings.TrimSpace(user[i+len(name)+2 : j]), true
		}
		_, hasOut := sec("Output")
		q, hasQ := sec("Question")
		ref, hasRef := sec("Reference")
		ctx, hasCtx := sec("Context")
		cats, hasCats := sec("Categories")
		switch {
		case hasCats && hasOut:
			return t.moderate(cats, output)
		case hasRef && hasCtx:
			return overlapVerdict(ref, ctx, 0.6, "of the reference is supported by the context")
		case hasRef && hasOut:
			return factVerdict(ref, output)
		case hasCtx && hasOut:
			return overlapVerdict(output, ctx, 0.6, "of the output's content is supported by the context")
		case hasCtx && hasQ:
			return overlapVerdict(q, ctx, 0.5, "of the question is covered by the context")
		case hasQ && hasOut:
			return overlapVerdict(q, output, 0.5, "of the question is addressed by the output")
		}
	}
	if rubric == "" {
		ri, oi := indexFold(user, "rubric:"), indexFold(user, "output:")
		switch {
		case ri >= 0 && oi >= 0 && oi < ri:
			output, rubric = user[oi+7:ri], user[ri+7:]
		case ri >= 0 && oi >= 0:
			rubric, output = user[ri+7:oi], user[oi+7:]
		case ri >= 0:
			rubric = user[ri+7:]
		}
		output, rubric = strings.TrimSpace(output), strings.TrimSpace(rubric)
	}
	var clauses []string
	for _, c := range reClauseSep.Split(rubric, -1) {
		if len(strings.Fields(c)) > 0 {
			clauses = append(clauses, c)
		}
	}
	if len(clauses) == 0 {
		return verdictJSON(output != "", b2f(output != ""), "The rubric is empty; the output is judged on being non-empty.")
	}
	ok := 0
	var failed []string
	for _, c := range clauses {
		if checkClause(c, output) {
			ok++
		} else {
			failed = append(failed, strings.TrimSpace(c))
		}
	}
	score := float64(ok) / float64(len(clauses))
	if len(failed) == 0 {
		return verdictJSON(true, score, "The output satisfies the rubric: "+strings.TrimSuffix(strings.TrimSpace(rubric), ".")+".")
	}
	return verdictJSON(false, score, "The output does not satisfy: "+strings.Join(failed, "; ")+".")
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func verdictJSON(pass bool, score float64, reason string) string {
	r, _ := json.Marshal(reason)
	return `{"pass": ` + strconv.FormatBool(pass) + `, "score": ` + strconv.FormatFloat(score, 'f', 2, 64) + `, "reason": ` + string(r) + `}`
}

// rubricNoise are words of a rubric that name the output rather than what it
// must contain.
var rubricNoise = wordSet(`output response reply answer text summary email message it should must clearly mentions mention mentioned includes include
	included contains contain references reference states state explains explain uses use customer user the a an is are be has have
	to of in on for and or with that this its their does do least at one any some all also only clear tone written write model correctly properly given`)

// checkClause decides one rubric clause on the output.
func checkClause(clause, output string) bool {
	c := strings.ToLower(clause)
	o := strings.ToLower(output)
	neg := reNegation.MatchString(c)
	hold := func(b bool) bool { return b != neg }
	switch {
	case strings.Contains(c, "promise") || strings.Contains(c, "guarantee"):
		return hold(rePromise.MatchString(output))
	case strings.Contains(c, "apolog") || strings.Contains(c, "sorry"):
		return hold(containsAny(o, "apolog", "sorry"))
	case strings.Contains(c, "empath") || strings.Contains(c, "acknowledg"):
		return hold(containsAny(o, "sorry", "apolog", "understand", "frustrat", "hear that"))
	case strings.Contains(c, "thank"):
		return hold(strings.Contains(o, "thank"))
	case containsAny(c, "polite", "friendly", "courteous", "professional", "warm", "respectful"):
		rude := false
		for _, w := range words(o) {
			if insults[w] {
				rude = true
			}
		}
		return hold(!rude && containsAny(o, "please", "thank", "sorry", "happy", "glad", "welcome", "hi ", "hello", "appreciate"))
	case containsAny(c, "concise", "brief", "short", "succinct") || reWordsN.MatchString(c):
		limit := 80
		if m := reWordsN.FindStringSubmatch(c); m != nil {
			limit, _ = strconv.Atoi(m[1])
		}
		return hold(wordCount(output) <= limit)
	case strings.Contains(c, "json"):
		var v any
		return hold(json.Unmarshal([]byte(strings.TrimSpace(output)), &v) == nil)
	case strings.Contains(c, "bullet") || strings.Contains(c, "list"):
		for _, line := range strings.Split(output, "\n") {
			l := strings.TrimSpace(line)
			if strings.HasPrefix(l, "- ") || strings.HasPrefix(l, "* ") || strings.HasPrefix(l, "• ") || len(l) > 2 && l[0] >= '1' && l[0] <= '9' && l[1] == '.' {
				return hold(true)
			}
		}
		return hold(false)
	case strings.Contains(c, "by name") || strings.Contains(c, "greets") || strings.Contains(c, "greeting"):
		m := reGreetName.FindStringSubmatch(output)
		return hold(m != nil && m[1] != "There")
	case strings.Contains(c, "question"):
		return hold(strings.Contains(output, "?"))
	case containsAny(c, "preamble", "filler", "chit-chat", "small talk"):
		return hold(containsAny(o, "sure!", "certainly", "of course", "here is", "here's", "let me know", "i hope this helps"))
	case containsAny(c, "next step", "what happens next", "action"):
		return hold(containsAny(o, "will ", "next", "reply", "within", "as soon as"))
	}
	// Otherwise: the clause's content words (stemmed) must mostly appear.
	var need []string
	for _, w := range words(c) {
		if !stopWords[w] && !rubricNoise[w] && len(w) > 2 {
			need = append(need, stem(w))
		}
	}
	if len(need) == 0 {
		return true
	}
	have := map[string]bool{}
	for _, w := range words(o) {
		have[stem(w)] = true
	}
	n := 0
	for _, w := range need {
		if have[w] {
			n++
		}
	}
	return hold(float64(n)/float64(len(need)) >= 0.5)
}

// contentStems are a text's content words, stemmed (numbers kept whole).
func contentStems(s string) []string {
	var out []string
	for _, w := range words(s) {
		if !stopWords[w] && !rubricNoise[w] && (len(w) > 2 || w[0] >= '0' && w[0] <= '9') {
			out = append(out, stem(w))
		}
	}
	return out
}

// coverage is the share of a's content words found in b.
func coverage(a, b string) float64 {
	need := contentStems(a)
	if len(need) == 0 {
		return 1
	}
	have := map[string]bool{}
	for _, w := range contentStems(b) {
		have[w] = true
	}
	n := 0
	for _, w := range need {
		if have[w] {
			n++
		}
	}
	return float64(n) / float64(len(need))
}

// overlapVerdict passes when at least min of what's content words are in
// where (context faithfulness, relevance and recall, answer relevance).
func overlapVerdict(what, where string, least float64, says string) string {
	c := coverage(what, where)
	return verdictJSON(c >= least, c, strconv.Itoa(int(c*100+0.5))+"% "+says+".")
}

var reNumber = regexp.MustCompile(`\d+(?:[.,]\d+)?`)

// factVerdict is factuality: every number of the reference is in the
// output and most of its content words are, without a negation the
// reference does not have.
func factVerdict(ref, output string) string {
	for _, n := range reNumber.FindAllString(ref, -1) {
		if !strings.Contains(output, n) {
			return verdictJSON(false, 0, "The output disagrees with the reference: it does not state "+n+".")
		}
	}
	if reNegation.MatchString(output) != reNegation.MatchString(ref) && coverage(ref, output) >= 0.5 {
		return verdictJSON(false, 0, "The output contradicts the reference (one negates what the other states).")
	}
	c := coverage(ref, output)
	if c >= 0.6 {
		return verdictJSON(true, c, "The output agrees with the reference facts.")
	}
	return verdictJSON(false, c, "The output leaves out or changes facts of the reference.")
}

// moderate flags insults and threats (harassment, violence) in the output.
func (t *task) moderate(cats, output string) string {
	if t.toxic(output) {
		return verdictJSON(false, 0, "The output is flagged: harassment (insulting or threatening language).")
	}
	return verdictJSON(true, 1, "The output has none of these categories: "+cats+".")
}

// ComparerMarker is the phrase that makes a request a comparison (Verso's
// select-best): the user message holds "<Criterion>...</Criterion>" and the
// outputs as "<Output index="N">...</Output>", and the answer is the number
// of the best one.
const ComparerMarker = "You are comparing outputs"

var reIndexedOutput = regexp.MustCompile(`(?s)<Output index="(\d+)">\s*(.*?)\s*</Output>`)

func (t *task) isComparer() bool { return strings.Contains(t.sys, ComparerMarker) }

// choose answers a comparison: the output that meets the most clauses of
// the criterion (checked as a rubric's), the first of equals.
func (t *task) choose() string {
	user := ""
	for _, m := range t.in.Messages {
		if m.Role == "user" {
			user = m.Content
		}
	}
	criterion := ""
	if i, j := strings.Index(user, "<Criterion>"), strings.Index(user, "</Criterion>"); i >= 0 && j > i {
		criterion = user[i+len("<Criterion>") : j]
	}
	var clauses []string
	for _, c := range reClauseSep.Split(criterion, -1) {
		if len(strings.Fields(c)) > 0 {
			clauses = append(clauses, c)
		}
	}
	best, bestN := "0", -1
	for _, m := range reIndexedOutput.FindAllStringSubmatch(user, -1) {
		n := 0
		for _, c := range clauses {
			if checkClause(c, m[2]) {
				n++
			}
		}
		if n > bestN {
			best, bestN = m[1], n
		}
	}
	return best
}
