//go:build unix

package locust

import (
	"log/slog"
	"syscall"
)

// rlimitWantOpenFiles is the open-file limit below which a load test
// warns, as Locust: every connection is a file descriptor.
const rlimitWantOpenFiles = 10000

// rlimitRaiseOpenFiles raises the soft limit on open files to the hard
// limit (the Go runtime usually did already) and warns if it stays below
// rlimitWantOpenFiles.
func rlimitRaiseOpenFiles(log *slog.Logger) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return
	}
	if lim.Cur < lim.Max {
		raised := lim
		raised.Cur = lim.Max
		if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &raised) == nil {
			lim = raised
		}
	}
	if lim.Cur < rlimitWantOpenFiles {
		log.Warn("the open-file limit is low for a load test: each connection takes a file descriptor; raise it (ulimit -n, or the service's LimitNOFILE) if requests fail with \"too many open files\"",
			"limit", lim.Cur, "want", rlimitWantOpenFiles)
	}
}
