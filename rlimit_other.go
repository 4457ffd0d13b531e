//go:build !unix

package locust

import "log/slog"

// rlimitRaiseOpenFiles does nothing where there is no open-file limit to
// raise.
func rlimitRaiseOpenFiles(*slog.Logger) {}
