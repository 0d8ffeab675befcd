package fetch

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFetchFile(t *testing.T) {
	dir := t.TempDir()
	feedPath := filepath.Join(dir, "feed.xml")
	if err := os.WriteFile(feedPath, []byte("<rss/>"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "big.xml"), []byte(strings.Repeat("x", 2048)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name            string
		url             string
		baseDir         string
		wantBody        string
		wantErrIs       error
		wantErrContains string
	}{
		{name: "absolute path", url: feedPath, wantBody: "<rss/>"},
		{name: "file URL", url: "file://" + filepath.ToSlash(feedPath), wantBody: "<rss/>"},
		{name: "file URL with localhost", url: "file://localhost" + filepath.ToSlash(feedPath), wantBody: "<rss/>"},
		{name: "relative path with BaseDir", url: "feed.xml", baseDir: dir, wantBody: "<rss/>"},
		{name: "dot-relative path with BaseDir", url: "./sub/../feed.xml", baseDir: dir, wantBody: "<rss/>"},
		{name: "missing file names the path", url: "missing.xml", baseDir: dir, wantErrIs: os.ErrNotExist, wantErrContains: filepath.Join(dir, "missing.xml")},
		{name: "file over cap", url: "big.xml", baseDir: dir, wantErrIs: ErrTooLarge, wantErrContains: filepath.Join(dir, "big.xml")},
		{name: "directory", url: "sub", baseDir: dir, wantErrContains: "not a regular file"},
		{name: "file URL with remote host", url: "file://example.com/feed.xml", wantErrContains: `host "example.com"`},
		{name: "unsupported scheme", url: "ftp://example.com/feed.xml", wantErrContains: `unsupported URL scheme "ftp"`},
		{name: "scheme-like relative path", url: "mailto:feeds@example.com", wantErrContains: `unsupported URL scheme "mailto"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := New(Options{BaseDir: tt.baseDir, Now: fixedNow, MaxBodyBytes: 1024})
			res, err := f.Fetch(t.Context(), Request{URL: tt.url})
			if tt.wantErrIs != nil || tt.wantErrContains != "" {
				if err == nil {
					t.Fatalf("got %+v, want an error", res)
				}
				if !strings.HasPrefix(err.Error(), "fetch "+tt.url+": ") {
					t.Errorf("error %q does not start with the URL", err)
				}
				if tt.wantErrIs != nil && !errors.Is(err, tt.wantErrIs) {
					t.Errorf("error %q is not %v", err, tt.wantErrIs)
				}
				if !strings.Contains(err.Error(), tt.wantErrContains) {
					t.Errorf("error %q does not mention %q", err, tt.wantErrContains)
				}
				return
			}
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			if string(res.Body) != tt.wantBody || res.URL != tt.url || res.FinalURL != "file://"+filepath.ToSlash(feedPath) ||
				res.NotModified || !res.FetchedAt.Equal(testNow) || res.Validators.ETag == "" || res.Validators.LastModified == "" {
				t.Errorf("Result = %+v", res)
			}
		})
	}
}

func TestFetchFileNotModified(t *testing.T) {
	path := filepath.Join(t.TempDir(), "feed.xml")
	if err := os.WriteFile(path, []byte("<rss/>"), 0o644); err != nil {
		t.Fatal(err)
	}
	f := New(Options{})
	first, err := f.Fetch(t.Context(), Request{URL: path})
	if err != nil {
		t.Fatal(err)
	}
	again, err := f.Fetch(t.Context(), Request{URL: path, Validators: first.Validators})
	if err != nil {
		t.Fatal(err)
	}
	if !again.NotModified || again.Body != nil || again.Validators != first.Validators {
		t.Errorf("unchanged file: %+v", again)
	}

	if err := os.WriteFile(path, []byte("<rss>longer</rss>"), 0o644); err != nil {
		t.Fatal(err)
	}
	changed, err := f.Fetch(t.Context(), Request{URL: path, Validators: first.Validators})
	if err != nil {
		t.Fatal(err)
	}
	if changed.NotModified || string(changed.Body) != "<rss>longer</rss>" {
		t.Errorf("changed file: %+v", changed)
	}
}
