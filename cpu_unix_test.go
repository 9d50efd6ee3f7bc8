//go:build unix

package offiaccount

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time the process has used (user and system, all threads, the
// garbage collector's included): on a shared machine it varies far less than wall time.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
