package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// The test binary is also the verso command: testscript.Main installs a
// copy of it named verso in $PATH, and a process started under that name
// runs main's command tree. Scripts (testdata/script/*.txtar, see
// script_test.go) and the real-process tests (signals, exit codes,
// permissions) both run it, with no separate build, and `go test -cover`
// counts what they execute.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"verso": func() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
	})
}

// versoBin is the verso command in $PATH (the copy of the test binary
// that testscript.Main installed); it is set once the tests run.
var versoBin = sync.OnceValue(func() string {
	p, err := exec.LookPath("verso")
	if err != nil {
		panic("verso is not in $PATH: TestMain did not install it: " + err.Error())
	}
	return p
})

// result of one CLI invocation.
type result struct {
	stdout, stderr string
	code           int
}

// verso runs the binary with a clean environment pointing at db (if not
// empty), with stdin from in.
func verso(t testing.TB, db, in string, args ...string) result {
	t.Helper()
	return versoWith(t, nil, db, in, args...)
}

// versoWith is verso with extra environment variables.
func versoWith(t testing.TB, env []string, db, in string, args ...string) result {
	t.Helper()
	if db != "" {
		args = append([]string{"--db", db}, args...)
	}
	cmd := exec.Command(versoBin(), args...)
	cmd.Env = append(testEnv(t), env...)
	cmd.Stdin = strings.NewReader(in)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run verso %v: %v", args, err)
	}
	return result{out.String(), errb.String(), code}
}

// versoAs runs the binary as another user (tests that need file
// permissions to apply when the suite runs as root).
func versoAs(t testing.TB, uid uint32, db, in string, args ...string) result {
	t.Helper()
	// A copy the other user can run, named verso (the test binary runs
	// the command tree under that name).
	bin := filepath.Join(filepath.Dir(db), "as-bin", "verso")
	b, err := os.ReadFile(versoBin())
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(filepath.Dir(db), 0o755)
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(filepath.Dir(bin))
	if db != "" {
		args = append([]string{"--db", db}, args...)
	}
	cmd := exec.Command(bin, args...)
	// The other user has a home and a config folder of its own (none), and
	// cannot write the coverage folder of the user running the tests: under
	// -cover it gets a folder of its own (its counts are not merged).
	var env []string
	for _, kv := range testEnv(t) {
		if !strings.HasPrefix(kv, "GOCOVERDIR=") {
			env = append(env, kv)
		}
	}
	if os.Getenv("GOCOVERDIR") != "" {
		dir, err := os.MkdirTemp("", "verso-cover-")
		if err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(dir)
		os.Chmod(dir, 0o777)
		env = append(env, "GOCOVERDIR="+dir)
	}
	cmd.Env = append(env, "HOME=/tmp", "XDG_CONFIG_HOME=/tmp/verso-test-no-config")
	cmd.Stdin = strings.NewReader(in)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: uid}}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run verso as %d %v: %v", uid, args, err)
	}
	return result{out.String(), errb.String(), code}
}

// testEnv isolates the binary from the developer's own files. It passes
// GOCOVERDIR on (set by `go test -cover`), so the processes count towards
// coverage instead of warning on stderr that they cannot.
func testEnv(t testing.TB) []string {
	home := t.TempDir()
	var cover []string
	if d := os.Getenv("GOCOVERDIR"); d != "" {
		cover = []string{"GOCOVERDIR=" + d}
	}
	return append(cover,
		"HOME="+home,
		"PATH="+os.Getenv("PATH"),
		"XDG_DATA_HOME="+filepath.Join(home, "data"),
		"XDG_CONFIG_HOME="+filepath.Join(home, "config"),
		"VERSO_AUTHOR=tester",
		"NO_COLOR=1",
		"TERM=dumb",
	)
}

// mustOK fails the test unless the invocation exited 0.
func mustOK(t testing.TB, r result) result {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	return r
}
