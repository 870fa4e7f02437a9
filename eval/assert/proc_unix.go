//go:build unix

package assert

import (
	"os/exec"
	"syscall"
)

// groupKill makes cmd's cancellation kill its whole process group, so a
// script that started children does not outlive its time limit.
func groupKill(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
}
