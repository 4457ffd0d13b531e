// Package proc reads what the operating system knows about this process.
package proc
