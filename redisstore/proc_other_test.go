//go:build !linux

package redisstore

import "syscall"

// dieWithParent has no portable equivalent outside Linux; TestMain's clean-up stops the
// server on a normal exit.
func dieWithParent() *syscall.SysProcAttr { return nil }
