package redisstore

import "syscall"

// dieWithParent makes the kernel kill redis-server when the test binary dies, even by a
// panic that skips TestMain's clean-up.
func dieWithParent() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
