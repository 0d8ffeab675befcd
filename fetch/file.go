package fetch

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
)

// locate says whether raw names a local file, and which, or an HTTP URL.
// A relative path whose first segment contains a colon reads as a scheme;
// write it as "./a:b.xml".
func (f *Fetcher) locate(raw string) (path string, isFile bool, err error) {
	if filepath.IsAbs(raw) {
		return raw, true, nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", false, err
	}
	switch u.Scheme {
	case "http", "https":
		return "", false, nil
	case "file":
		if u.Host != "" && u.Host != "localhost" {
			return "", false, fmt.Errorf("file URL names host %q: only local files can be read", u.Host)
		}
		if !filepath.IsAbs(filepath.FromSlash(u.Path)) {
			return "", false, fmt.Errorf("file URL needs an absolute path, like file:///srv/feed.xml")
		}
		return filepath.FromSlash(u.Path), true, nil
	case "":
		// raw, not u.Path: a file name may hold '?' or '#'.
		return filepath.Join(f.baseDir, raw), true, nil
	default:
		return "", false, fmt.Errorf("unsupported URL scheme %q: want http, https, file or a path", u.Scheme)
	}
}

// fetchFile reads a local feed under the same rules as HTTP: size cap,
// cancellation, and validators (from mtime and size) so an unchanged file
// comes back NotModified and is not parsed again.
func (f *Fetcher) fetchFile(ctx context.Context, req Request, path string) (*Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	info, err := fh.Stat()
	if err != nil {
		return nil, err
	}
	// A directory or a device here is a config mistake; a FIFO could
	// block forever.
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}

	res := &Result{
		URL:        req.URL,
		FinalURL:   (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String(),
		Validators: fileValidators(info),
		FetchedAt:  f.now(),
	}
	if req.Validators.ETag != "" && req.Validators.ETag == res.Validators.ETag {
		res.NotModified = true
		return res, nil
	}
	if res.Body, err = readCapped(ctxReader{ctx, fh}, info.Size(), f.maxBody); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(res.Body) == 0 {
		return nil, fmt.Errorf("%s: %w", path, ErrEmptyBody)
	}
	return res, nil
}

func fileValidators(info fs.FileInfo) Validators {
	return Validators{
		ETag:         fmt.Sprintf(`W/"%x-%x"`, info.ModTime().UnixNano(), info.Size()),
		LastModified: info.ModTime().UTC().Format(http.TimeFormat),
	}
}

// ctxReader lets cancellation stop a local read; os.File ignores contexts.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
