package modelserver

import (
	"regexp"
	"strconv"
	"strings"
)

var (
	reCreateTable = regexp.MustCompile(`(?is)create\s+table\s+(?:if\s+not\s+exists\s+)?["\x60]?(\w+)["\x60]?\s*\((.*?)\)\s*;`)
	reTableParen  = regexp.MustCompile(`(?m)^\s*[-*]?\s*(\w+)\s*\(([\w\s,]+)\)`)
	reTopN        = regexp.MustCompile(`(?i)\b(?:top|first|best|largest|biggest)\s+(\d+)|(\d+)\s+(?:most|largest|biggest|highest|top)`)
	reYear        = regexp.MustCompile(`\b(20\d\d)\b`)
	reLastDays    = regexp.MustCompile(`(?i)last\s+(\d+)\s+days`)
	reQuotedVal   = regexp.MustCompile(`['"]([^'"]+)['"]`)
)

type table struct {
	name string
	cols []string
}

func parseTables(s string) []table {
	var out []table
	for _, m := range reCreateTable.FindAllStringSubmatch(s, -1) {
		t := table{name: strings.ToLower(m[1])}
		for _, part := range strings.Split(m[2], ",") {
			if f := strings.Fields(part); len(f) > 0 {
				c := strings.ToLower(strings.Trim(f[0], "\"`"))
				if c != "primary" && c != "foreign" && c != "unique" && c != "constraint" {
					t.cols = append(t.cols, c)
				}
			}
		}
		if len(t.cols) > 0 { // a table without columns gives nothing to query
			out = append(out, t)
		}
	}
	if len(out) > 0 {
		return out
	}
	for _, m := range reTableParen.FindAllStringSubmatch(s, -1) {
		t := table{name: strings.ToLower(m[1])}
		for _, c := range strings.Split(m[2], ",") {
			if c = strings.ToLower(strings.TrimSpace(c)); c != "" {
				t.cols = append(t.cols, strings.Fields(c)[0])
			}
		}
		if len(t.cols) > 0 {
			out = append(out, t)
		}
	}
	return out
}

func singular(s string) string {
	switch {
	case strings.HasSuffix(s, "ies"):
		return s[:len(s)-3] + "y"
	case strings.HasSuffix(s, "ses"):
		return s[:len(s)-2]
	case strings.HasSuffix(s, "s"):
		return s[:len(s)-1]
	}
	return s
}

func (tb table) has(col string) bool {
	for _, c := range tb.cols {
		if c == col {
			return true
		}
	}
	return false
}

// colLike returns the first column whose name contains one of the hints.
func (tb table) colLike(hints ...string) string {
	for _, h := range hints {
		for _, c := range tb.cols {
			if strings.Contains(c, h) {
				return c
			}
		}
	}
	return ""
}

// sqlReply writes a SELECT for the question from the schema in the prompt.
func (t *task) sqlReply() string {
	q := strings.ToLower(t.input)
	tables := parseTables(t.insRaw)
	if len(tables) == 0 {
		// No schema: guess a table from the question's nouns, as models do.
		name := "records"
		for _, w := range words(q) {
			if strings.HasSuffix(w, "s") && len(w) > 4 && !stopWords[w] && w != "how" {
				name = w
				break
			}
		}
		tables = []table{{name: name, cols: []string{"id", "created_at", "amount", "status"}}}
	}
	main := tables[0]
	best := -1
	for _, tb := range tables {
		score := 0
		if strings.Contains(q, tb.name) || strings.Contains(q, singular(tb.name)) {
			score += 3
		}
		for _, c := range tb.cols {
			if strings.Contains(q, strings.ReplaceAll(c, "_", " ")) {
				score++
			}
		}
		if score > best {
			main, best = tb, score
		}
	}
	postgres := t.has("postgres")
	amount := main.colLike("amount", "total", "revenue", "price", "value", "cost")
	dateCol := main.colLike("created_at", "date", "_at", "time")

	var sel, where, group, order, limit []string
	var join string
	// GROUP BY "per X" / "by X" / "for each X" / "each X".
	for _, tb := range tables {
		for _, c := range tb.cols {
			cw := strings.ReplaceAll(c, "_", " ")
			for _, p := range []string{"per " + cw, "by " + cw, "each " + cw, "per " + singular(tb.name), "each " + singular(tb.name), "by " + singular(tb.name)} {
				if strings.Contains(q, p) && len(group) == 0 {
					if tb.name == main.name {
						group = append(group, c)
					} else if fk := singular(tb.name) + "_id"; main.has(fk) {
						join = " JOIN " + tb.name + " ON " + tb.name + ".id = " + main.name + "." + fk
						group = append(group, tb.name+"."+c)
					}
				}
			}
		}
	}
	qw := map[string]bool{}
	for _, w := range words(q) {
		qw[w] = true
	}
	agg := ""
	switch {
	case containsAny(q, "how many", "number of") || qw["count"]:
		agg = "COUNT(*)"
	case containsAny(q, "average", "avg", "mean") && amount != "":
		agg = "AVG(" + amount + ")"
	case containsAny(q, "total", "sum", "revenue", "how much") && amount != "":
		agg = "SUM(" + amount + ")"
	}
	sel = append(sel, group...)
	switch {
	case agg != "":
		alias := strings.ToLower(strings.NewReplacer("COUNT(*)", "count", "AVG(", "avg_", "SUM(", "total_", ")", "").Replace(agg))
		if alias == "total_total" {
			alias = "total"
		}
		sel = append(sel, agg+" AS "+alias)
	case len(sel) == 0:
		var named []string
		for _, c := range main.cols {
			if strings.Contains(q, strings.ReplaceAll(c, "_", " ")) && c != "id" {
				named = append(named, c)
			}
		}
		if len(named) > 0 && t.large {
			sel = named
		} else {
			sel = []string{"*"}
		}
	}
	// WHERE from statuses, quoted values, years and "last N days".
	for _, f := range []struct {
		cols   []string
		values []string
	}{
		{[]string{"status", "state"}, []string{"open", "closed", "pending", "paid", "unpaid", "overdue", "active", "cancelled", "canceled", "refunded", "shipped", "delivered", "resolved"}},
		{[]string{"priority", "severity"}, []string{"urgent", "high", "medium", "low"}},
		{[]string{"plan", "tier"}, []string{"free", "team", "pro", "enterprise", "starter"}},
	} {
		col := main.colLike(f.cols...)
		if col == "" {
			continue
		}
		for _, v := range f.values {
			if qw[v] {
				where = append(where, col+" = '"+v+"'")
				break
			}
		}
	}
	for _, m := range reQuotedVal.FindAllStringSubmatch(t.input, -1) {
		col := main.colLike("name", "country", "city", "plan", "category")
		if col != "" {
			where = append(where, col+" = '"+strings.ReplaceAll(m[1], "'", "''")+"'")
		}
	}
	if col := main.colLike("country"); col != "" {
		for _, w := range strings.Fields(t.input) {
			w = strings.Trim(w, ".,?!")
			if len(w) > 2 && w[0] >= 'A' && w[0] <= 'Z' && !stopWords[strings.ToLower(w)] && isCountry(w) {
				where = append(where, col+" = '"+w+"'")
			}
		}
	}
	if dateCol != "" {
		if m := reYear.FindStringSubmatch(q); m != nil {
			y, _ := strconv.Atoi(m[1])
			where = append(where, dateCol+" >= '"+m[1]+"-01-01'", dateCol+" < '"+strconv.Itoa(y+1)+"-01-01'")
		} else if m := reLastDays.FindStringSubmatch(q); m != nil {
			if postgres {
				where = append(where, dateCol+" >= NOW() - INTERVAL '"+m[1]+" days'")
			} else {
				where = append(where, dateCol+" >= date('now', '-"+m[1]+" days')")
			}
		} else if strings.Contains(q, "last month") {
			if postgres {
				where = append(where, dateCol+" >= date_trunc('month', NOW()) - INTERVAL '1 month'", dateCol+" < date_trunc('month', NOW())")
			} else {
				where = append(where, dateCol+" >= date('now', 'start of month', '-1 month')", dateCol+" < date('now', 'start of month')")
			}
		}
	}
	recent := containsAny(q, "most recent", "latest", "newest", "recent") && dateCol != ""
	if m := reTopN.FindStringSubmatch(q); m != nil && recent {
		n := m[1]
		if n == "" {
			n = m[2]
		}
		order = append(order, dateCol+" DESC")
		limit = append(limit, n)
	} else if m != nil {
		n := m[1]
		if n == "" {
			n = m[2]
		}
		by := amount
		if agg != "" {
			by = strings.Fields(sel[len(sel)-1])[2]
		}
		if by == "" {
			by = main.cols[0]
		}
		order = append(order, by+" DESC")
		limit = append(limit, n)
	} else if recent {
		order = append(order, dateCol+" DESC")
		limit = append(limit, "10")
	}

	var b strings.Builder
	b.WriteString("SELECT " + strings.Join(sel, ", ") + "\nFROM " + main.name + join)
	if len(where) > 0 {
		b.WriteString("\nWHERE " + strings.Join(where, "\n  AND "))
	}
	if len(group) > 0 {
		b.WriteString("\nGROUP BY " + strings.Join(group, ", "))
	}
	if len(order) > 0 {
		b.WriteString("\nORDER BY " + strings.Join(order, ", "))
	}
	if len(limit) > 0 {
		b.WriteString("\nLIMIT " + limit[0])
	}
	b.WriteString(";")
	query := b.String()
	if t.only() {
		if !t.large && !t.has("no markdown", "no code fence", "without code fence", "no backticks", "plain text") {
			return "```sql\n" + query + "\n```"
		}
		return query
	}
	return t.pick("Sure! Here's a SQL query that answers your question:\n\n", "Here is the query:\n\n") + "```sql\n" + query + "\n```\n\n" +
		"This query reads the `" + main.name + "` table" + explainWhere(where) + ". Let me know if your schema is different!"
}

func explainWhere(where []string) string {
	if len(where) == 0 {
		return ""
	}
	return " and filters on " + strings.Join(where, " and ")
}

var countries = wordSet(`Germany France Spain Italy Canada Mexico Brazil Japan China India Australia Netherlands Sweden Norway Denmark Poland Ireland Portugal Austria Switzerland UK USA`)

func isCountry(w string) bool { return countries[w] }
