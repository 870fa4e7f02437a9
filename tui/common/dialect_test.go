package common_test

import (
	"context"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/tui/common"
	ct "github.com/seed94f0f622/verso/tui/common/commontest"
	"github.com/seed94f0f622/verso/tui/diffview"
)

// The prompt view names a version's dialect when it is not mustache, and
// the diff of two versions shows a dialect change above the config.
func TestPromptViewAndDiffShowDialect(t *testing.T) {
	st, _ := ct.OpenStore(t)
	ctx := context.Background()
	v1, err := st.Commit(ctx, store.CommitInput{Name: "triage", Template: "Hi {{name}}"})
	if err != nil {
		t.Fatal(err)
	}
	v2, err := st.Commit(ctx, store.CommitInput{Name: "triage", Dialect: store.DialectJinja2, Template: "Hi {{ name }}"})
	if err != nil {
		t.Fatal(err)
	}
	c := ct.NewCommon(t, st, ct.Dark())
	view := ansi.Strip(strings.Join(common.VersionLines(c, v2, 80, true), "\n"))
	if !strings.Contains(view, "dialect jinja2") || !strings.Contains(view, "{{name}}") {
		t.Errorf("jinja2 view:\n%s", view)
	}
	if view := ansi.Strip(strings.Join(common.VersionLines(c, v1, 80, true), "\n")); strings.Contains(view, "dialect") {
		t.Errorf("a mustache version shows no dialect line:\n%s", view)
	}
	spec := common.VersionDiff(c, v1, v2)
	m := diffview.New(c.Styles)
	m.SetContent(spec.LeftTitle, spec.RightTitle, spec.Left, spec.Right)
	m.SetConfig(*spec.LeftConfig, *spec.RightConfig)
	m.SetDialect(spec.LeftDialect, spec.RightDialect)
	m.SetSize(100, 20)
	out := ansi.Strip(m.View())
	if !strings.Contains(out, "dialect") || !strings.Contains(out, "mustache") || !strings.Contains(out, "jinja2") {
		t.Errorf("diff shows no dialect change:\n%s", out)
	}
}
