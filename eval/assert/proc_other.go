//go:build !unix

package assert

import "os/exec"

// groupKill: without process groups, cancellation kills the interpreter.
func groupKill(cmd *exec.Cmd) {}
