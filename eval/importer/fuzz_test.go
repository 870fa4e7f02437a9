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
