package feed

import (
	"reflect"
	"testing"
)

func TestDiscover(t *testing.T) {
	tests := []struct {
		name string
		page string
		base string
		want []string
	}{
		{
			name: "typical blog head",
			base: "https://blog.example.com/2025/03/post.html",
			page: `<!DOCTYPE html><html><head><title>Blog</title>
<link rel="stylesheet" href="/style.css">
<link rel="alternate" type="application/rss+xml" title="Blog" href="/feed/">
<link rel="alternate" type="application/rss+xml" title="Comments" href="/comments/feed/">
<link rel="alternate" type="application/atom+xml" href="https://blog.example.com/atom.xml">
<link rel="alternate" type="application/feed+json" href="feed.json">
</head><body></body></html>`,
			want: []string{
				"https://blog.example.com/feed/",
				"https://blog.example.com/comments/feed/",
				"https://blog.example.com/atom.xml",
				"https://blog.example.com/2025/03/feed.json",
			},
		},
		{
			name: "case, parameters, extra rel tokens, self-closing, unquoted",
			base: "http://example.com/",
			page: `<HTML><HEAD>
<LINK REL="Alternate Home" TYPE="Application/RSS+XML; charset=utf-8" HREF="/rss.xml"/>
<link rel=alternate type=application/json href=/feed.json>
</HEAD></HTML>`,
			want: []string{"http://example.com/rss.xml", "http://example.com/feed.json"},
		},
		{
			name: "duplicates and fragments fold, document order kept",
			base: "http://example.com/a/",
			page: `<link rel="alternate" type="application/atom+xml" href="atom.xml#top">
<link rel="alternate" type="application/rss+xml" href="/a/rss.xml">
<link rel="alternate" type="application/atom+xml" href="http://example.com/a/atom.xml">`,
			want: []string{"http://example.com/a/atom.xml", "http://example.com/a/rss.xml"},
		},
		{
			name: "not feeds",
			base: "http://example.com/",
			page: `<link rel="alternate" type="text/html" hreflang="fr" href="/fr/">
<link rel="alternate stylesheet" type="text/css" href="/dark.css">
<link rel="stylesheet" type="application/rss+xml" href="/not-alternate.xml">
<link rel="alternate" type="application/rss+xml">
<link rel="alternate" type="application/rss+xml" href="   ">
<link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">
<link rel="alternate" type="application/rss+xml" href="mailto:a@example.com">
<link rel="alternate" type="application/rss+xml" href="file:///etc/passwd">
<a rel="alternate" type="application/rss+xml" href="/anchor.xml">feed</a>`,
			want: nil,
		},
		{
			name: "base href and protocol-relative links",
			base: "https://example.com/page",
			page: `<head><base href="https://cdn.example.net/site/"><base href="/ignored/">
<link rel="alternate" type="application/rss+xml" href="rss.xml">
<link rel="alternate" type="application/atom+xml" href="//other.example.org/atom">
</head>`,
			want: []string{"https://cdn.example.net/site/rss.xml", "https://other.example.org/atom"},
		},
		{
			name: "link in the body still counts",
			base: "http://example.com/",
			page: `<html><body><p>hi</p><link rel="alternate" type="application/rss+xml" href="/late.xml"></body></html>`,
			want: []string{"http://example.com/late.xml"},
		},
		{
			name: "a local page may point to a local feed",
			base: "file:///srv/site/index.html",
			page: `<link rel="alternate" type="application/rss+xml" href="feed.xml">`,
			want: []string{"file:///srv/site/feed.xml"},
		},
		{
			name: "broken markup does not stop the scan",
			base: "http://example.com/",
			page: `<p>1 < 2 && 3 > 2</i></div><link rel="alternate" type="application/rss+xml" href="/ok.xml"><script>if (a<b) {}</script><link rel="alternate`,
			want: []string{"http://example.com/ok.xml"},
		},
		{
			name: "a feed is no page",
			base: "http://example.com/feed",
			page: string(rssDoc(`<?xml version="1.0"?>`, "t")),
			want: nil,
		},
		{
			name: "empty", base: "http://example.com/", page: "", want: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Discover([]byte(tt.page), tt.base); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Discover =\n %q\nwant\n %q", got, tt.want)
			}
		})
	}
}

func TestLooksLikeHTML(t *testing.T) {
	tests := []struct {
		body string
		want bool
	}{
		{"<!DOCTYPE html><html><head>", true},
		{"\xef\xbb\xbf\n  <!doctype HTML>", true},
		{"<html lang=\"en\">", true},
		{"<HTML>", true},
		{"<!-- generated -->\n<html>", true},
		{`<?xml version="1.0" encoding="utf-8"?><!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd"><html xmlns="http://www.w3.org/1999/xhtml">`, true},
		{"<head><title>x</title>", true},
		{"<body>", true},
		{"\r\n<p>Moved</p>", true},
		{"<title>404 Not Found</title>", true},
		{`<?xml version="1.0"?><rss version="2.0">`, false},
		{`<?xml version="1.0"?><?xml-stylesheet href="s.xsl"?><feed xmlns="http://www.w3.org/2005/Atom">`, false},
		{`<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">`, false},
		{`<!-- comment --><rss>`, false},
		{`{"version": "https://jsonfeed.org/version/1.1"}`, false},
		{"<htmlish>", false},
		{"<br/>", true},
		{"<bogus>", false},
		{"", false},
		{"   ", false},
		{"<!-- never closed", false},
		{"<?xml never closed", false},
		{"hello <html>", false},
	}
	for _, tt := range tests {
		if got := LooksLikeHTML([]byte(tt.body)); got != tt.want {
			t.Errorf("LooksLikeHTML(%q) = %v, want %v", tt.body, got, tt.want)
		}
	}
}

func FuzzDiscover(f *testing.F) {
	f.Add([]byte(`<link rel="alternate" type="application/rss+xml" href="/feed">`), "http://example.com/")
	f.Add([]byte(`<base href="::"><link rel=alternate type=application/json href="%zz">`), "%")
	f.Fuzz(func(t *testing.T, body []byte, base string) {
		Discover(body, base)
		LooksLikeHTML(body)
	})
}
