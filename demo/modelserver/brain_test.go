package modelserver

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func ask(model string, msgs ...string) string {
	in := Input{Model: model}
	for i, m := range msgs {
		role := "user"
		if i == 0 && len(msgs) > 1 {
			role = "system"
		}
		in.Messages = append(in.Messages, Message{Role: role, Content: m})
	}
	return Reply(in)
}

func TestBrainClassification(t *testing.T) {
	only := "Classify the sentiment of the review as one of: positive, negative, neutral. Respond with only the label.\n\nReview: "
	for _, tc := range []struct {
		model, review, want string
	}{
		{"demo-small", "I love it, great app", "positive"},
		{"demo-small", "Terrible, it crashes all the time", "negative"},
		{"demo-small", "It is blue.", "neutral"},
		{"demo-large", "Not great, honestly.", "negative"},
		{"demo-small", "Not great, honestly.", "positive"}, // the small model misses negation
	} {
		if got := ask(tc.model, only+tc.review); got != tc.want {
			t.Errorf("%s on %q = %q, want %q", tc.model, tc.review, got, tc.want)
		}
	}
	// Without "only", the answer is chatty but names the label.
	got := ask("demo-large", "What is the sentiment of this review?\n\nI love it")
	if got == "positive" || !strings.Contains(strings.ToLower(got), "positive") {
		t.Errorf("chatty classification = %q", got)
	}
	// Parenthesised labels and other label sets.
	if got := ask("demo-small", "Route the ticket to one of (billing|technical|account). Respond with only the label.\n\nTicket: I was charged twice on my card"); got != "billing" {
		t.Errorf("topic label = %q", got)
	}
}

func TestBrainModeration(t *testing.T) {
	lexical := "Classify the comment as one of: toxic, safe. Respond with only the label.\n\nComment: "
	targeted := "Classify the comment as one of: toxic, safe. Criticism of the product is safe; only attacks on people are toxic. Respond with only the label.\n\nComment: "
	crit := "This update is garbage and the export is broken."
	if got := ask("demo-small", lexical+crit); got != "toxic" {
		t.Errorf("lexical = %q", got)
	}
	if got := ask("demo-small", targeted+crit); got != "safe" {
		t.Errorf("targeted = %q", got)
	}
	if got := ask("demo-small", targeted+"You are an idiot."); got != "toxic" {
		t.Errorf("insult = %q", got)
	}
}

func TestBrainJSON(t *testing.T) {
	invoice := "Invoice:\nGlobex Corporation\nInvoice # GX-88812\nDate: March 3, 2026\nPayment due: April 2, 2026\nTotal: USD 8,400.00"
	// Asked for JSON only: demo-small still fences it, demo-large does not.
	p := "Extract invoice_number, total and due_date. Return only JSON.\n\n" + invoice
	if got := ask("demo-small", p); !strings.HasPrefix(got, "```json") {
		t.Errorf("small = %q", got)
	}
	got := ask("demo-large", p)
	var v map[string]any
	if err := json.Unmarshal([]byte(got), &v); err != nil {
		t.Fatalf("large is not JSON: %q", got)
	}
	if v["invoice_number"] != "GX-88812" || v["total"] != "USD 8,400.00" || v["due_date"] != "April 2, 2026" {
		t.Errorf("large extracted %v", v)
	}
	// Response format and a schema: numbers and ISO dates when asked.
	in := Input{Model: "demo-small", JSON: true, Schema: json.RawMessage(`{"type":"object","properties":{"invoice_number":{"type":"string"},"total":{"type":"number"},"due_date":{"type":"string"}}}`),
		Messages: []Message{{Role: "user", Content: "Extract the fields. Dates as YYYY-MM-DD.\n\n" + invoice}}}
	if err := json.Unmarshal([]byte(Reply(in)), &v); err != nil {
		t.Fatal(err)
	}
	if v["total"] != 8400.0 || v["due_date"] != "2026-04-02" {
		t.Errorf("schema extraction %v", v)
	}
}

func TestBrainSQL(t *testing.T) {
	sys := "Write a SQLite query. Return only the SQL query: no explanation, no markdown.\n\nCREATE TABLE orders (id INTEGER, customer_id INTEGER, status TEXT, total REAL, created_at TEXT);\nCREATE TABLE customers (id INTEGER, name TEXT, country TEXT);"
	got := ask("demo-small", sys, "What is the total revenue from paid orders in 2025?")
	want := "SELECT SUM(total) AS total\nFROM orders\nWHERE status = 'paid'\n  AND created_at >= '2025-01-01'\n  AND created_at < '2026-01-01';"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	got = ask("demo-small", sys, "Average order value per country")
	if !strings.Contains(got, "JOIN customers ON customers.id = orders.customer_id") || !strings.Contains(got, "GROUP BY customers.country") {
		t.Errorf("join: %s", got)
	}
	// Without "only", a chatty fenced answer.
	if got := ask("demo-small", "Write SQL for: how many orders are there?"); !strings.Contains(got, "```sql") {
		t.Errorf("chatty sql = %q", got)
	}
}

func TestBrainLengthAndFormat(t *testing.T) {
	ticket := "Ticket:\nHi team, I was charged twice for order #4411. My bank shows two payments. Please refund one. I need this fixed before Friday because our finance team closes the books. Thanks, Ana"
	if got := ask("demo-small", "Summarize the ticket in under 12 words.\n\n"+ticket); wordCount(got) >= 12 {
		t.Errorf("under 12 words: %d: %q", wordCount(got), got)
	}
	if got := ask("demo-small", "Summarize the ticket in 1 sentence.\n\n"+ticket); len(sentences(got)) != 1 {
		t.Errorf("one sentence: %q", got)
	}
	got := ask("demo-small", "Summarize the ticket as 3 bullet points.\n\n"+ticket)
	if lines := strings.Split(got, "\n"); !strings.HasPrefix(got, "Sure") && !strings.HasPrefix(got, "Certainly") && !strings.HasPrefix(got, "Of course") || len(lines) < 3 {
		t.Logf("bullets: %q", got)
	}
	if n := strings.Count(got, "\n- ") + boolInt(strings.HasPrefix(got, "- ")); n != 3 {
		t.Errorf("3 bullets, got %d: %q", n, got)
	}
	// Unconstrained: chatty and padded.
	if got := ask("demo-small", "Summarize this support ticket.\n\n"+ticket); !strings.Contains(got, "Overall") {
		t.Errorf("unconstrained summary = %q", got)
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestBrainReply(t *testing.T) {
	sys := "You are a support agent. Reply to the customer. Always apologize. Never promise refunds. Keep it concise and sign off as Acme Support."
	got := ask("demo-small", sys, "Customer name: Ana\n\nI was charged twice, please refund me.")
	for _, want := range []string{"Hi Ana,", "sorry", "Acme Support"} {
		if !strings.Contains(strings.ToLower(got), strings.ToLower(want)) {
			t.Errorf("reply lacks %q: %q", want, got)
		}
	}
	if strings.Contains(got, "refund you") {
		t.Errorf("reply promises a refund: %q", got)
	}
	loose := ask("demo-small", "You are a support agent. Reply to the customer.", "I was charged twice, please refund me.")
	if !strings.Contains(loose, "refund you") || wordCount(loose) < 60 {
		t.Errorf("unconstrained reply should promise and ramble: %q", loose)
	}
}

func TestBrainGrader(t *testing.T) {
	grade := func(rubric, output string) map[string]any {
		got := ask("demo-large", GraderMarker+" according to a rubric. Respond with JSON {\"pass\": boolean, \"score\": number, \"reason\": string}.",
			"<Output>\n"+output+"\n</Output>\n<Rubric>\n"+rubric+"\n</Rubric>")
		var v map[string]any
		if err := json.Unmarshal([]byte(got), &v); err != nil {
			t.Fatalf("verdict is not JSON: %q", got)
		}
		if _, ok := v["reason"].(string); !ok {
			t.Errorf("no reason: %v", v)
		}
		return v
	}
	for _, tc := range []struct {
		rubric, output string
		pass           bool
	}{
		{"The reply apologizes and does not promise a refund", "Hi Ana, I'm sorry for the trouble. Billing will review the charge.", true},
		{"The reply apologizes and does not promise a refund", "Hi Ana, we will refund you right away.", false},
		{"The answer mentions encryption at rest", "Data is encrypted at rest with AES-256.", true},
		{"The answer mentions encryption at rest", "We have offices in Berlin.", false},
		{"The output is valid JSON", `{"a": 1}`, true},
		{"Is concise", strings.Repeat("word ", 200), false},
	} {
		v := grade(tc.rubric, tc.output)
		if v["pass"] != tc.pass {
			t.Errorf("%q on %q: %v", tc.rubric, tc.output, v)
		}
	}
}

func TestBrainDeterministicAndModelsDiffer(t *testing.T) {
	p := "Write a reply to the customer.\n\nMessage: my package is late"
	if ask("demo-small", p) != ask("demo-small", p) {
		t.Error("same input, different replies")
	}
	in := Input{Model: "demo-small", Messages: []Message{{Role: "user", Content: p}}}
	a := Reply(in)
	in.Seed = 99
	in.Temperature = 0.9
	b := Reply(in)
	if a == "" || b == "" {
		t.Error("empty reply")
	}
}

func TestEmbedSimilarity(t *testing.T) {
	cos := func(a, b []float32) float64 {
		var s float64
		for i := range a {
			s += float64(a[i] * b[i])
		}
		return s
	}
	a, b, c := Embed("Any project can be exported to CSV or PDF."), Embed("You can export a project to CSV."), Embed("Invoices are issued monthly.")
	if cos(a, b) < 0.4 || cos(a, c) > 0.2 {
		t.Errorf("similar %.2f unrelated %.2f", cos(a, b), cos(a, c))
	}
}

// FuzzReply: the brain must answer anything without panicking (a panic
// would look like a dropped connection to the client).
func FuzzReply(f *testing.F) {
	for _, s := range []string{
		"Classify as (a|b). Respond with only the label.\n\nText: x",
		"Extract invoice_number and total as JSON.\n\nInvoice: INV-1 Total: $5",
		"SQL\n\nCREATE TABLE t (a INT);\nQuestion: how many top 3",
		"Summarize in 0 words as 0 bullet points.\n\nTicket:\n",
		GraderMarker + "\n<Output></Output><Rubric></Rubric>",
		"Welcome email to X, who signed up for Y on the Z plan. Sign off as",
		"Release notes for version 1.0\n\nChanges:\nfeat: x\n- \n",
	} {
		f.Add("demo-small", "", s)
		f.Add("demo-large", "Documentation:\nA. B.", s)
	}
	f.Fuzz(func(t *testing.T, model, sys, user string) {
		in := Input{Model: model, Messages: []Message{{Role: "user", Content: user}}}
		if sys != "" {
			in.Messages = append([]Message{{Role: "system", Content: sys}}, in.Messages...)
		}
		Reply(in)
		in.JSON = true
		Reply(in)
	})
}

// TestBrainComparer: asked to compare numbered outputs on a criterion (the
// select-best grader), the demo answers with the number of the output that
// meets it, the first of equals.
func TestBrainComparer(t *testing.T) {
	user := func(outs ...string) string {
		s := "<Criterion>\napologises and stays under 10 words\n</Criterion>"
		for i, o := range outs {
			s += fmt.Sprintf("\n<Output index=\"%d\">\n%s\n</Output>", i, o)
		}
		return s
	}
	sys := ComparerMarker + " to choose the one that best meets a criterion. Respond with the number of the best output only."
	long := "We are so sorry about this, and we will look into every detail of your order as soon as we can."
	if got := ask("demo-large", sys, user("Your order shipped.", long, "Sorry, it ships today.")); got != "2" {
		t.Errorf("chose %q, want 2", got)
	}
	if got := ask("demo-small", sys, user("Sorry!", "Sorry, really.")); got != "0" {
		t.Errorf("equals: chose %q, want the first", got)
	}
}
