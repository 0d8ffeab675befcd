package dedupe

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/aggregate-dev/aggregate/cmd/benchgen/corpus"
	"github.com/aggregate-dev/aggregate/feed"
)

// Test corpora go through the feed parser, as items do in the pipeline,
// so that the texts are what dedupe sees in production: markup, markdown
// and entities already turned into paragraphs of words.

func docsOf(f *feed.Feed) []Doc {
	var docs []Doc
	for _, it := range f.Items {
		docs = append(docs, Doc{
			ID:    it.Link,
			Group: it.FeedURL,
			Text:  it.Text,
			Time:  it.Date(),
			Keys:  []string{it.GUID, it.Link},
		})
	}
	return docs
}

// devDocs reads the crosspost-dev benchmark beside the checkout.
func devDocs(t testing.TB) []Doc {
	t.Helper()
	dir := filepath.Join("..", "..", "shared", "crosspost-dev", "feeds")
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(files) == 0 {
		t.Fatalf("no crosspost-dev feeds in %s: ../shared/crosspost-dev is part of the test setup", dir)
	}
	p := feed.NewParser()
	var docs []Doc
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		abs, _ := filepath.Abs(f)
		parsed, err := p.Parse("file://"+abs, b)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, docsOf(parsed)...)
	}
	return docs
}

// labelled is a generated corpus as docs, with each doc's true cluster and
// kind.
type labelled struct {
	docs     []Doc
	clusters []string
	kinds    []string
}

// generated builds the docs of a benchgen corpus.
func generated(t testing.TB, feeds, items int, copies float64, seed uint64) *labelled {
	t.Helper()
	c := corpus.Generate(corpus.Options{Feeds: feeds, Items: items, Copies: copies, Seed: seed})
	p := feed.NewParser()
	l := &labelled{}
	for _, s := range c.Sites {
		b, err := s.Encode()
		if err != nil {
			t.Fatal(err)
		}
		f, err := p.Parse("https://"+s.Domain+"/feed", b)
		if err != nil {
			t.Fatal(err)
		}
		docs := docsOf(f)
		if len(docs) != len(s.Items) {
			t.Fatalf("%s: %d items parsed, %d written", s.ID, len(docs), len(s.Items))
		}
		for i, it := range s.Items {
			l.docs = append(l.docs, docs[i])
			l.clusters = append(l.clusters, it.Cluster)
			l.kinds = append(l.kinds, it.Kind)
		}
	}
	return l
}
