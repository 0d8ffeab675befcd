package main

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/aggregate-dev/aggregate/config"
	"github.com/aggregate-dev/aggregate/feed"
)

// The page as a person sees it: Debian's Chromium, headless, loads / from
// the daemon on loopback. Every story is there with its copies linked; a
// reader finds the three feeds; a hostile feed runs nothing and shows as
// text; nothing is fetched from anywhere else; it fits a phone and a
// desktop, light and dark. Screenshots go to $AGGREGATE_SCREENSHOTS (else a
// temporary directory).
func TestBrowserPage(t *testing.T) {
	browser := startBrowser(t)
	shots := os.Getenv("AGGREGATE_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	} else if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}

	seeds := serveSeeds(t)
	hostile := serveHostile(t)
	base := startPageDaemon(t, "Browser test: <merged> & safe", "", seeds.URL+"/southfront.xml", seeds.URL+"/globalresearch.atom", seeds.URL+"/blog.json", hostile.URL+"/hostile.xml")
	want := getJSON(t, base+"/feed.json")
	if len(want.Items) != 6 {
		t.Fatalf("the daemon merged %d stories, want 6 (five from the seeds, one hostile)", len(want.Items))
	}
	tab := browser.open(t)
	tab.viewport(t, 1280, 900, false)
	tab.navigate(t, base+"/")
	page := tab.inspect(t)

	// Every story, in the feed's order, each with every copy linked.
	if len(page.Stories) != len(want.Items) {
		t.Fatalf("the page shows %d stories, want %d", len(page.Stories), len(want.Items))
	}
	for i, it := range want.Items {
		s := page.Stories[i]
		if s.Title != it.Title {
			t.Errorf("story %d: title %q, want %q", i+1, s.Title, it.Title)
		}
		var wantCopies []string
		for _, src := range it.Aggregate.Sources[1:] {
			if strings.HasPrefix(src.URL, "http://") || strings.HasPrefix(src.URL, "https://") {
				wantCopies = append(wantCopies, src.URL)
			}
		}
		var gotCopies []string
		for _, c := range s.Also {
			if c.Href != "" {
				gotCopies = append(gotCopies, c.Href)
			}
		}
		if !slices.Equal(gotCopies, wantCopies) {
			t.Errorf("%q: copies linked %q, want %q", s.Title, gotCopies, wantCopies)
		}
		if len(s.Also) != len(it.Aggregate.Sources)-1 {
			t.Errorf("%q: %d copies listed, want %d", s.Title, len(s.Also), len(it.Aggregate.Sources)-1)
		}
		if s.Excerpt == "" || !strings.Contains(s.Meta, "2017") {
			t.Errorf("%q: excerpt %q, meta %q", s.Title, s.Excerpt, s.Meta)
		}
	}
	linked := 0
	for _, s := range page.Stories {
		for _, c := range s.Also {
			if c.Href != "" {
				linked++
				if !strings.HasPrefix(c.Text, "Global Research") {
					t.Errorf("copy %s is labelled %q", c.Href, c.Text)
				}
			}
		}
	}
	if linked != 4 {
		t.Errorf("%d copies linked, want Global Research's 4", linked)
	}

	// A reader given the page's address finds the three feeds, and they
	// are there.
	wantAlt := []alternate{
		{"application/rss+xml", base + "/feed.xml"},
		{"application/atom+xml", base + "/feed.atom"},
		{"application/feed+json", base + "/feed.json"},
	}
	if !slices.Equal(page.Alternates, wantAlt) {
		t.Errorf("alternate links %v, want %v", page.Alternates, wantAlt)
	}
	for _, a := range page.Alternates {
		resp, err := http.Get(a.Href)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("GET %s: %s", a.Href, resp.Status)
		}
	}

	// The hostile item ran nothing, and what it tried shows as text.
	tab.poke(t)
	page = tab.inspect(t)
	if page.Pwned != "" {
		t.Errorf("hostile code ran: window.__pwned = %q", page.Pwned)
	}
	if page.DocTitle != "Browser test: <merged> & safe" {
		t.Errorf("document.title is %q", page.DocTitle)
	}
	for what, n := range map[string]int{"<script>": page.Scripts, "<img>": page.Images, "<iframe>/<object>/<embed>": page.Embeds, "style attribute": page.StyleAttrs} {
		if n != 0 {
			t.Errorf("the page has %d %s", n, what)
		}
	}
	if len(page.OnAttrs) > 0 || len(page.BadLinks) > 0 {
		t.Errorf("event handlers %v, links that are not http(s) %v", page.OnAttrs, page.BadLinks)
	}
	h := page.story("Hostile title")
	if h == nil {
		t.Fatalf("no hostile story among %v", page.titles())
	}
	if !strings.HasPrefix(h.Href, "https://hostile.example/story?q=") || h.TitleElements != 1 {
		t.Errorf("hostile title: link %q, %d elements in the heading", h.Href, h.TitleElements)
	}
	if !strings.Contains(h.Excerpt, "<script>window.__pwned='text'</script>") || h.ExcerptElements != 0 {
		t.Errorf("hostile excerpt %q (%d elements): the markup should show as text", h.Excerpt, h.ExcerptElements)
	}
	if !strings.Contains(h.Meta, `<b onmouseover="window.__pwned='author'">Mallory</b>`) {
		t.Errorf("hostile author should show as text: %q", h.Meta)
	}
	// Its copy of a South Front story, with a javascript: link, is listed
	// by name, not linked.
	sf := page.story("ISIS Collapsed in Eastern Aleppo")
	if sf == nil || len(sf.Also) != 2 || sf.Also[1].Href != "" || !strings.HasPrefix(sf.Also[1].Text, "Hostile Feed") {
		t.Errorf("the hostile copy: %+v", sf)
	}

	// Nothing but the page itself was requested, nothing was logged.
	tab.checkQuiet(t, base)

	// Phone and desktop, light and dark.
	for _, v := range []struct {
		width int64
		dark  bool
		name  string
	}{
		{390, false, "hostile-390.png"},
		{1280, false, "hostile-1280.png"},
		{390, true, "hostile-390-dark.png"},
	} {
		tab.viewport(t, v.width, 844, v.dark)
		tab.checkLayout(t, v.width, v.dark)
		tab.screenshot(t, filepath.Join(shots, v.name), v.width)
	}

	// The seeds alone, as the shipped config.toml shows them.
	shipped, err := config.Load("../../config.toml")
	if err != nil {
		t.Fatal(err)
	}
	base = startPageDaemon(t, shipped.Title, shipped.Description, seeds.URL+"/southfront.xml", seeds.URL+"/globalresearch.atom", seeds.URL+"/blog.json")
	tab = browser.open(t)
	for _, v := range []struct {
		width int64
		dark  bool
		name  string
	}{
		{390, false, "seeds-390.png"},
		{1280, false, "seeds-1280.png"},
		{1280, true, "seeds-1280-dark.png"},
	} {
		tab.viewport(t, v.width, 844, v.dark)
		tab.navigate(t, base+"/")
		if n := len(tab.inspect(t).Stories); n != 5 {
			t.Errorf("the seeds page shows %d stories, want 5", n)
		}
		tab.checkLayout(t, v.width, v.dark)
		tab.screenshot(t, filepath.Join(shots, v.name), v.width)
	}
	tab.checkQuiet(t, base)
	t.Logf("screenshots in %s", shots)
}

// startPageDaemon starts the daemon over feeds, its link (and so the feeds'
// self and alternate links) at its own loopback address, and waits for its
// first run.
func startPageDaemon(t *testing.T, title, description string, feeds ...string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	dir := t.TempDir()
	var b strings.Builder
	fmt.Fprintf(&b, "title = %q\ndescription = %q\nlink = \"http://%s/\"\nschedule = \"@every 1h\"\n\n[output]\ndir = \"public\"\n\n[store]\npath = \"data/state.db\"\n\n[server]\nlisten = %q\n", title, description, addr, addr)
	for _, f := range feeds {
		fmt.Fprintf(&b, "\n[[feed]]\nurl = %q\n", f)
	}
	cfg := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(cfg, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	base, _, runs, _ := startDaemon(t, cfg)
	waitRun(t, runs)
	return base
}

// serveHostile serves a feed that tries everything: markup and script in
// titles, author and body, an onerror handler, javascript: links, a CSS
// expression, and a copy of a South Front story that links to javascript:.
func serveHostile(t *testing.T) *httptest.Server {
	t.Helper()
	sf, err := feed.NewParser().Parse("https://southfront.example/feed/", readSeed(t, "southfront.xml"))
	if err != nil {
		t.Fatal(err)
	}
	var copied string
	for _, it := range sf.Items {
		if it.Title == "ISIS Collapsed in Eastern Aleppo" {
			copied = it.HTML
		}
	}
	if copied == "" {
		t.Fatal("seed story not found")
	}
	doc := `<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel>
<title>Hostile &lt;i onmouseover="window.__pwned='feed'"&gt;Feed&lt;/i&gt;</title>
<link>https://hostile.example/</link>
<description>Everything a feed can throw at a page.</description>
<item>
<title>&lt;script&gt;document.title='pwned';window.__pwned='title'&lt;/script&gt;Hostile &lt;img src=x onerror="window.__pwned='title-img'"&gt;title</title>
<link>https://hostile.example/story?q="&gt;&lt;script&gt;window.__pwned='href'&lt;/script&gt;</link>
<guid isPermaLink="false">hostile-1</guid>
<pubDate>Thu, 06 Jul 2017 10:00:00 GMT</pubDate>
<author>x@hostile.example (&lt;b onmouseover="window.__pwned='author'"&gt;Mallory&lt;/b&gt;)</author>
<description><![CDATA[<p>Plain words first, then markup that must stay words: &lt;script&gt;window.__pwned='text'&lt;/script&gt; and nothing runs.</p>
<script>window.__pwned='script';document.title='pwned'</script>
<p><img src="x" onerror="window.__pwned='onerror'"> <a href="javascript:window.__pwned='js'">click me</a>
<span style="width: expression(window.__pwned='css'); background: url(javascript:window.__pwned='cssurl')">styled</span>
<a href=" JaVaScRiPt:window.__pwned='js2'">again</a> <iframe src="javascript:window.__pwned='frame'"></iframe>
<svg onload="window.__pwned='svg'"><circle r="1"/></svg></p>]]></description>
</item>
<item>
<title>&lt;script&gt;window.__pwned='copy'&lt;/script&gt;Copied: ISIS Collapsed in Eastern Aleppo</title>
<link>javascript:window.__pwned='copy-link'</link>
<guid isPermaLink="false">hostile-2</guid>
<pubDate>Wed, 05 Jul 2017 10:00:00 GMT</pubDate>
<description><![CDATA[` + copied + `]]></description>
</item>
</channel></rss>
`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/hostile.xml" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Write([]byte(doc))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// ---- the browser ----------------------------------------------------------

type browser struct {
	ctx context.Context
	out *syncWriter
}

// startBrowser starts Debian's Chromium, headless, with a fresh profile and
// without the background traffic a closed network refuses. Without
// Chromium the test fails, unless AGGREGATE_SKIP_BROWSER=1.
func startBrowser(t *testing.T) *browser {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if _, serr := os.Stat("/usr/bin/chromium"); serr == nil {
			path, err = "/usr/bin/chromium", nil
		}
	}
	if err != nil {
		if os.Getenv("AGGREGATE_SKIP_BROWSER") == "1" {
			t.Skip("AGGREGATE_SKIP_BROWSER=1 and chromium missing")
		}
		t.Fatal("chromium is needed for the browser test: apt-get install -y chromium (bash .ci/install does it), or set AGGREGATE_SKIP_BROWSER=1 to skip it")
	}
	out := &syncWriter{w: &bytes.Buffer{}}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.CombinedOutput(out),
	)
	ctx, cancel := chromedp.NewContext(allocCtx)
	// A browser that hangs must not hang the test run.
	watchdog := time.AfterFunc(3*time.Minute, cancelAlloc)
	t.Cleanup(func() {
		watchdog.Stop()
		cancel()
		cancelAlloc()
		if t.Failed() {
			out.mu.Lock()
			var keep []string
			for _, l := range strings.Split(out.w.(*bytes.Buffer).String(), "\n") {
				if !strings.Contains(l, "dbus") { // a container has no D-Bus; Chromium says so at length
					keep = append(keep, l)
				}
			}
			out.mu.Unlock()
			t.Logf("chromium's output:\n%s", strings.Join(keep, "\n"))
		}
	})
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v", path, err)
	}
	return &browser{ctx: ctx, out: out}
}

type tab struct {
	ctx    context.Context
	mu     sync.Mutex
	events []string // what the page did that it should not: requests elsewhere, console, exceptions, log entries
	asked  []string // every URL requested
}

// open opens a new tab that records its requests and messages.
func (b *browser) open(t *testing.T) *tab {
	t.Helper()
	tb := &tab{}
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithListener(func(ev any) {
		tb.mu.Lock()
		defer tb.mu.Unlock()
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			tb.asked = append(tb.asked, ev.Request.URL)
		case *runtime.EventConsoleAPICalled:
			tb.events = append(tb.events, "console."+string(ev.Type))
		case *runtime.EventExceptionThrown:
			tb.events = append(tb.events, "exception: "+ev.ExceptionDetails.Text)
		case *cdplog.EventEntryAdded:
			tb.events = append(tb.events, fmt.Sprintf("log %s %s: %s", ev.Entry.Level, ev.Entry.Source, ev.Entry.Text))
		}
	}))
	t.Cleanup(cancel)
	err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := cdp.Call(ctx, t, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, t, cdplog.Enable, cdp.Empty{})
		return err
	}))
	if err != nil {
		t.Fatal(err)
	}
	tb.ctx = ctx
	return tb
}

func (tb *tab) do(t *testing.T, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func (tb *tab) navigate(t *testing.T, url string) {
	t.Helper()
	tb.do(t, "open "+url, chromedp.Navigate(url))
}

// viewport sets the window's width (a phone's, with touch, below 500 px)
// and the colour scheme the system prefers.
func (tb *tab) viewport(t *testing.T, width, height int64, dark bool) {
	t.Helper()
	var opts []chromedp.EmulateViewportOption
	if width < 500 {
		opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait)
	}
	scheme := "light"
	if dark {
		scheme = "dark"
	}
	tb.do(t, "viewport", chromedp.EmulateViewport(width, height, opts...),
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
				Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
			})
			return err
		}))
}

type alternate struct{ Type, Href string }

type pageCopy struct{ Text, Href string }

type pageStory struct {
	Title, Href, Meta, Excerpt     string
	TitleElements, ExcerptElements int
	Also                           []pageCopy
}

type pageState struct {
	DocTitle, Pwned                     string
	Scripts, Images, Embeds, StyleAttrs int
	OnAttrs, BadLinks                   []string
	Alternates                          []alternate
	Stories                             []pageStory
}

func (p *pageState) story(title string) *pageStory {
	for i := range p.Stories {
		if p.Stories[i].Title == title {
			return &p.Stories[i]
		}
	}
	return nil
}

func (p *pageState) titles() []string {
	var out []string
	for _, s := range p.Stories {
		out = append(out, s.Title)
	}
	return out
}

// inspect reads the page as the DOM has it (DevTools evaluation, which the
// page's Content-Security-Policy does not apply to).
func (tb *tab) inspect(t *testing.T) pageState {
	t.Helper()
	const js = `(() => {
  const text = e => e ? e.textContent.trim().replace(/\s+/g, ' ') : '';
  const stories = [...document.querySelectorAll('ol.stories > li > article')].map(a => {
    const h2 = a.querySelector('h2'), link = h2.querySelector('a'), ex = a.querySelector('.excerpt');
    return {
      Title: text(h2), Href: link ? link.href : '', TitleElements: h2.querySelectorAll('*').length,
      Meta: text(a.querySelector('.meta')), Excerpt: text(ex), ExcerptElements: ex ? ex.querySelectorAll('*').length : 0,
      Also: [...a.querySelectorAll('.also li')].map(li => ({Text: text(li), Href: li.querySelector('a') ? li.querySelector('a').href : ''})),
    };
  });
  const all = [...document.querySelectorAll('*')];
  return {
    DocTitle: document.title,
    Pwned: typeof window.__pwned === 'undefined' ? '' : String(window.__pwned),
    Scripts: document.scripts.length, Images: document.images.length,
    Embeds: document.querySelectorAll('iframe, object, embed, frame').length,
    StyleAttrs: document.querySelectorAll('[style]').length,
    OnAttrs: all.flatMap(e => [...e.attributes].filter(a => /^on/i.test(a.name)).map(a => e.tagName + ' ' + a.name)),
    BadLinks: [...document.querySelectorAll('[href], [src], [action], [formaction]')]
      .map(e => e.getAttribute('href') || e.getAttribute('src') || e.getAttribute('action') || e.getAttribute('formaction') || '')
      .filter(u => !/^(https?:|data:,$|feed\.(xml|atom|json)$)/i.test(u.trim())),
    Alternates: [...document.querySelectorAll('link[rel=alternate]')].map(l => ({Type: l.type, Href: l.href})),
    Stories: stories,
  };
})()`
	ctx, cancel := context.WithTimeout(tb.ctx, 30*time.Second)
	defer cancel()
	p, err := chromedp.Run(ctx, chromedp.Evaluate[pageState](js))
	if err != nil {
		t.Fatalf("inspect the page: %v", err)
	}
	return p
}

// poke fires at every element the events a hostile handler would wait
// for, then gives anything that was set off a moment to run.
func (tb *tab) poke(t *testing.T) {
	t.Helper()
	const js = `new Promise(done => {
  for (const e of document.querySelectorAll('*')) {
    for (const type of ['mouseover', 'mouseenter', 'focus', 'error', 'load', 'animationstart']) {
      e.dispatchEvent(new Event(type));
    }
  }
  setTimeout(() => done(true), 250);
})`
	ctx, cancel := context.WithTimeout(tb.ctx, 30*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js, chromedp.EvalAwaitPromise)); err != nil {
		t.Fatalf("poke: %v", err)
	}
}

// checkQuiet fails on any request not to base and on anything the page
// logged or threw.
func (tb *tab) checkQuiet(t *testing.T, base string) {
	t.Helper()
	tb.mu.Lock()
	defer tb.mu.Unlock()
	if len(tb.asked) == 0 {
		t.Error("no request was recorded: is the network domain on?")
	}
	for _, u := range tb.asked {
		if !strings.HasPrefix(u, base+"/") {
			t.Errorf("the page requested %s", u)
		}
	}
	for _, e := range tb.events {
		t.Errorf("the page: %s", e)
	}
}

type layout struct {
	ScrollWidth, WrapWidth, WrapLeft, WrapRight, FontSize float64
	Background                                            string
	HiddenTitles                                          int
}

// checkLayout checks that the page fits the width without sideways
// scrolling, keeps a readable column and type size, and follows the colour
// scheme.
func (tb *tab) checkLayout(t *testing.T, width int64, dark bool) {
	t.Helper()
	const js = `(() => {
  const wrap = document.querySelector('.wrap').getBoundingClientRect();
  const vw = document.documentElement.clientWidth;
  return {
    ScrollWidth: document.documentElement.scrollWidth, WrapWidth: wrap.width,
    WrapLeft: wrap.left, WrapRight: vw - wrap.right,
    FontSize: parseFloat(getComputedStyle(document.body).fontSize),
    Background: getComputedStyle(document.body).backgroundColor,
    HiddenTitles: [...document.querySelectorAll('h2')].filter(h => { const r = h.getBoundingClientRect(); return r.width < 100 || r.right > vw; }).length,
  };
})()`
	ctx, cancel := context.WithTimeout(tb.ctx, 30*time.Second)
	defer cancel()
	l, err := chromedp.Run(ctx, chromedp.Evaluate[layout](js))
	if err != nil {
		t.Fatalf("layout: %v", err)
	}
	if l.ScrollWidth > float64(width) {
		t.Errorf("%d px: the page is %v px wide and scrolls sideways", width, l.ScrollWidth)
	}
	if l.FontSize < 16 {
		t.Errorf("%d px: body text is %v px", width, l.FontSize)
	}
	if l.HiddenTitles > 0 {
		t.Errorf("%d px: %d story titles squeezed or cut off", width, l.HiddenTitles)
	}
	if width >= 1000 {
		// A readable measure, centred.
		if l.WrapWidth > 800 || l.WrapLeft < 200 || abs(l.WrapLeft-l.WrapRight) > 2 {
			t.Errorf("%d px: the column is %v px wide at %v from the left, %v from the right", width, l.WrapWidth, l.WrapLeft, l.WrapRight)
		}
	} else if l.WrapWidth < float64(width)-1 {
		t.Errorf("%d px: the column is %v px, not the phone's width", width, l.WrapWidth)
	}
	var r, g, b int
	if _, err := fmt.Sscanf(l.Background, "rgb(%d, %d, %d)", &r, &g, &b); err != nil {
		t.Fatalf("background %q: %v", l.Background, err)
	}
	if light := (r + g + b) / 3; dark != (light < 80) || (!dark && light < 200) {
		t.Errorf("%d px, dark=%v: background %s", width, dark, l.Background)
	}
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

// screenshot saves the whole page as a PNG and checks it is one, as wide
// as the viewport.
func (tb *tab) screenshot(t *testing.T, path string, width int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 30*time.Second)
	defer cancel()
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(buf))
	if err != nil {
		t.Fatalf("screenshot is not a PNG: %v", err)
	}
	if int64(cfg.Width) != width || cfg.Height < 400 {
		t.Errorf("screenshot %s is %dx%d", filepath.Base(path), cfg.Width, cfg.Height)
	}
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		t.Fatal(err)
	}
	if info, err := os.Stat(path); err != nil || info.Size() < 1000 {
		t.Errorf("screenshot %s: %v, %d bytes", path, err, info.Size())
	}
}
