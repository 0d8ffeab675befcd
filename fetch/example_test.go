package fetch_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/aggregate-dev/aggregate/fetch"
)

func ExampleFetcher_Fetch() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Header().Set("ETag", `"v1"`)
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		io.WriteString(w, `<rss version="2.0"></rss>`)
	}))
	defer srv.Close()

	ctx := context.Background()
	// HostInterval -1: no spacing between the two requests to the
	// test server (by default they would start 500ms apart).
	f := fetch.New(fetch.Options{HostInterval: -1})
	res, err := f.Fetch(ctx, fetch.Request{URL: srv.URL + "/feed.xml"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.StatusCode, res.ContentType, res.Validators.ETag, string(res.Body))

	// Next time, send back what the server gave us.
	res, err = f.Fetch(ctx, fetch.Request{URL: srv.URL + "/feed.xml", Validators: res.Validators})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.StatusCode, res.NotModified, len(res.Body))
	// Output:
	// 200 application/rss+xml "v1" <rss version="2.0"></rss>
	// 304 true 0
}
