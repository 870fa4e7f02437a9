package store

import (
	"path"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzValidName: an accepted name is a clean relative path (path.Clean
// leaves it as it is, no '.' or '..' part, no leading '/'), ASCII, and its
// export file stays inside the export folder.
func FuzzValidName(f *testing.F) {
	for _, s := range append([]string{"support/reply", "a.b/c-d_e", "a"}, badNames...) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if ValidName(name) != nil {
			return
		}
		if path.Clean(name) != name || strings.HasPrefix(name, "/") || name == "." {
			t.Fatalf("accepted %q, which is not a clean relative path", name)
		}
		for _, seg := range strings.Split(name, "/") {
			if seg == "" || seg == "." || seg == ".." || strings.HasPrefix(seg, ".") {
				t.Fatalf("accepted %q with segment %q", name, seg)
			}
		}
		for i := 0; i < len(name); i++ {
			if name[i] >= utf8.RuneSelf || name[i] < 0x20 {
				t.Fatalf("accepted %q with byte %#x", name, name[i])
			}
		}
		f, err := dirFile(name)
		if err != nil || strings.HasPrefix(path.Clean(path.Join("root", f)), "root/") == false {
			t.Fatalf("dirFile(%q) = %q, %v", name, f, err)
		}
	})
}

// FuzzValidLabel: an accepted label is short, ASCII lower-case, not a
// number and not "latest"; the error for a refused one is one line of
// printable ASCII, however hostile the label.
func FuzzValidLabel(f *testing.F) {
	for _, s := range []string{"production", "canary-eu", "3", "Production", "../../etc", "a b", "a\nb", "production\u200b", "\u0455taging", "\x1b]2;x\x07", "latest"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, label string) {
		err := ValidLabel(label)
		if err != nil {
			msg := err.Error()
			for i := 0; i < len(msg); i++ {
				if msg[i] < 0x20 || msg[i] >= 0x7f {
					t.Fatalf("error for %q has byte %#x: %q", label, msg[i], msg)
				}
			}
			return
		}
		if len(label) > MaxLabelLen || label == "latest" || strings.ContainsAny(label, "/ \n\t") {
			t.Fatalf("accepted %q", label)
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
				t.Fatalf("accepted %q with byte %#x", label, c)
			}
		}
	})
}
