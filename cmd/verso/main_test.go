package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// versoBin is the real binary, built once in TestMain; CLI tests run it as a
// user would and check stdout, stderr and the exit code.
var versoBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "verso-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	versoBin = filepath.Join(dir, "verso")
	build := exec.Command("go", "build", "-o", versoBin, ".")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build verso:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

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
	cmd := exec.Command(versoBin, args...)
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
	bin := filepath.Join(filepath.Dir(db), "verso-as")
	b, err := os.ReadFile(versoBin)
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(filepath.Dir(db), 0o755)
	if err := os.WriteFile(bin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(bin)
	if db != "" {
		args = append([]string{"--db", db}, args...)
	}
	cmd := exec.Command(bin, args...)
	// The other user has a home and a config folder of its own (none).
	cmd.Env = append(testEnv(t), "HOME=/tmp", "XDG_CONFIG_HOME=/tmp/verso-test-no-config")
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

// testEnv isolates the binary from the developer's own files.
func testEnv(t testing.TB) []string {
	home := t.TempDir()
	return []string{
		"HOME=" + home,
		"PATH=" + os.Getenv("PATH"),
		"XDG_DATA_HOME=" + filepath.Join(home, "data"),
		"XDG_CONFIG_HOME=" + filepath.Join(home, "config"),
		"VERSO_AUTHOR=tester",
		"NO_COLOR=1",
		"TERM=dumb",
	}
}

// mustOK fails the test unless the invocation exited 0.
func mustOK(t testing.TB, r result) result {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	return r
}
