package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/seed94f0f622/verso/demo/modelserver"
)

// promptfooBin is the promptfoo to compare with (VERSO_TEST_PROMPTFOO, the
// pinned release of internal/promptfoo installed by .ci/run). Without it
// the test skips, unless VERSO_REQUIRE_PROMPTFOO=1 (CI), where it fails.
func promptfooBin(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("VERSO_TEST_PROMPTFOO")
	if bin == "" {
		if os.Getenv("VERSO_REQUIRE_PROMPTFOO") == "1" {
			t.Fatal("VERSO_REQUIRE_PROMPTFOO=1 but VERSO_TEST_PROMPTFOO is not set: install internal/promptfoo (npm ci) and point it at node_modules/.bin/promptfoo")
		}
		t.Skip("VERSO_TEST_PROMPTFOO is not set (the path of a promptfoo binary, e.g. from npm ci in internal/promptfoo)")
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("VERSO_TEST_PROMPTFOO: %v", err)
	}
	return bin
}

// pfOutput is what this test reads of `promptfoo eval -o results.json`.
type pfOutput struct {
	Results struct {
		Results []struct {
			PromptIdx     int            `json:"promptIdx"`
			Success       bool           `json:"success"`
			FailureReason int            `json:"failureReason"` // 0 none, 1 an assertion, 2 an error
			Error         string         `json:"error"`
			Vars          map[string]any `json:"vars"`
			Response      *struct {
				Output any `json:"output"`
			} `json:"response"`
			TestCase struct {
				Description string `json:"description"`
			} `json:"testCase"`
			GradingResult *struct {
				ComponentResults []struct {
					Pass      bool   `json:"pass"`
					Reason    string `json:"reason"`
					Assertion struct {
						Type string `json:"type"`
					} `json:"assertion"`
				} `json:"componentResults"`
			} `json:"gradingResult"`
		} `json:"results"`
	} `json:"results"`
}

// verdict is one result of either tool, for comparison.
type verdict struct {
	output     string
	pass, err  bool
	assertions []assertionVerdict // nil when the tool reports none (an error)
	why        string
}

type assertionVerdict struct {
	typ  string
	pass bool
}

// TestSameVerdictsAsPromptfoo is issue 15's "done": a promptfoo user runs
// `verso import promptfooconfig.yaml` and `verso eval` and gets the cases
// and verdicts promptfoo gives on the same model. Both tools run the same
// config (testdata/promptfoo-verdicts: two prompts, defaultTest, vars from
// a file and a CSV, a list-valued var, a case threshold and weight, the
// deterministic assertion types people use most, llm-rubric graded by the
// demo model, a cost check on a model without a price) against one demo
// model server on loopback; the test asserts the same cases (prompt x
// vars), the same output for each, and the same verdict per case (pass,
// fail or error) and per assertion.
func TestSameVerdictsAsPromptfoo(t *testing.T) {
	pf := promptfooBin(t)
	srv, err := modelserver.Start("127.0.0.1:0", modelserver.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })

	work := t.TempDir()
	dir := filepath.Join(work, "shop-reviews")
	if err := os.CopyFS(dir, os.DirFS(filepath.Join("testdata", "promptfoo-verdicts"))); err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(dir, "promptfooconfig.yaml")
	// The same model for both: promptfoo's openai:chat:demo-small and
	// Verso's openai/demo-small both call the demo server.
	modelEnv := []string{"OPENAI_BASE_URL=" + srv.URL(), "OPENAI_API_KEY=not-a-key"}

	pfRes := runPromptfoo(t, pf, work, config, modelEnv)

	db := filepath.Join(work, "verso.db")
	env := append([]string{"VERSO_CONFIG=" + filepath.Join(work, "no-config.yaml")}, modelEnv...)
	mustOK(t, versoWith(t, env, db, "", "import", config))
	r := versoWith(t, env, db, "", "eval", "shop-reviews@1", "shop-reviews@2", "--format", "json")
	if r.code != 0 && r.code != 1 {
		t.Fatalf("verso eval: exit %d\n%s", r.code, r.stderr)
	}
	versoRes := readVersoVerdicts(t, r.stdout, mustOK(t, versoWith(t, env, db, "", "suite", "export", "shop-reviews", "--format", "jsonl")).stdout)

	// The same cases: every (prompt, vars) of one tool is in the other.
	var keys []string
	for k := range pfRes {
		keys = append(keys, k)
		if _, ok := versoRes[k]; !ok {
			t.Errorf("promptfoo ran a case Verso did not: %s", k)
		}
	}
	for k := range versoRes {
		if _, ok := pfRes[k]; !ok {
			t.Errorf("Verso ran a case promptfoo did not: %s", k)
		}
	}
	slices.Sort(keys)
	var n, passed, failed, errored, asserts int
	for _, k := range keys {
		p, v := pfRes[k], versoRes[k]
		if _, ok := versoRes[k]; !ok {
			continue
		}
		n++
		// promptfoo keeps no output for a case that errored.
		if !p.err && p.output != v.output {
			t.Errorf("%s: outputs differ (the prompts rendered differently):\npromptfoo %q\nverso     %q", k, p.output, v.output)
			continue
		}
		switch {
		case p.err:
			errored++
		case p.pass:
			passed++
		default:
			failed++
		}
		if p.pass != v.pass || p.err != v.err {
			t.Errorf("%s: promptfoo pass=%v error=%v (%s), Verso pass=%v error=%v (%s)", k, p.pass, p.err, p.why, v.pass, v.err, v.why)
		}
		if p.assertions == nil || v.assertions == nil {
			continue // an error: no verdict per assertion
		}
		if len(p.assertions) != len(v.assertions) {
			t.Errorf("%s: promptfoo checked %d assertions, Verso %d", k, len(p.assertions), len(v.assertions))
			continue
		}
		for i := range p.assertions {
			asserts++
			if p.assertions[i] != v.assertions[i] {
				t.Errorf("%s: assertion %d: promptfoo %+v, Verso %+v", k, i+1, p.assertions[i], v.assertions[i])
			}
		}
	}
	// The config is meant to give every kind of verdict: a comparison of
	// twenty all-passing cases would prove little.
	if n != 22 || asserts != 112 || passed == 0 || failed == 0 || errored == 0 {
		t.Errorf("%d cases (want 22) and %d assertion verdicts (want 112) compared: %d passed, %d failed, %d errors", n, asserts, passed, failed, errored)
	}
	t.Logf("%d cases and %d assertion verdicts compared with promptfoo: %d passed, %d failed, %d errors in both", n, asserts, passed, failed, errored)
}

// runPromptfoo runs `promptfoo eval` on config with the model environment,
// with no telemetry, update check or sharing, its state in a temporary
// folder (its database in memory: IS_TESTING), and returns its verdicts
// by case. With telemetry off promptfoo 0.121.20 still posts one "telemetry
// disabled" event: a proxy on a closed loopback port catches it, so the
// only connections it makes are to the demo server (checked with strace).
// The process group is killed if the test ends first.
func runPromptfoo(t *testing.T, bin, work, config string, modelEnv []string) map[string]verdict {
	t.Helper()
	out := filepath.Join(work, "promptfoo-results.json")
	home := filepath.Join(work, "promptfoo-home")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "eval", "-c", config, "-o", out, "--no-cache", "--no-share", "--no-table", "--no-progress-bar")
	cmd.Dir = filepath.Dir(config)
	cmd.Env = append([]string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"PROMPTFOO_CONFIG_DIR=" + filepath.Join(home, ".promptfoo"),
		"PROMPTFOO_DISABLE_TELEMETRY=1",
		"PROMPTFOO_DISABLE_UPDATE=1",
		"PROMPTFOO_DISABLE_SHARING=1",
		"PROMPTFOO_DISABLE_REMOTE_GENERATION=1",
		"PROMPTFOO_DISABLE_RUNTIME_WARNINGS=1",
		"IS_TESTING=1",
		"HTTPS_PROXY=http://127.0.0.1:9",
		"HTTP_PROXY=http://127.0.0.1:9",
		"NO_PROXY=127.0.0.1,localhost",
		"NO_COLOR=1",
	}, modelEnv...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	log, err := cmd.CombinedOutput()
	// promptfoo exits 100 when a test fails, as here on purpose.
	if ee, ok := err.(*exec.ExitError); err != nil && (!ok || ee.ExitCode() != 100) {
		t.Fatalf("promptfoo eval: %v\n%s", err, log)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("promptfoo wrote no results: %v\n%s", err, log)
	}
	var doc pfOutput
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("promptfoo results: %v", err)
	}
	res := map[string]verdict{}
	for _, r := range doc.Results.Results {
		// promptfoo keeps a file:// var as its path in the results and reads
		// it when it renders the prompt (trimmed): the case is that text.
		for k, val := range r.Vars {
			if s, ok := val.(string); ok && strings.HasPrefix(s, "file://") {
				text, err := os.ReadFile(filepath.Join(filepath.Dir(config), strings.TrimPrefix(s, "file://")))
				if err != nil {
					t.Fatal(err)
				}
				r.Vars[k] = strings.TrimSpace(string(text))
			}
		}
		v := verdict{pass: r.Success, err: r.FailureReason == 2, why: r.Error}
		if r.Response != nil {
			v.output, _ = r.Response.Output.(string)
		}
		if g := r.GradingResult; g != nil && !v.err {
			v.assertions = []assertionVerdict{}
			for _, c := range g.ComponentResults {
				v.assertions = append(v.assertions, assertionVerdict{c.Assertion.Type, c.Pass})
			}
		}
		res[caseKey(t, r.PromptIdx+1, r.Vars)] = v
	}
	return res
}

// readVersoVerdicts reads `verso eval --format json` by case, the cases'
// vars from `verso suite export --format jsonl`.
func readVersoVerdicts(t *testing.T, report, cases string) map[string]verdict {
	t.Helper()
	vars := map[string]map[string]any{}
	for _, line := range strings.Split(strings.TrimSpace(cases), "\n") {
		var c struct {
			Description string         `json:"description"`
			Vars        map[string]any `json:"vars"`
		}
		if err := json.Unmarshal([]byte(line), &c); err != nil {
			t.Fatalf("suite export: %v: %s", err, line)
		}
		if _, dup := vars[c.Description]; dup {
			t.Fatalf("two cases are named %q: the report could not tell them apart", c.Description)
		}
		vars[c.Description] = c.Vars
	}
	var doc struct {
		Results []struct {
			Version    int    `json:"version"`
			Case       string `json:"case"`
			Pass       bool   `json:"pass"`
			Error      string `json:"error"`
			Output     string `json:"output"`
			Assertions []struct {
				Type string `json:"type"`
				Pass bool   `json:"pass"`
			} `json:"assertions"`
		} `json:"results"`
	}
	if err := json.Unmarshal([]byte(report), &doc); err != nil {
		t.Fatalf("verso eval --format json: %v\n%s", err, report)
	}
	res := map[string]verdict{}
	for _, r := range doc.Results {
		vs, ok := vars[r.Case]
		if !ok {
			t.Fatalf("case %q is not in the suite export", r.Case)
		}
		v := verdict{output: r.Output, pass: r.Pass, err: r.Error != "", why: r.Error}
		if !v.err {
			v.assertions = []assertionVerdict{}
			for _, a := range r.Assertions {
				v.assertions = append(v.assertions, assertionVerdict{a.Type, a.Pass})
			}
		}
		res[caseKey(t, r.Version, vs)] = v
	}
	return res
}

// caseKey names a case by prompt (1-based) and vars, as JSON with sorted
// keys.
func caseKey(t *testing.T, prompt int, vars map[string]any) string {
	t.Helper()
	b, err := json.Marshal(vars)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("prompt %d %s", prompt, b)
}
