package sanitize

import "testing"

func TestText(t *testing.T) {
	cases := map[string]string{
		"plain\ntext\twith tab":                         "plain\ntext\twith tab",
		"title\x1b]0;pwned\x07 after":                   "title after",
		"clear\x1b[2J screen":                           "clear screen",
		"bare\rreturn":                                  "barereturn",
		"crlf\r\nline":                                  "crlf\nline",
		"\x1b[31mred\x1b[0m":                            "red",
		"bell\x07 and del\x7f":                          "bell and del",
		"c1 \u009b31m csi":                              "c1 31m csi",
		"wide 日本語 emoji 🎉":                              "wide 日本語 emoji 🎉",
		"bad utf8 \xff!":                                "bad utf8 !",
		"osc8 \x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\": "osc8 link",
	}
	for in, want := range cases {
		if got := Text(in); got != want {
			t.Errorf("Text(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLine(t *testing.T) {
	if got := Line("a\nb\tc\x1b[2J"); got != "a b c" {
		t.Fatalf("Line = %q", got)
	}
}

// A right-to-left override shows "invoice‮fdp.exe" as "invoiceexe.pdf";
// every bidirectional control is stripped from displayed text.
func TestBidiControlsStripped(t *testing.T) {
	for _, r := range []rune{0x061c, 0x200e, 0x200f, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069} {
		in := "invoice" + string(r) + "fdp.exe"
		if got := Text(in); got != "invoicefdp.exe" {
			t.Errorf("Text(%q) = %q", in, got)
		}
		if got := Line(in); got != "invoicefdp.exe" {
			t.Errorf("Line(%q) = %q", in, got)
		}
	}
	// Joiners are not bidi controls: emoji sequences and Arabic text survive.
	for _, keep := range []string{"👩\u200d💻", "مرحبا", "שלום"} {
		if got := Text(keep); got != keep {
			t.Errorf("Text(%q) = %q", keep, got)
		}
	}
}
