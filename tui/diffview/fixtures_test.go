package diffview

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// fixtureOld/fixtureNew are a realistic prompt edit with the awkward cases:
// wide characters, emoji, a tab, a long line, and terminal escapes that must
// never reach the output.
const fixtureOld = `You are a helpful support agent for {{company}}.
Always answer politely and in the customer's language.

Rules:
- Use the customer's name: {{name}}.
- Keep answers short.
	- Never promise refunds.
- Escalate angry customers to a human.
日本語のお客様には敬語で答えてください。
Sign off with 👋 and the team name.
Context follows.
{{context}}
End of prompt.`

const fixtureNew = "You are a friendly, patient support agent for {{company}}.\n" +
	"Always answer politely and in the customer's language.\n" +
	"\n" +
	"Rules:\n" +
	"- Use the customer's first name: {{name}}.\n" +
	"- Keep answers under 120 words and cite the help-center article that supports every claim you make, with its URL.\n" +
	"\t- Never promise refunds or credits.\n" +
	"日本語のお客様には丁寧な敬語で答えてください。\n" +
	"Sign off with 🙂 and the team name.\n" +
	"Context follows.\x1b]0;pwned\x07\x1b[2J\r\n" +
	"{{context}}\n" +
	"If the context is empty, ask one clarifying question.\n" +
	"End of prompt."

var words = strings.Fields(`the customer agent answer support refund policy order invoice
shipping account password reset escalate polite short concise summary ticket priority
product release notes model prompt version label production staging review context`)

// synthetic returns a deterministic n-line prompt and an edited copy with
// about changes changed, inserted or deleted lines.
func synthetic(n, changes int) (string, string) {
	r := rand.New(rand.NewPCG(1, 2))
	line := func() string {
		k := 6 + r.IntN(12)
		ws := make([]string, k)
		for i := range ws {
			ws[i] = words[r.IntN(len(words))]
		}
		return strings.Join(ws, " ")
	}
	old := make([]string, n)
	for i := range old {
		old[i] = fmt.Sprintf("%d. %s.", i+1, line())
	}
	var nw []string
	step := n / max(changes, 1)
	for i, l := range old {
		if i%step != step/2 {
			nw = append(nw, l)
			continue
		}
		switch r.IntN(4) {
		case 0, 1: // change a word
			ws := strings.Fields(l)
			ws[1+r.IntN(len(ws)-1)] = "CHANGED"
			nw = append(nw, strings.Join(ws, " "))
		case 2: // insert a line
			nw = append(nw, l, "inserted: "+line())
		case 3: // delete the line
		}
	}
	return strings.Join(old, "\n"), strings.Join(nw, "\n")
}
