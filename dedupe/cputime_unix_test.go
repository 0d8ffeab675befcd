//go:build unix

package dedupe

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time the process has used: on a shared machine,
// articles per CPU second is the per-core figure that other load does not
// change.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
