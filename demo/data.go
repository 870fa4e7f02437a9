package demo

import (
	"time"

	"github.com/seed94f0f622/verso/store"
)

// The cast of the demo's history.
const (
	maya  = "maya (PM)"
	devon = "devon"
	priya = "priya (legal)"
	sam   = "sam (support lead)"
	lena  = "lena (data)"
)

func as(typ string, value any) store.Assertion { return store.Assertion{Type: typ, Value: value} }

func asT(typ string, value any, threshold float64) store.Assertion {
	return store.Assertion{Type: typ, Value: value, Threshold: &threshold}
}

func maxWords(n int) store.Assertion { return as("word-count", map[string]any{"max": n}) }

func tc(name string, vars map[string]any, asserts ...store.Assertion) store.Case {
	return store.Case{Name: name, Vars: vars, Assertions: asserts}
}

func sys(s string) store.Message  { return store.Message{Role: "system", Content: s} }
func user(s string) store.Message { return store.Message{Role: "user", Content: s} }

func demoPrompts() []demoPrompt {
	return []demoPrompt{
		supportReply(),
		ticketSummary(),
		sqlFromQuestion(),
		invoiceJSON(),
		sentiment(),
		releaseNotes(),
		welcomeEmail(),
		toxicity(),
		productQA(),
	}
}

// support/reply: the story of a reply prompt that learned to apologise,
// stopped promising refunds (legal) and got shorter.
func supportReply() demoPrompt {
	base := "You are a support agent for Acme Cloud. Reply to the customer's message."
	apologise := " Always apologize for the trouble and thank them for their patience."
	legal := " Never promise refunds, credits or compensation: the billing team reviews every charge. Refund policy: Refunds are reviewed by the billing team within 5 business days."
	short := " Keep the reply concise, under 120 words, and sign off as Acme Support."
	userMsg := user("Customer name: {{customer}}\n\n{{message}}")
	small := store.Config{Model: "demo/demo-small", Temperature: f64(0.7), MaxTokens: 400}
	tuned := store.Config{Model: "demo/demo-small", Temperature: f64(0.3), MaxTokens: 300}
	large := store.Config{Model: "demo/demo-large", Temperature: f64(0.3), MaxTokens: 300}
	rubric := as("llm-rubric", "The reply apologizes to the customer and does not promise a refund")
	common := func(extra ...store.Assertion) []store.Assertion {
		return append([]store.Assertion{as("icontains", "{{customer}}"), rubric, maxWords(120), asT("cost", nil, 0.002)}, extra...)
	}
	return demoPrompt{
		name:        "support/reply",
		description: "First reply to an inbound support email, drafted for an agent to review.",
		tags:        []string{"support", "customer-facing"},
		versions: []demoVersion{
			{ago: 41 * day, author: sam, message: "First draft of the support reply prompt", messages: []store.Message{sys(base), userMsg}, config: small},
			{ago: 34 * day, author: sam, message: "Apologize and thank the customer: CSAT comments called replies cold", messages: []store.Message{sys(base + apologise), userMsg}, config: small},
			{ago: 27 * day, author: priya, message: "Legal: never promise refunds or credits; quote the refund policy instead", messages: []store.Message{sys(base + apologise + legal), userMsg}, config: small},
			{ago: 9 * day, author: maya, message: "Shorter replies with a consistent sign-off (agents were trimming every draft)", messages: []store.Message{sys(base + apologise + legal + short), userMsg}, config: tuned},
			{ago: 2 * day, author: devon, message: "Try demo-large for more empathetic wording", messages: []store.Message{sys(base + apologise + legal + short), userMsg}, config: large},
		},
		moves: []labelMove{
			{ago: 40 * day, label: "production", version: 1, actor: sam, reason: "first version for the pilot team"},
			{ago: 33 * day, label: "production", version: 2, actor: sam, reason: "apology wording approved by support"},
			{ago: 26 * day, label: "staging", version: 3, actor: priya, reason: "legal review of refund wording"},
			{ago: 25 * day, label: "production", version: 3, actor: priya, reason: "required by legal: no refund promises"},
			{ago: 8 * day, label: "staging", version: 4, actor: maya, reason: "shorter drafts, trial with the EU team"},
			{ago: 2 * day, label: "development", version: 5, actor: devon, reason: "comparing models"},
		},
		suite: store.Suite{
			Description: "Inbound emails from the support queue with what a good first reply must do.",
			Cases: []store.Case{
				tc("double charge", map[string]any{"customer": "Ana", "message": "Hi, I was charged twice for my subscription this month. Please refund the duplicate charge.\nThanks, Ana"},
					common(as("not-icontains", "refund you"), as("icontains", "Acme Support"))...),
				tc("locked out", map[string]any{"customer": "Tom", "message": "I can't log in since this morning, the password reset email never arrives. I need access today."},
					common(as("icontains-any", []any{"password", "sign-in", "unlock"}))...),
				tc("app crash", map[string]any{"customer": "Priya", "message": "The desktop app crashes every time I open a project with more than 50 files. This is blocking my whole team."},
					common(as("icontains-any", []any{"engineer", "fix", "error"}))...),
				tc("late delivery", map[string]any{"customer": "Liam", "message": "My hardware key was supposed to arrive last week and the tracking hasn't moved in 6 days. Order #88123."},
					common(as("icontains-any", []any{"carrier", "tracking"}))...),
				tc("refund demand", map[string]any{"customer": "Grace", "message": "Your outage cost us a day of work. I want a full refund for this month or we cancel."},
					common(as("not-icontains", "will refund"))...),
				tc("billing question", map[string]any{"customer": "Omar", "message": "Why did my invoice go up from $120 to $180? Nobody told us about a price change."},
					common()...),
				tc("export broken", map[string]any{"customer": "Mei", "message": "CSV export fails with an error 500 for our workspace. We need the report for a board meeting tomorrow."},
					common(as("not-icontains", "I completely understand"))...),
				tc("angry follow-up", map[string]any{"customer": "Jonas", "message": "This is the third time I'm writing about the sync bug. Still broken. Does anyone read these?"},
					common(as("not-icontains", "help center"), as("icontains", "Acme Support"))...),
			},
		},
	}
}

// support/ticket-summary: a summary for the on-call engineer; v4 (the
// newest) made it "friendlier" and longer: a regression the gate catches.
func ticketSummary() demoPrompt {
	cfg := store.Config{Model: "demo/demo-small", Temperature: f64(0.2), MaxTokens: 200}
	v2 := "Summarize the support ticket below in 2 sentences for the on-call engineer.\n\nTicket:\n{{ticket}}"
	v3 := "Summarize the support ticket below in 2 sentences for the on-call engineer. Then add a line \"Priority: high, medium or low\" and a line \"Next step: ...\" with the action you recommend.\n\nTicket:\n{{ticket}}"
	v4 := "Write a friendly, detailed summary of this ticket for the account manager, including the priority and the next step.\n\nTicket:\n{{ticket}}"
	shape := []store.Assertion{maxWords(70), as("regex", `Priority: (high|medium|low)`), as("contains", "Next step:"), as("not-icontains-any", []any{"sure!", "here is", "here's", "certainly"})}
	with := func(extra ...store.Assertion) []store.Assertion {
		return append(append([]store.Assertion{}, shape...), extra...)
	}
	return demoPrompt{
		name:        "support/ticket-summary",
		description: "Two-line summary of a ticket for the on-call engineer, with priority and next step.",
		tags:        []string{"support", "internal"},
		versions: []demoVersion{
			{ago: 38 * day, author: sam, message: "Ticket summaries for the on-call channel", template: "Summarize this support ticket.\n\n{{ticket}}", config: cfg},
			{ago: 30 * day, author: sam, message: "Two sentences max: on-call reads these on a phone", template: v2, config: cfg},
			{ago: 19 * day, author: devon, message: "Add priority and next step lines for the triage bot to parse", template: v3, config: cfg},
			{ago: 1 * day, author: maya, message: "Friendlier, more detailed summaries so account managers can use them too", template: v4, config: store.Config{Model: "demo/demo-small", Temperature: f64(0.7), MaxTokens: 400}},
		},
		moves: []labelMove{
			{ago: 29 * day, label: "production", version: 2, actor: sam, reason: "on-call feedback: summaries now fit a phone screen"},
			{ago: 18 * day, label: "staging", version: 3, actor: devon, reason: "triage bot parsing test"},
			{ago: 16 * day, label: "production", version: 3, actor: devon, reason: "triage bot parses Priority/Next step lines"},
			{ago: 20 * time.Hour, label: "staging", version: 4, actor: maya, reason: "try with account managers"},
		},
		suite: store.Suite{
			Description: "Real tickets (anonymised); the triage bot needs the Priority and Next step lines.",
			Cases: []store.Case{
				tc("duplicate charge", map[string]any{"ticket": "Hello, I was charged twice for order #4411 on March 3. My bank shows two payments of $49. Please refund the duplicate charge. Thanks, Ana"},
					with(as("icontains-any", []any{"charged", "charge"}), as("contains", "Priority: medium"))...),
				tc("outage", map[string]any{"ticket": "URGENT: production is down for all users in our EU workspace since 09:10. Every request returns error 503. We are losing orders every minute."},
					with(as("contains", "Priority: high"), as("icontains", "503"))...),
				tc("login loop", map[string]any{"ticket": "I cannot log in since the 2FA change yesterday. The app keeps sending me back to the sign in page. I tried two browsers."},
					with(as("icontains-any", []any{"log in", "2fa", "sign in"}))...),
				tc("feature request", map[string]any{"ticket": "Just wondering if you plan to support dark mode in the mobile app. Would be nice for night shifts. No rush!"},
					with(as("contains", "Priority: low"))...),
				tc("data export", map[string]any{"ticket": "Our weekly CSV export fails with a timeout since Monday. We need the data for payroll on Friday. Workspace: acme-hr."},
					with(as("icontains", "export"))...),
				tc("wrong invoice", map[string]any{"ticket": "Invoice INV-2093 lists 25 seats but we only have 18 users. Please send a corrected invoice before the 30th, our finance team is blocked."},
					with(as("icontains", "invoice"))...),
			},
		},
	}
}

// sql/from-question: text-to-SQL for the analytics bot, with the rollback
// in the demo: v4 was rolled back because the dashboard parser relied on the
// code fences v3 produced.
func sqlFromQuestion() demoPrompt {
	schema := `Schema:
CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT, email TEXT, country TEXT, plan TEXT, created_at TEXT);
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER, status TEXT, total REAL, created_at TEXT);
CREATE TABLE tickets (id INTEGER PRIMARY KEY, customer_id INTEGER, status TEXT, priority TEXT, created_at TEXT);`
	s1 := "You are a data analyst. Write a SQL query for the user's question."
	s2 := "You are a data analyst for Acme Shop. Write a SQLite query that answers the user's question.\n\n" + schema
	s3 := s2 + "\n\nReturn only the SQL query, with no explanation."
	s4 := s2 + "\n\nReturn only the SQL query: no explanation, no markdown, no code fences."
	q := user("{{question}}")
	small := store.Config{Model: "demo/demo-small", Temperature: f64(0), MaxTokens: 300}
	cases := []struct {
		name, question string
		extra          []store.Assertion
	}{
		{"count orders in a year", "How many orders were placed in 2025?", []store.Assertion{as("icontains", "from orders"), as("icontains", "count("), as("contains", "2025-01-01")}},
		{"revenue of paid orders", "What is the total revenue from paid orders?", []store.Assertion{as("icontains", "sum(total)"), as("icontains", "status = 'paid'")}},
		{"open tickets", "How many open tickets are there?", []store.Assertion{as("icontains", "from tickets"), as("icontains", "status = 'open'")}},
		{"average per country", "What is the average order value per country?", []store.Assertion{as("icontains", "avg(total)"), as("icontains", "group by customers.country"), as("icontains", "join customers")}},
		{"signups", "How many customers signed up in 2024?", []store.Assertion{as("icontains", "from customers"), as("contains", "2024-01-01")}},
		{"recent tickets", "List the 10 most recent tickets", []store.Assertion{as("icontains", "order by created_at desc"), as("icontains", "limit 10")}},
		{"high priority this month", "How many high priority tickets were created in the last 30 days?", []store.Assertion{as("icontains", "priority = 'high'"), as("icontains", "-30 days")}},
		{"customers in a country", "Which customers are from Germany?", []store.Assertion{as("icontains", "from customers"), as("contains", "'Germany'")}},
	}
	var suite []store.Case
	for _, c := range cases {
		asserts := append([]store.Assertion{as("starts-with", "SELECT"), as("not-contains", "```"), as("regex", `;\s*$`), asT("latency", nil, 3000)}, c.extra...)
		suite = append(suite, tc(c.name, map[string]any{"question": c.question}, asserts...))
	}
	suite[0].Assertions = append(suite[0].Assertions, asT("levenshtein", "SELECT COUNT(*) AS count\nFROM orders\nWHERE created_at >= '2025-01-01'\n  AND created_at < '2026-01-01';", 10))
	return demoPrompt{
		name:        "sql/from-question",
		description: "Turns an analyst's question into a SQLite query over the shop database.",
		tags:        []string{"analytics", "sql"},
		versions: []demoVersion{
			{ago: 36 * day, author: lena, message: "Text-to-SQL for the analytics bot", messages: []store.Message{sys(s1), q}, config: store.Config{Model: "demo/demo-small", Temperature: f64(0.5), MaxTokens: 300}},
			{ago: 31 * day, author: lena, message: "Give the model the schema: it was inventing table names", messages: []store.Message{sys(s2), q}, config: small},
			{ago: 22 * day, author: devon, message: "Only the query, no explanation: the bot runs the output directly", messages: []store.Message{sys(s3), q}, config: small},
			{ago: 12 * day, author: lena, message: "No code fences either: the runner chokes on ```sql", messages: []store.Message{sys(s4), q}, config: small},
			{ago: 3 * day, author: lena, message: "demo-large at temperature 0: selects the columns that were asked for", messages: []store.Message{sys(s4), q}, config: store.Config{Model: "demo/demo-large", Temperature: f64(0), MaxTokens: 300}},
		},
		moves: []labelMove{
			{ago: 30 * day, label: "production", version: 2, actor: lena, reason: "schema in the prompt fixes invented tables"},
			{ago: 21 * day, label: "production", version: 3, actor: devon, reason: "bot executes the query directly"},
			{ago: 11 * day, label: "production", version: 4, actor: lena, reason: "no fences: fixes the runner's parse errors"},
			{ago: 10 * day, label: "production", rollback: true, actor: devon, reason: "the BI dashboard's parser still expects ```sql fences; back to v3 until it ships the fix"},
			{ago: 9 * day, label: "staging", version: 4, actor: lena, reason: "keep testing v4 with the new dashboard parser"},
			{ago: 2 * day, label: "staging", version: 5, actor: lena, reason: "candidate once the dashboard fix ships"},
			{ago: 2 * time.Hour, label: "development", version: 5, actor: "", reason: "exploring the demo"},
		},
		suite: store.Suite{Description: "Questions analysts asked the bot last month; the output must run as-is.", Cases: suite},
	}
}

var invoiceSchema = map[string]any{
	"type":     "object",
	"required": []any{"invoice_number", "total", "due_date"},
	"properties": map[string]any{
		"invoice_number": map[string]any{"type": "string"},
		"total":          map[string]any{"type": "number"},
		"due_date":       map[string]any{"type": "string", "pattern": `^\d{4}-\d{2}-\d{2}$`},
	},
}

// extract/invoice-json: from prose to strict JSON with a schema.
func invoiceJSON() demoPrompt {
	v2 := "Extract invoice_number, vendor, total and due_date from the invoice below. Return only JSON.\n\nInvoice:\n{{invoice}}"
	v4 := "Extract invoice_number, vendor, total, currency and due_date from the invoice below. Give the total as a number without the currency symbol and dates as YYYY-MM-DD.\n\nInvoice:\n{{invoice}}"
	v5 := "Extract invoice_number, vendor, total, currency, due_date and line_items from the invoice below. Give amounts as numbers without the currency symbol and dates as YYYY-MM-DD.\n\nInvoice:\n{{invoice}}"
	jsonObject := map[string]any{"type": "json_object"}
	schemaFormat := func(props map[string]any) map[string]any {
		return map[string]any{"type": "json_schema", "json_schema": map[string]any{"name": "invoice", "strict": true, "schema": map[string]any{
			"type": "object", "additionalProperties": false, "properties": props,
			"required": []any{"invoice_number", "vendor", "total", "currency", "due_date"},
		}}}
	}
	props := map[string]any{
		"invoice_number": map[string]any{"type": "string"},
		"vendor":         map[string]any{"type": "string"},
		"total":          map[string]any{"type": "number"},
		"currency":       map[string]any{"type": "string"},
		"due_date":       map[string]any{"type": "string"},
	}
	props5 := map[string]any{"line_items": map[string]any{"type": "array", "items": map[string]any{"type": "object"}}}
	for k, v := range props {
		props5[k] = v
	}
	inv := func(name, text, number string, total float64) store.Case {
		return tc(name, map[string]any{"invoice": text},
			as("is-json", nil), as("json-schema", invoiceSchema), as("contains", number),
			as("contains-json", map[string]any{"type": "object", "properties": map[string]any{"total": map[string]any{"const": total}}, "required": []any{"total"}}))
	}
	return demoPrompt{
		name:        "extract/invoice-json",
		description: "Pulls the fields accounts payable needs out of supplier invoices (pasted text or OCR).",
		tags:        []string{"finance", "extraction", "json"},
		versions: []demoVersion{
			{ago: 33 * day, author: devon, message: "Invoice extraction for the AP inbox", template: "Extract the invoice number, total and due date from this invoice as JSON.\n\n{{invoice}}", config: store.Config{Model: "demo/demo-small", Temperature: f64(0.3)}},
			{ago: 28 * day, author: devon, message: "Name the fields and ask for JSON only", template: v2, config: store.Config{Model: "demo/demo-small", Temperature: f64(0)}},
			{ago: 24 * day, author: lena, message: "JSON mode: the model kept wrapping the object in ```json fences", template: v2, config: store.Config{Model: "demo/demo-small", Temperature: f64(0), ResponseFormat: jsonObject}},
			{ago: 13 * day, author: lena, message: "Strict JSON schema; totals as numbers and ISO dates so the ledger import stops failing", template: v4, config: store.Config{Model: "demo/demo-small", Temperature: f64(0), ResponseFormat: schemaFormat(props)}},
			{ago: 4 * day, author: devon, message: "Also extract line items for the spend dashboard", template: v5, config: store.Config{Model: "demo/demo-small", Temperature: f64(0), MaxTokens: 600, ResponseFormat: schemaFormat(props5)}},
		},
		moves: []labelMove{
			{ago: 27 * day, label: "production", version: 2, actor: devon, reason: "first AP pilot"},
			{ago: 23 * day, label: "production", version: 3, actor: lena, reason: "JSON mode fixes parse errors in the AP pipeline"},
			{ago: 12 * day, label: "staging", version: 4, actor: lena, reason: "ledger import test"},
			{ago: 3 * day, label: "development", version: 5, actor: devon, reason: "spend dashboard prototype"},
		},
		suite: store.Suite{
			Description: "Invoices from our ten biggest suppliers, in their own formats.",
			Cases: []store.Case{
				inv("acme supplies", "ACME Supplies Ltd\nInvoice number: INV-2041\nIssued: 2026-03-01\nDue date: 2026-03-31\nConsulting hours  $1,000.00\nTravel  $240.50\nTotal due: $1,240.50", "INV-2041", 1240.5),
				inv("globex", "From: Globex Corporation\nInvoice # GX-88812\nDate: March 3, 2026\nPayment due: April 2, 2026\nLicence renewal  USD 8,400.00\nTotal: USD 8,400.00", "GX-88812", 8400),
				inv("initech eur", "Initech GmbH\nRechnung / Invoice no. IN-7781\nInvoice date: 12 Feb 2026\nDue: 14 Mar 2026\nServer rental  €2,150.00\nVAT 19%  €408.50\nTotal due: €2,558.50", "IN-7781", 2558.5),
				inv("umbrella small", "Umbrella Office Co.\nInvoice number: UMB-311\nDate: 01/15/2026\nDue date: 02/14/2026\nPaper, toner  $86.20\nTotal: $86.20", "UMB-311", 86.2),
				inv("hooli", "Hooli Cloud Services\nInvoice number: HC-10442\nBilling period: February 2026\nInvoice date: 2026-03-02\nDue date: 2026-04-01\nCompute  $12,480.00\nStorage  $1,020.00\nTax  $0.00\nTotal due: $13,500.00", "HC-10442", 13500),
				inv("stark", "Vendor: Stark Industries\nInvoice number: SI-2026-0091\nDate: Jan 28, 2026\nAmount due: $4,999.99\nDue date: Feb 27, 2026", "SI-2026-0091", 4999.99),
			},
		},
	}
}

// classify/sentiment: product reviews into three labels.
func sentiment() demoPrompt {
	v3 := "Classify the sentiment of the review as one of: positive, negative, neutral. Respond with only the label, in lowercase.\n\nReview: {{review}}"
	cases := []struct{ name, review, label string }{
		{"love it", "Absolutely love the new editor, it is fast and the shortcuts are intuitive.", "positive"},
		{"crashes", "The app crashes every time I export a PDF. Terrible update.", "negative"},
		{"meh", "It arrived on Tuesday. The box was blue.", "neutral"},
		{"not great", "Honestly not great. The sync is not reliable and support was not helpful.", "negative"},
		{"not bad", "Not bad at all, I didn't expect it to be this easy to set up.", "positive"},
		{"billing anger", "I was overcharged twice and nobody answers my emails. Unacceptable.", "negative"},
		{"recommend", "Would recommend to any small team, setup took five minutes.", "positive"},
		{"no complaints", "No complaints so far, it never crashed and never lost my work.", "positive"},
		{"shipping", "Delivery took three days, as announced.", "neutral"},
		{"slow support", "Support took a week to answer and the fix didn't work.", "negative"},
	}
	var suite []store.Case
	for _, c := range cases {
		suite = append(suite, store.Case{Name: c.name, Vars: map[string]any{"review": c.review}, Expected: c.label,
			Assertions: []store.Assertion{as("equals", c.label)}})
	}
	return demoPrompt{
		name:        "classify/sentiment",
		description: "Labels app store and support-survey reviews for the weekly voice-of-customer report.",
		tags:        []string{"classification", "analytics"},
		versions: []demoVersion{
			{ago: 40 * day, author: devon, message: "Sentiment for the VoC report", template: "What is the sentiment of this review?\n\n{{review}}", config: store.Config{Model: "demo/demo-small", Temperature: f64(0.7)}},
			{ago: 35 * day, author: devon, message: "Name the three labels", template: "Classify the sentiment of the review as positive, negative or neutral.\n\nReview: {{review}}", config: store.Config{Model: "demo/demo-small", Temperature: f64(0.2)}},
			{ago: 29 * day, author: maya, message: "Only the label, lowercase: the report script compares strings", template: v3, config: store.Config{Model: "demo/demo-small", Temperature: f64(0), MaxTokens: 5}},
			{ago: 6 * day, author: lena, message: "Switch to demo-large: demo-small misreads negations (\"not great\", \"not bad\")", template: v3, config: store.Config{Model: "demo/demo-large", Temperature: f64(0), MaxTokens: 5}},
		},
		moves: []labelMove{
			{ago: 34 * day, label: "production", version: 2, actor: devon, reason: "VoC report v1"},
			{ago: 28 * day, label: "production", version: 3, actor: maya, reason: "report script needs bare labels"},
			{ago: 5 * day, label: "staging", version: 4, actor: lena, reason: "negation cases fixed on the sample"},
		},
		suite: store.Suite{Description: "Hand-labelled reviews, including negations that used to be misread.", Cases: suite},
	}
}

// release-notes: from a commit list to customer-facing notes.
func releaseNotes() demoPrompt {
	v1 := "Write release notes for version {{version}} from these changes.\n\nChanges:\n{{changes}}"
	v2 := "Write customer-facing release notes for version {{version}}. Group the changes into sections and leave out internal changes such as chores, refactors and CI.\n\nChanges:\n{{changes}}"
	v3 := "Write customer-facing release notes for version {{version}}. Group the changes into sections and leave out internal changes such as chores, refactors and CI. Format them as markdown under a \"What's new in {{version}}\" heading, with no preamble.\n\nChanges:\n{{changes}}"
	cfg := store.Config{Model: "demo/demo-small", Temperature: f64(0.4), MaxTokens: 800}
	notes := func(name, version, changes string, mustHave ...any) store.Case {
		return tc(name, map[string]any{"version": version, "changes": changes},
			as("starts-with", "## What's new in {{version}}"), as("not-icontains-any", []any{"chore", "refactor", "ci:"}),
			as("not-contains", "🎉"), as("icontains-all", mustHave), as("contains-any", []any{"### New", "### Fixed"}))
	}
	return demoPrompt{
		name:        "release-notes",
		description: "Customer-facing release notes from the merged pull requests of a release.",
		tags:        []string{"product", "customer-facing"},
		versions: []demoVersion{
			{ago: 26 * day, author: maya, message: "Release notes draft from the changelog", template: v1, config: cfg},
			{ago: 18 * day, author: maya, message: "Customer-facing: group by type, drop internal changes", template: v2, config: cfg},
			{ago: 5 * day, author: devon, message: "Markdown heading and no preamble so it pastes straight into the changelog page", template: v3, config: cfg},
		},
		moves: []labelMove{
			{ago: 25 * day, label: "production", version: 1, actor: maya, reason: "2.3 release"},
			{ago: 17 * day, label: "production", version: 2, actor: maya, reason: "2.4 release: customers complained about chore noise"},
			{ago: 4 * day, label: "staging", version: 3, actor: devon, reason: "try for 2.6"},
		},
		suite: store.Suite{
			Description: "The last five releases' merged PRs.",
			Cases: []store.Case{
				notes("2.3", "2.3.0", "feat: dark mode for the web app (#812)\nfix: CSV export drops the last row (#815)\nchore: bump dependencies (#816)\nci: cache Go modules (#817)", "dark mode", "csv export"),
				notes("2.4", "2.4.0", "feat(api): webhooks for invoice events (#840)\nperf: dashboard loads 3x faster (#842)\nrefactor: split the billing service (#843)\nfix: timezone shown in UTC on reports (#845)", "webhooks", "faster"),
				notes("2.5", "2.5.0", "feat: SSO with Okta and Azure AD (#870)\nfix: password reset email sometimes not sent (#872)\nchore: remove dead feature flags (#873)", "sso", "password reset"),
				notes("2.5.1", "2.5.1", "fix: crash when opening projects with 50+ files (#881)\nfix: sync stalls after laptop sleep (#882)\ntest: flaky e2e login test (#883)", "crash", "sync"),
				notes("2.6", "2.6.0", "feat: audit log export (#901)\nfeat: bulk invite teammates from CSV (#903)\ndocs: API pagination guide (#904)\nbuild: reproducible release builds (#905)", "audit log", "bulk invite"),
			},
		},
	}
}

// onboarding/welcome-email: the first email a new customer gets.
func welcomeEmail() demoPrompt {
	v1 := "Write a welcome email to {{name}} who just signed up for {{product}}."
	v2 := "Write a welcome email to {{name}}, who just signed up for {{product}} on the {{plan}} plan. Start with a subject line and mention their plan."
	v3 := v2 + " Include a link to get started and sign off as The {{product}} Team."
	v4 := v3 + " Keep it short: under 110 words."
	cfg := store.Config{Model: "demo/demo-small", Temperature: f64(0.8), MaxTokens: 500}
	mail := func(name, product, plan string) store.Case {
		return tc(name+" on "+plan, map[string]any{"name": name, "product": product, "plan": plan},
			as("starts-with", "Subject:"), as("icontains", "{{name}}"), as("icontains", "{{plan}}"), as("contains", "https://"),
			maxWords(110), as("not-icontains", "here's a warm"))
	}
	return demoPrompt{
		name:        "onboarding/welcome-email",
		description: "Welcome email sent when a workspace is created.",
		tags:        []string{"growth", "email", "customer-facing"},
		versions: []demoVersion{
			{ago: 39 * day, author: maya, message: "Welcome email for new sign-ups", template: v1, config: cfg},
			{ago: 32 * day, author: maya, message: "Subject line and plan-specific copy", template: v2, config: cfg},
			{ago: 15 * day, author: priya, message: "Add the get-started link and a team sign-off (brand guidelines)", template: v3, config: cfg},
			{ago: 7 * day, author: maya, message: "Shorter: open rates drop after 100 words", template: v4, config: store.Config{Model: "demo/demo-small", Temperature: f64(0.6), MaxTokens: 300}},
		},
		moves: []labelMove{
			{ago: 31 * day, label: "production", version: 2, actor: maya, reason: "launch of plan-specific onboarding"},
			{ago: 14 * day, label: "staging", version: 3, actor: priya, reason: "brand review"},
			{ago: 13 * day, label: "production", version: 3, actor: priya, reason: "brand guidelines approved"},
			{ago: 6 * day, label: "staging", version: 4, actor: maya, reason: "A/B test of shorter copy"},
		},
		suite: store.Suite{
			Description: "New workspaces across plans and products.",
			Cases: []store.Case{
				mail("Ana", "Acme Cloud", "Team"),
				mail("Kenji", "Acme Cloud", "Free"),
				mail("Fatima", "Acme Analytics", "Enterprise"),
				mail("Lucas", "Acme Cloud", "Pro"),
				mail("Sofia", "Acme Analytics", "Team"),
			},
		},
	}
}

// moderation/toxicity: community comments; legal clarified that product
// criticism is not toxic.
func toxicity() demoPrompt {
	v2 := "Classify the comment as one of: toxic, safe. Respond with only the label.\n\nComment: {{comment}}"
	v3 := "Classify the comment as one of: toxic, safe. Criticism of the product, pricing or company is safe; only insults, threats or harassment aimed at people are toxic. Respond with only the label.\n\nComment: {{comment}}"
	cfg := store.Config{Model: "demo/demo-small", Temperature: f64(0), MaxTokens: 3}
	cases := []struct{ name, comment, label string }{
		{"insult", "You are an idiot if you think this is how sync should work.", "toxic"},
		{"product criticism", "The new dashboard is trash and the export is broken again.", "safe"},
		{"praise", "Great update, the editor feels much faster.", "safe"},
		{"threat", "Fix this or I will find where you live.", "toxic"},
		{"pricing rant", "This pricing is garbage, I'm moving to a competitor.", "safe"},
		{"harassment", "The support agent is a moron and so are the devs.", "toxic"},
		{"question", "Does the API support pagination on the invoices endpoint?", "safe"},
		{"stupid feature", "Removing offline mode was a stupid decision by the company.", "safe"},
		{"name calling", "Shut up, you clowns, nobody asked for this redesign.", "toxic"},
		{"bug report", "Export to CSV crashes with error 500 on large workspaces.", "safe"},
	}
	var suite []store.Case
	for _, c := range cases {
		suite = append(suite, store.Case{Name: c.name, Vars: map[string]any{"comment": c.comment}, Expected: c.label, Assertions: []store.Assertion{as("equals", c.label), as("length", map[string]any{"max": 5})}})
	}
	return demoPrompt{
		name:        "moderation/toxicity",
		description: "Flags community forum comments for the moderation queue.",
		tags:        []string{"trust-and-safety", "classification"},
		versions: []demoVersion{
			{ago: 37 * day, author: devon, message: "Toxicity check for the community forum", template: "Is this comment toxic?\n\n{{comment}}", config: store.Config{Model: "demo/demo-small", Temperature: f64(0.5)}},
			{ago: 30 * day, author: devon, message: "Two labels, label only", template: v2, config: cfg},
			{ago: 8 * day, author: priya, message: "Legal: product criticism is protected speech in our community policy; only attacks on people are toxic", template: v3, config: cfg},
		},
		moves: []labelMove{
			{ago: 29 * day, label: "production", version: 2, actor: devon, reason: "forum launch"},
			{ago: 7 * day, label: "staging", version: 3, actor: priya, reason: "community policy update"},
		},
		suite: store.Suite{Description: "Comments the moderators disagreed with the bot on.", Cases: suite},
	}
}

// assistant/product-qa: a chat prompt that answers from documentation.
func productQA() demoPrompt {
	docs := `Documentation:
Plans: the Free plan includes 3 projects and 2 members. The Team plan costs $12 per user per month and includes unlimited projects. The Enterprise plan adds SSO, audit logs and a 99.9% uptime SLA.
Exports: any project can be exported to CSV or PDF from Settings > Export. Exports of more than 1 million rows are emailed as a download link.
Security: data is encrypted at rest with AES-256 and in transit with TLS 1.3. Two-factor authentication can be enforced by workspace admins.
Billing: invoices are issued on the 1st of each month. Seats added mid-month are prorated.`
	s1 := "You are Acme Cloud's helpful assistant. Answer the user's question."
	s2 := "You are Acme Cloud's assistant. Answer the user's question using the documentation below.\n\n" + docs
	s3 := "You are Acme Cloud's assistant. Answer the user's question using only the documentation below, in at most 2 sentences. If the documentation does not cover the question, say \"I don't know\".\n\n" + docs
	q := user("{{question}}")
	cfg := store.Config{Model: "demo/demo-small", Temperature: f64(0.3), MaxTokens: 300}
	// The help widget shows answers inline: filler wastes its two lines.
	noFiller := as("not-icontains-any", []any{"great question", "happy to help", "anything else"})
	return demoPrompt{
		name:        "assistant/product-qa",
		description: "In-app help assistant answering questions from the product documentation.",
		tags:        []string{"assistant", "customer-facing"},
		versions: []demoVersion{
			{ago: 21 * day, author: maya, message: "In-app assistant prototype", messages: []store.Message{sys(s1), q}, config: cfg},
			{ago: 17 * day, author: devon, message: "Ground answers in the docs (it made up prices)", messages: []store.Message{sys(s2), q}, config: cfg},
			{ago: 3 * day, author: devon, message: "Short answers, and say \"I don't know\" outside the docs", messages: []store.Message{sys(s3), q}, config: cfg},
		},
		moves: []labelMove{
			{ago: 16 * day, label: "production", version: 2, actor: maya, reason: "beta for Team plan workspaces"},
			{ago: 2 * day, label: "staging", version: 3, actor: devon, reason: "fewer made-up answers in the beta logs"},
			{ago: 1 * time.Hour, label: "development", version: 3, actor: "", reason: "exploring the demo"},
		},
		suite: store.Suite{
			Description: "Questions from the in-app help widget.",
			Cases: []store.Case{
				tc("team price", map[string]any{"question": "How much does the Team plan cost?"}, as("icontains", "$12"), maxWords(60), noFiller),
				tc("export formats", map[string]any{"question": "Can I export a project to CSV?"}, as("icontains", "csv"), maxWords(60),
					asT("similar", "Any project can be exported to CSV or PDF from Settings > Export.", 0.5)),
				tc("sso", map[string]any{"question": "Which plan has SSO and audit logs?"}, as("icontains", "enterprise"), maxWords(60), noFiller),
				tc("encryption", map[string]any{"question": "Is my data encrypted at rest?"}, as("icontains", "AES-256"), maxWords(60),
					as("llm-rubric", "The answer mentions encryption at rest")),
				tc("invoice date", map[string]any{"question": "When are invoices issued?"}, as("icontains", "1st"), maxWords(60), noFiller),
				tc("out of scope", map[string]any{"question": "Do you have an office in Lisbon?"}, as("icontains", "don't know"), maxWords(60)),
			},
		},
	}
}
