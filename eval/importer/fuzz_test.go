package importer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzReadFile feeds arbitrary bytes to every reader as each format: an
// import either gives a plan or an error, never a panic or a hang.
func FuzzReadFile(f *testing.F) {
	f.Add("promptfooconfig.yaml", pfConfig)
	f.Add("a.prompty", "---\nname: x\nmodel:\n  id: gpt-4o\n---\nsystem:\nHi {{x}}\nuser:\n{{q}}\n")
	f.Add("a.prompt", "# c\n---\nmodel: m\ninput:\n  default: {a: 1}\n---\n{{#role \"system\"}}S{{/role}}{{role \"user\"}}{{a}}{{> p}}")
	f.Add("lf.json", langfuseExport)
	f.Add("x.yaml", "a: &a [x]\nb: [*a, *a]\n")
	f.Add("t.csv", "q,__expected\n\"a,b\",latency(5)\n")
	f.Add("s.prompt", "---\noutput:\n  format: json\n  schema:\n    a: string, x\n    b(array): {c?: integer}\n    d(enum): [X, Y]\n    e(object):\n      (*): any\n---\n{{a}}")
	f.Add("promptfooconfig.yaml", "prompts:\n  - messages: [{role: system, content: hi}, {role: user, content: '{{ q }}'}]\nassertionTemplates: {t: {type: contains, value: x}}\ntests:\n  - vars: {q: [a, b]}\n    assert: [{$ref: '#/assertionTemplates/t'}, {type: javascript, value: 'output.length > 1'}]\n")
	f.Fuzz(func(t *testing.T, name, body string) {
		name = filepath.Base(strings.ReplaceAll(name, "\x00", ""))
		if name == "" || name == "." || name == ".." || name == "/" {
			name = "f.yaml"
		}
		dir := t.TempDir()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Skip()
		}
		for _, f := range []Format{Auto, Promptfoo, Prompty, Dotprompt, Langfuse} {
			plan, err := Read(p, Options{Format: f, SkipUnsupported: true})
			if err == nil && plan != nil {
				_ = plan.Summary()
			}
		}
	})
}
