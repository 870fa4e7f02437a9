package modelserver

import (
	"regexp"
	"strings"
)

var (
	// (positive|negative|neutral) or (positive, negative, neutral)
	reLabelParen = regexp.MustCompile(`\(\s*([a-z][a-z_-]*(?:\s*(?:\||/|,|or)\s*[a-z][a-z_-]*)+)\s*\)`)
	// one of: positive, negative or neutral / labels: a | b | c
	reLabelList = regexp.MustCompile(`(?:one of|labels?|categories|classes|options)\s*(?:is|are|:|-)?\s*:?\s*((?:["'\x60]?[a-z][a-z_-]*["'\x60]?\s*(?:,|\||/|or|and|,\s*or)\s*)+["'\x60]?[a-z][a-z_-]*["'\x60]?)`)
	reLabelSep  = regexp.MustCompile(`\s*(?:,\s*or|,|\||/|\bor\b|\band\b)\s*`)
)

// labels finds the label set the prompt offers, lower case, in order.
func (t *task) labels() []string {
	if !t.has("classif", "label", "categor", "sentiment", "one of", "tag", "toxic", "which", "answer") {
		return nil
	}
	for _, re := range []*regexp.Regexp{reLabelParen, reLabelList} {
		for _, m := range re.FindAllStringSubmatch(t.ins, -1) {
			var out []string
			for _, p := range reLabelSep.Split(m[1], -1) {
				p = strings.Trim(p, "\"'` .")
				if p != "" && len(p) < 30 {
					out = append(out, p)
				}
			}
			if len(out) >= 2 && len(out) <= 12 {
				return out
			}
		}
	}
	return nil
}

var (
	posWords = wordSet(`good great excellent amazing love loved loving awesome fantastic happy pleased perfect wonderful helpful fast easy best recommend
		recommended delighted work impressed smooth reliable nice enjoy enjoyed works worked thanks thank superb brilliant intuitive friendly quick satisfied glad`)
	negWords = wordSet(`bad terrible awful hate hated horrible worst broken slow poor disappointed disappointing useless annoying angry frustrated
		frustrating crash crashes crashed bug buggy refund rude never waste wasted problem problems issue issues fail failed fails failing error errors
		cancel cancelled overcharged charged late missing wrong unacceptable confusing difficult expensive lost unhappy`)
	negators = wordSet(`not no never hardly barely isn't wasn't aren't don't doesn't didn't can't cannot won't`)
	insults  = wordSet(`idiot idiots stupid moron morons dumb loser losers pathetic worthless scum trash garbage clown clowns incompetent fool fools jerk shut hate kill die`)
	// threats are toxic whatever they target.
	threats = []string{"kill you", "hurt you", "find where you live", "you should die", "watch your back"}
)

func wordSet(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}

// sentiment scores the input: >0 positive, <0 negative. demo-large handles
// negation ("not great"); demo-small counts words.
func (t *task) sentiment(text string) int {
	ws := words(text)
	score := 0
	for i, w := range ws {
		v := 0
		if posWords[w] {
			v = 1
		} else if negWords[w] {
			v = -1
		}
		if v == 0 {
			continue
		}
		if t.large {
			for j := max(0, i-3); j < i; j++ {
				if negators[ws[j]] {
					v = -v
					break
				}
			}
		}
		score += v
	}
	return score
}

// toxic decides moderation. When the instructions say criticism is fine or
// that only attacks on people count, an insult must target a person
// ("you", "your", "he", "she"); otherwise any rude word flags the text.
func (t *task) toxic(text string) bool {
	lower := strings.ToLower(text)
	for _, th := range threats {
		if strings.Contains(lower, th) {
			return true
		}
	}
	ws := words(text)
	targeted := t.has("criticism", "critique", "directed at", "targets a person", "attack", "harass")
	for i, w := range ws {
		if !insults[w] {
			continue
		}
		if !targeted {
			return true
		}
		for j := max(0, i-4); j < min(len(ws), i+4); j++ {
			switch ws[j] {
			case "you", "your", "you're", "youre", "u", "he", "she", "they", "him", "her", "them", "devs", "developers", "staff", "agent", "people":
				return true
			}
		}
	}
	return false
}

var topicWords = map[string][]string{
	"billing":   {"charge", "charged", "invoice", "payment", "refund", "bill", "billed", "price", "pricing", "subscription", "card", "overcharged"},
	"technical": {"error", "crash", "crashes", "bug", "broken", "not working", "fails", "slow", "timeout", "500", "api", "sync"},
	"account":   {"password", "login", "log in", "sign in", "account", "email address", "username", "2fa", "locked"},
	"shipping":  {"delivery", "package", "shipped", "shipping", "tracking", "courier", "arrived"},
	"sales":     {"demo", "quote", "enterprise", "pricing plan", "upgrade", "seats"},
}

// chooseLabel maps the input to one of the labels.
func (t *task) chooseLabel(labels []string) string {
	text := t.input
	has := func(l string) bool {
		for _, x := range labels {
			if x == l {
				return true
			}
		}
		return false
	}
	find := func(names ...string) string {
		for _, n := range names {
			for _, l := range labels {
				if l == n || strings.HasPrefix(l, n) {
					return l
				}
			}
		}
		return ""
	}
	// Moderation.
	if l := find("toxic", "flag", "unsafe", "block", "reject"); l != "" {
		safe := ""
		for _, l2 := range labels {
			if l2 != l {
				safe = l2
				break
			}
		}
		if t.toxic(text) {
			return l
		}
		if s := find("safe", "ok", "allow", "non-toxic", "clean", "approve", "not_toxic", "not-toxic"); s != "" {
			return s
		}
		return safe
	}
	// Sentiment.
	if has("positive") || has("negative") {
		s := t.sentiment(text)
		switch {
		case s > 0:
			return find("positive")
		case s < 0:
			return find("negative")
		}
		if l := find("neutral", "mixed"); l != "" {
			return l
		}
		return labels[0]
	}
	// Topics: the label whose keywords (or whose own name) occur most.
	lower := strings.ToLower(text)
	best, bestN := "", 0
	for _, l := range labels {
		n := strings.Count(lower, l)
		for _, kw := range topicWords[l] {
			n += strings.Count(lower, kw)
		}
		if n > bestN {
			best, bestN = l, n
		}
	}
	if best != "" {
		return best
	}
	if l := find("other", "general", "unknown", "none"); l != "" {
		return l
	}
	return labels[int(t.h%uint64(len(labels)))]
}

// toxicVerdict answers "is this toxic?" without a label set: a chatty yes
// or no.
func (t *task) toxicVerdict() string {
	if t.toxic(t.input) {
		return "Yes, this comment is toxic. It uses insulting or threatening language, so I would flag it for the moderation team."
	}
	return "No, this comment doesn't appear to be toxic. It may be critical, but it stays within the bounds of a normal discussion."
}

// classify answers with a label: bare when told to, else chatty.
func (t *task) classify(labels []string) string {
	l := t.chooseLabel(labels)
	if t.only() {
		if t.has("uppercase", "upper case", "all caps") {
			return strings.ToUpper(l)
		}
		return l
	}
	what := "classification"
	if t.has("sentiment") {
		what = "sentiment"
	}
	reason := "Based on the wording of the text"
	switch {
	case l == "positive":
		reason = "The writer sounds satisfied and uses positive language"
	case l == "negative":
		reason = "The writer expresses frustration or dissatisfaction"
	case strings.Contains(l, "toxic") || l == "flag":
		reason = "The message contains language that may be hurtful"
	}
	if t.has("explain", "reason", "why") {
		return "The " + what + " is " + l + ". " + reason + "."
	}
	return t.pick("Sure! The "+what+" of this text is **"+titleCase(l)+"**.\n\n"+reason+".",
		"After reading the text carefully, I would classify the "+what+" as **"+titleCase(l)+"**. "+reason+".",
		titleCase(what)+": "+titleCase(l)+"\n\n"+reason+". Let me know if you need a more detailed analysis!")
}
