package common

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// maxCompletions bounds what one listing offers: a folder of thousands of
// files gives the first ones in name order.
const maxCompletions = 200

// CompletePaths lists what typed can complete to: the entries of its folder
// whose names start with what follows the last slash, folders with a
// trailing slash, files only when keep accepts their name (nil keeps all).
// Hidden entries show only once a dot is typed. It reads the file system,
// so call it from a tea.Cmd. Each result is typed plus the rest of a name,
// as text inputs match suggestions by prefix.
func CompletePaths(typed string, keep func(name string) bool) []string {
	dir, base := filepath.Split(typed)
	read := dir
	if read == "" {
		read = "."
	} else if rest, ok := strings.CutPrefix(read, "~/"); ok {
		if home, err := os.UserHomeDir(); err == nil {
			read = filepath.Join(home, rest)
		}
	}
	entries, err := os.ReadDir(read)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, base) || (strings.HasPrefix(name, ".") && !strings.HasPrefix(base, ".")) {
			continue
		}
		isDir := e.IsDir()
		if e.Type()&os.ModeSymlink != 0 {
			if fi, err := os.Stat(filepath.Join(read, name)); err == nil {
				isDir = fi.IsDir()
			}
		}
		switch {
		case isDir:
			out = append(out, dir+name+"/")
		case keep == nil || keep(name):
			out = append(out, dir+name)
		}
		if len(out) == maxCompletions {
			break
		}
	}
	sort.Strings(out)
	return out
}
