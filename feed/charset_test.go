package feed

import (
	"bytes"
	"testing"
	"unicode/utf8"
)

// rssDoc is a one-item RSS document whose channel and item titles are the
// raw bytes given, after an XML declaration decl ("" for none).
func rssDoc(decl, title string) []byte {
	return []byte(decl + `<rss version="2.0"><channel><title>` + title + `</title><link>http://example.com/</link>` +
		`<item><title>` + title + `</title><guid>http://example.com/1</guid><description>body</description></item></channel></rss>`)
}

func TestToUTF8(t *testing.T) {
	const (
		latin1Decl = `<?xml version="1.0" encoding="ISO-8859-1"?>`
		utf8Decl   = `<?xml version="1.0" encoding="utf-8"?>`
		bareDecl   = `<?xml version="1.0"?>`
	)
	tests := []struct {
		name        string
		body        []byte
		contentType string
		want        string // the titles after parsing
		unchanged   bool   // the very same bytes come back
	}{
		{name: "latin-1 declared", body: rssDoc(latin1Decl, "caf\xe9"), want: "café"},
		{name: "latin-1 declared, single quotes", body: rssDoc(`<?xml version='1.0' encoding='iso-8859-1' ?>`, "caf\xe9 cr\xe8me"), want: "café crème"},
		{name: "windows-1252 declared", body: rssDoc(`<?xml version="1.0" encoding="windows-1252"?>`, "\x93quoted\x94 \x97 caf\xe9"), want: "“quoted” — café"},
		{name: "windows-1252 smart quotes declared as ISO-8859-1", body: rssDoc(latin1Decl, "\x93quoted\x94 \x97 \x80 5"), want: "“quoted” — € 5"},
		{name: "unlabelled windows-1252", body: rssDoc(bareDecl, "\x93quoted\x94 \x97 caf\xe9"), want: "“quoted” — café"},
		{name: "no declaration, windows-1252", body: rssDoc("", "caf\xe9 \x85"), want: "café …"},
		{name: "HTTP charset only", body: rssDoc(bareDecl, "caf\xe9"), contentType: "application/rss+xml; charset=ISO-8859-1", want: "café"},
		{name: "HTTP charset quoted", body: rssDoc("", "caf\xe9"), contentType: `text/xml; charset="windows-1252"`, want: "café"},
		{name: "HTTP says utf-8, body is latin-1 as declared", body: rssDoc(latin1Decl, "caf\xe9"), contentType: "text/xml; charset=utf-8", want: "café"},
		{name: "declaration says utf-8, HTTP knows better", body: rssDoc(utf8Decl, "\xcf\xf0\xe8\xe2\xe5\xf2"), contentType: "application/xml; charset=windows-1251", want: "Привет"},
		{name: "declaration beats a server default", body: rssDoc(`<?xml version="1.0" encoding="windows-1251"?>`, "\xcf\xf0\xe8\xe2\xe5\xf2"), contentType: "text/xml; charset=ISO-8859-1", want: "Привет"},
		{name: "koi8-r", body: rssDoc(`<?xml version="1.0" encoding="KOI8-R"?>`, "\xf0\xd2\xc9\xd7\xc5\xd4"), want: "Привет"},
		{name: "shift_jis", body: rssDoc(`<?xml version="1.0" encoding="Shift_JIS"?>`, "\x93\xfa\x96\x7b"), want: "日本"},
		{name: "iso-2022-jp is 7-bit", body: rssDoc(`<?xml version="1.0" encoding="ISO-2022-JP"?>`, "\x1b$BF|K\\\x1b(B"), want: "日本"},
		{name: "UTF-8 mislabelled as latin-1", body: rssDoc(latin1Decl, "café “quoted”"), want: "café “quoted”"},
		{name: "UTF-8 under an unknown label", body: rssDoc(`<?xml version="1.0" encoding="x-no-such"?>`, "café"), want: "café"},
		{name: "latin-1 under an unknown label", body: rssDoc(`<?xml version="1.0" encoding="x-no-such"?>`, "caf\xe9"), want: "café"},
		{name: "ASCII declared latin-1", body: rssDoc(latin1Decl, "plain &amp; caf&#233;"), want: "plain & café"},
		{name: "UTF-8 declared", body: rssDoc(utf8Decl, "café “quoted”"), want: "café “quoted”", unchanged: true},
		{name: "UTF-8 unlabelled", body: rssDoc("", "café"), contentType: "application/rss+xml", want: "café", unchanged: true},
		{name: "UTF-8 with BOM", body: append([]byte("\xef\xbb\xbf"), rssDoc(utf8Decl, "café")...), want: "café", unchanged: true},
		{name: "UTF-8 with BOM, declaration says latin-1", body: append([]byte("\xef\xbb\xbf"), rssDoc(latin1Decl, "café")...), want: "café"},
		{name: "UTF-16LE with BOM", body: utf16(rssDoc(`<?xml version="1.0" encoding="UTF-16"?>`, "café"), false, true), want: "café"},
		{name: "UTF-16BE with BOM", body: utf16(rssDoc(`<?xml version="1.0" encoding="UTF-16"?>`, "café"), true, true), want: "café"},
		{name: "UTF-16BE without BOM", body: utf16(rssDoc(`<?xml version="1.0" encoding="UTF-16BE"?>`, "日本"), true, false), want: "日本"},
	}
	p := NewParser()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := ToUTF8(tt.body, tt.contentType)
			if err != nil {
				t.Fatalf("ToUTF8: %v", err)
			}
			if !utf8.Valid(out) {
				t.Errorf("output is not UTF-8: %q", out)
			}
			if enc := declaredEncoding(out); enc != "" && !isUTF8Label(enc) {
				t.Errorf("output still declares %q", enc)
			}
			if same := len(out) > 0 && &out[0] == &tt.body[0]; same != tt.unchanged {
				t.Errorf("same slice = %v, want %v", same, tt.unchanged)
			}
			again, err := ToUTF8(out, tt.contentType)
			if err != nil || !bytes.Equal(again, out) {
				t.Errorf("a second pass changed %q into %q (%v)", out, again, err)
			}
			f, err := p.Parse("http://example.com/feed", out)
			if err != nil {
				t.Fatalf("Parse: %v\n%s", err, out)
			}
			if f.Title != tt.want || len(f.Items) != 1 || f.Items[0].Title != tt.want {
				t.Errorf("titles %q, %v; want %q", f.Title, f.Items, tt.want)
			}
		})
	}
}

// Without ToUTF8 the parser reads the declared encodings itself, but not
// an unlabelled windows-1252 body, nor UTF-8 under a wrong label: the cases
// ToUTF8 is for.
func TestParseNeedsToUTF8(t *testing.T) {
	p := NewParser()
	if _, err := p.Parse("http://example.com/feed", rssDoc(`<?xml version="1.0"?>`, "caf\xe9")); err == nil {
		t.Error("an unlabelled latin-1 body parsed without ToUTF8; the fallback may be redundant")
	}
	f, err := p.Parse("http://example.com/feed", rssDoc(`<?xml version="1.0" encoding="ISO-8859-1"?>`, "café"))
	if err != nil || f.Title == "café" {
		t.Errorf("mislabelled UTF-8 read as %v, %v without ToUTF8; the relabelling may be redundant", f, err)
	}
	// gofeed converts a declared encoding on its own: ToUTF8 must rewrite
	// the declaration, or the converted text would be converted again.
	f, err = p.Parse("http://example.com/feed", rssDoc(`<?xml version="1.0" encoding="ISO-8859-1"?>`, "caf\xe9"))
	if err != nil || f.Title != "café" {
		t.Errorf("declared latin-1 read as %v, %v", f, err)
	}
	f, err = p.Parse("http://example.com/feed", rssDoc(`<?xml version="1.0" encoding="ISO-8859-1"?>`, "café"))
	if err != nil || f.Title != "cafÃ©" {
		t.Errorf("UTF-8 bytes under a latin-1 declaration read as %q, %v; want the double conversion this test documents", f.Title, err)
	}
}

func TestToUTF8JSONFeed(t *testing.T) {
	body := []byte(`{"version":"https://jsonfeed.org/version/1.1","title":"caf` + "\xe9" + `","items":[{"id":"1","title":"` + "\x93hi\x94" + `","content_text":"x"}]}`)
	out, err := ToUTF8(body, "application/feed+json; charset=windows-1252")
	if err != nil {
		t.Fatal(err)
	}
	f, err := NewParser().Parse("http://example.com/feed.json", out)
	if err != nil {
		t.Fatal(err)
	}
	if f.Title != "café" || len(f.Items) != 1 || f.Items[0].Title != "“hi”" {
		t.Errorf("got %q %v", f.Title, f.Items)
	}
}

func TestHTTPCharset(t *testing.T) {
	for in, want := range map[string]string{
		"":                                  "",
		"text/xml":                          "",
		"text/xml; charset=ISO-8859-1":      "ISO-8859-1",
		`text/xml; Charset="utf-8"`:         "utf-8",
		"text/xml;;charset=windows-1252":    "windows-1252",
		"text/xml; charset=latin1; foo=bar": "latin1",
	} {
		if got := httpCharset(in); got != want {
			t.Errorf("httpCharset(%q) = %q, want %q", in, got, want)
		}
	}
}

// utf16 encodes an ASCII/UTF-8 document as UTF-16, with or without a BOM.
func utf16(b []byte, bigEndian, bom bool) []byte {
	var out []byte
	put := func(u uint16) {
		if bigEndian {
			out = append(out, byte(u>>8), byte(u))
		} else {
			out = append(out, byte(u), byte(u>>8))
		}
	}
	if bom {
		put(0xFEFF)
	}
	for _, r := range string(b) {
		if r >= 0x10000 {
			r -= 0x10000
			put(uint16(0xD800 + r>>10))
			put(uint16(0xDC00 + r&0x3FF))
			continue
		}
		put(uint16(r))
	}
	return out
}

func FuzzToUTF8(f *testing.F) {
	f.Add(rssDoc(`<?xml version="1.0" encoding="ISO-8859-1"?>`, "caf\xe9"), "")
	f.Add([]byte("\xff\xfe<\x00"), "text/xml; charset=utf-16")
	f.Add([]byte("<?xml encoding='"), "text/xml; charset=")
	f.Fuzz(func(t *testing.T, body []byte, ct string) {
		out, err := ToUTF8(body, ct)
		if err == nil && !utf8.Valid(out) {
			t.Errorf("ToUTF8(%q, %q) = %q: not UTF-8", body, ct, out)
		}
	})
}
