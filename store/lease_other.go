//go:build !unix

package store

// processAlive cannot tell on this system: the heartbeat decides.
func processAlive(int) bool { return true }
