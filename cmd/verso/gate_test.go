package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// versoEnv runs the binary like verso, with extra environment variables.
func versoEnv(t testing.TB, env []string, db string, args ...string) result {
	t.Helper()
	return versoWith(t, env, db, "", args...)
}

type gateOut struct {
	Registry struct {
		Protected   []string `json:"protected"`
		MinPassRate float64  `json:"min_pass_rate"`
		Suite       string   `json:"suite"`
		UpdatedBy   *string  `json:"updated_by"`
	} `json:"registry"`
	Config *struct {
		Path      string   `json:"path"`
		Protected []string `json:"protected"`
	} `json:"config"`
	Effective struct {
		Protected   []string `json:"protected"`
		MinPassRate float64  `json:"min_pass_rate"`
		Suite       string   `json:"suite"`
	} `json:"effective"`
}

func gateJSONOf(t *testing.T, r result) gateOut {
	t.Helper()
	var g gateOut
	if err := json.Unmarshal([]byte(mustOK(t, r).stdout), &g); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	return g
}

// oneLineErr checks a refusal: exit 2 and one line on stderr naming each want.
func oneLineErr(t *testing.T, r result, wants ...string) {
	t.Helper()
	if r.code != 2 || !strings.HasPrefix(r.stderr, "verso: ") || strings.Count(r.stderr, "\n") != 1 {
		t.Fatalf("want exit 2 and one line on stderr, got exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	for _, w := range wants {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("stderr %q lacks %q", r.stderr, w)
		}
	}
}

func TestGateCommandAndLabelRefusal(t *testing.T) {
	db, dir := evalDB(t, 3)
	r := mustOK(t, verso(t, db, "", "gate"))
	for _, want := range []string{"protected:      production", "min pass rate:  100%", `suite "default"`, "nobody yet"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("gate lacks %q:\n%s", want, r.stdout)
		}
	}
	g := gateJSONOf(t, verso(t, db, "", "gate", "--json"))
	if strings.Join(g.Registry.Protected, ",") != "production" || g.Registry.MinPassRate != 1 || g.Registry.UpdatedBy != nil || g.Config != nil || g.Effective.Suite != "default" {
		t.Fatalf("default gate: %+v", g)
	}

	// No evidence: refused, saying what to run or how to force.
	oneLineErr(t, verso(t, db, "", "label", "sentiment", "2", "production"),
		"production is protected", "run `verso eval sentiment@2 --suite default` first", "or pass --force --reason TEXT")
	oneLineErr(t, verso(t, db, "", "label", "sentiment", "2", "production", "--force"), "needs a reason")
	r = mustOK(t, verso(t, db, "", "label", "sentiment", "2", "production", "--force", "--reason", "hotfix"))
	if !strings.Contains(r.stdout, "forced past the eval gate") {
		t.Fatalf("forced: %q", r.stdout)
	}
	if r := mustOK(t, verso(t, db, "", "labels", "sentiment", "--json")); !strings.Contains(r.stdout, `"forced": true`) {
		t.Fatalf("the forced move is not recorded as forced: %s", r.stdout)
	}
	// A passing run of v1 is the evidence for moving production to it.
	mustOK(t, verso(t, db, "", "eval", "sentiment@1", "--model", "demo/demo-small"))
	r = mustOK(t, verso(t, db, "", "label", "sentiment", "1", "production"))
	if !strings.Contains(r.stdout, "(evidence: run 1)") {
		t.Fatalf("gated move: %q", r.stdout)
	}

	// Setting the gate: stored in the file, for everyone.
	mustOK(t, verso(t, db, "", "suite", "import", "sentiment", filepath.Join(dir, "cases.yaml"), "--suite", "smoke"))
	r = mustOK(t, verso(t, db, "", "gate", "--protect", "eu", "--protect", "production", "--min-pass-rate", "0.95", "--suite", "smoke"))
	if !strings.Contains(r.stdout, "protected:      eu, production") || !strings.Contains(r.stdout, "95%") || !strings.Contains(r.stdout, "set by:         tester") {
		t.Fatalf("gate set:\n%s", r.stdout)
	}
	g = gateJSONOf(t, verso(t, db, "", "gate", "--json"))
	if strings.Join(g.Registry.Protected, ",") != "eu,production" || g.Registry.MinPassRate != 0.95 || g.Registry.Suite != "smoke" || g.Registry.UpdatedBy == nil || *g.Registry.UpdatedBy != "tester" {
		t.Fatalf("stored gate: %+v", g)
	}
	oneLineErr(t, verso(t, db, "", "label", "sentiment", "1", "eu"), "eu is protected", "`verso eval sentiment@1 --suite smoke`")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--min-pass-rate", "2"}, "between 0 and 1"},
		{[]string{"--protect", "latest"}, `"latest" is implicit`},
		{[]string{"--protect", "Bad Label"}, "invalid label"},
		{[]string{"--unprotect", "canary"}, "canary is not protected (protected: eu, production)"},
		{[]string{"--protect", "eu", "--unprotect", "eu"}, "pick one"},
		{[]string{"--suite", "Bad Suite"}, "suite name"},
	} {
		oneLineErr(t, verso(t, db, "", append([]string{"gate"}, c.args...)...), c.want)
	}
	mustOK(t, verso(t, db, "", "gate", "--unprotect", "eu", "--suite", "default", "--min-pass-rate", "1"))

	// A config file can add protection for its user, never remove it.
	cfg := filepath.Join(dir, "config.yaml")
	os.WriteFile(cfg, []byte("gate:\n  protected: [staging]\n  min_pass_rate: 0.5\n  suite: other\n"), 0o600)
	env := []string{"VERSO_CONFIG=" + cfg}
	oneLineErr(t, versoEnv(t, env, db, "label", "sentiment", "2", "staging"),
		"staging is protected (by your config file's gate section)", "`verso eval sentiment@2 --suite default`")
	oneLineErr(t, versoEnv(t, env, db, "label", "sentiment", "2", "production"), "production is protected")
	r = versoEnv(t, env, db, "gate")
	if r.code != 0 || !strings.Contains(r.stdout, "Your config ("+cfg+") adds:") || !strings.Contains(r.stdout, "50% (no effect") ||
		!strings.Contains(r.stdout, `Enforced for you: production, staging protected, 100% on suite "default"`) || !strings.Contains(r.stderr, `gate.suite "other" is ignored`) {
		t.Fatalf("gate with a config:\n%s\n%s", r.stdout, r.stderr)
	}
	g = gateJSONOf(t, versoEnv(t, env, db, "gate", "--json"))
	if g.Config == nil || g.Config.Path != cfg || strings.Join(g.Effective.Protected, ",") != "production,staging" || g.Effective.MinPassRate != 1 || strings.Join(g.Registry.Protected, ",") != "production" {
		t.Fatalf("gate json with a config: %+v", g)
	}
	mustOK(t, verso(t, db, "", "label", "sentiment", "2", "staging")) // without the config: not protected
	os.WriteFile(cfg, []byte("gate:\n  protected: [latest]\n"), 0o600)
	// A gate: section that cannot be applied stops writes (they may move
	// labels), not reads.
	oneLineErr(t, versoEnv(t, env, db, "label", "sentiment", "2", "canary"), "config "+cfg, `"latest" is implicit`)
	mustOK(t, versoEnv(t, env, db, "list"))
	oneLineErr(t, versoEnv(t, env, db, "gate"), "config "+cfg)
}

// A script confirms the move it read: --expect-from refuses (exit 2,
// nothing written) when the label holds another version.
func TestLabelAndRollbackExpectFrom(t *testing.T) {
	db, _ := evalDB(t, 1)
	mustOK(t, verso(t, db, "", "label", "sentiment", "1", "staging", "--expect-from", "0"))
	oneLineErr(t, verso(t, db, "", "label", "sentiment", "2", "staging", "--expect-from", "0"),
		"staging of sentiment was set meanwhile: it is on v1", "nothing was changed")
	mustOK(t, verso(t, db, "", "label", "sentiment", "2", "staging", "--expect-from", "1"))
	oneLineErr(t, verso(t, db, "", "rollback", "sentiment", "staging", "--expect-from", "1"),
		"staging of sentiment moved meanwhile: it is on v2, not v1", "`verso labels sentiment`")
	oneLineErr(t, verso(t, db, "", "label", "sentiment", "0", "staging", "--remove", "--expect-from", "1"), "it is on v2, not v1")
	oneLineErr(t, verso(t, db, "", "label", "sentiment", "1", "staging", "--expect-from", "two"), "not a version number")
	if r := mustOK(t, verso(t, db, "", "labels", "sentiment", "--json")); strings.Count(r.stdout, `"label": "staging"`) != 3 {
		t.Fatalf("a refused change was written:\n%s", r.stdout)
	}
	r := mustOK(t, verso(t, db, "", "rollback", "sentiment", "staging", "--expect-from", "v2"))
	if !strings.Contains(r.stdout, "rolled back v2 -> v1") {
		t.Fatalf("rollback: %q", r.stdout)
	}
	// Removing a protected label needs force and a reason; the advice is the CLI's.
	mustOK(t, verso(t, db, "", "label", "sentiment", "1", "production", "--force", "--reason", "first"))
	oneLineErr(t, verso(t, db, "", "label", "sentiment", "0", "production", "--remove"),
		"production is protected: removing it needs force and a reason", "pass --force --reason TEXT")
	mustOK(t, verso(t, db, "", "label", "sentiment", "0", "production", "--remove", "--force", "--reason", "retired"))
	// Typed "not found" errors get the CLI's advice, not the store's.
	oneLineErr(t, verso(t, db, "", "label", "nope", "1", "staging"), `no prompt named "nope"`, "see `verso list`")
	oneLineErr(t, verso(t, db, "", "show", "sentiment@canary"), `has no label "canary"`, "set one with `verso label sentiment VERSION canary`")
}
