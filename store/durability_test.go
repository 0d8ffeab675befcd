package store

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aggregate-dev/aggregate/feed"
)

// The child process of TestKill9 reads these.
const (
	helperDBEnv    = "STORE_TEST_HELPER_DB"
	helperRoundEnv = "STORE_TEST_HELPER_ROUND"
)

const (
	killItemsPerFeed = 20
	killCommits      = 40 // commits the child reports before it is killed
	killRounds       = 3
)

func killFeedURL(round, i int) string { return fmt.Sprintf("https://kill.example/%d/%d", round, i) }

// killItems are the items of feed i: big enough that a run of commits
// crosses a WAL checkpoint.
func killItems(round, i int) []feed.Item {
	body := strings.Repeat("lorem ipsum dolor sit amet ", 150)
	items := make([]feed.Item, killItemsPerFeed)
	for j := range items {
		items[j] = feed.Item{
			GUID: fmt.Sprintf("%d-%d-%d", round, i, j), Title: fmt.Sprintf("item %d of feed %d", j, i),
			Published: t0.Add(time.Duration(i) * time.Minute), HTML: "<p>" + body + "</p>", Text: body,
		}
	}
	return items
}

// TestHelperProcess is not a test: it is the child process of TestKill9.
// It opens the store named in its environment and saves feeds in a loop,
// printing "committed N" after each commit, until it is killed.
func TestHelperProcess(t *testing.T) {
	path := os.Getenv(helperDBEnv)
	if path == "" {
		t.Skip("child process of TestKill9 only")
	}
	round, _ := strconv.Atoi(os.Getenv(helperRoundEnv))
	ctx := context.Background()
	db, err := Open(ctx, path)
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(2)
	}
	fmt.Println("opened")
	for i := range 100000 { // bounded, in case no one kills it
		st := FeedState{URL: killFeedURL(round, i), LastStatus: StatusOK, LastFetch: t0, NextFetch: t0.Add(time.Hour)}
		if err := db.SaveFeed(ctx, st, killItems(round, i), t0); err != nil {
			fmt.Println("error:", err)
			os.Exit(2)
		}
		// An update of one shared feed in every commit as well.
		shared := FeedState{URL: "https://kill.example/shared", LastStatus: StatusOK, Failures: i}
		if err := db.SaveFeed(ctx, shared, []feed.Item{item("shared", "", fmt.Sprint(round, i), t0)}, t0); err != nil {
			fmt.Println("error:", err)
			os.Exit(2)
		}
		fmt.Println("committed", i)
	}
	os.Exit(3)
}

// TestKill9 kills a writing process with SIGKILL, several times over the
// same file, and checks after each kill that the store opens, is intact
// and holds everything the child reported committed.
func TestKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	path := filepath.Join(t.TempDir(), "data", "kill.db")
	last := make([]int, killRounds) // the last commit each round reported
	for round := range killRounds {
		last[round] = runAndKill(t, path, round)
		wal, _ := os.Stat(path + "-wal")
		var walSize int64
		if wal != nil {
			walSize = wal.Size()
		}

		db, err := Open(context.Background(), path)
		if err != nil {
			t.Fatalf("round %d: Open after kill -9: %v", round, err)
		}
		var check string
		if err := db.w.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
			t.Fatalf("round %d: integrity_check = %q, %v", round, check, err)
		}
		var fkProblems int
		rows, err := db.w.Query("PRAGMA foreign_key_check")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			fkProblems++
		}
		rows.Close()
		if fkProblems != 0 {
			t.Errorf("round %d: %d foreign key violations", round, fkProblems)
		}

		feeds, err := db.Feeds(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		byURL := map[string]FeedState{}
		for _, f := range feeds {
			byURL[f.URL] = f
		}
		for r := 0; r <= round; r++ {
			// Every reported commit is there in full; the one that was
			// going on when the kill came is there in full or not at all.
			for i := 0; i <= last[r]+1; i++ {
				f, ok := byURL[killFeedURL(r, i)]
				switch {
				case !ok && i <= last[r]:
					t.Errorf("round %d: committed feed %d is missing", r, i)
				case ok && f.Items != killItemsPerFeed:
					t.Errorf("round %d: feed %d has %d items, want %d", r, i, f.Items, killItemsPerFeed)
				}
			}
			if _, ok := byURL[killFeedURL(r, last[r]+2)]; ok {
				t.Errorf("round %d: feed %d is there but the child cannot have got that far", r, last[r]+2)
			}
		}
		_, inFlight := byURL[killFeedURL(round, last[round]+1)]
		t.Logf("round %d: killed after commit %d with %d bytes of WAL; the commit in flight is there: %v",
			round, last[round], walSize, inFlight)
		shared := byURL["https://kill.example/shared"]
		if shared.Failures < last[round] || shared.Failures > last[round]+1 || shared.Items != 1 {
			t.Errorf("round %d: shared feed = %+v, want the state of commit %d or %d", round, shared, last[round], last[round]+1)
		}
		items, err := db.Items(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			if it.FeedURL != shared.URL && len(it.Text) != len(killItems(0, 0)[0].Text) {
				t.Fatalf("round %d: item %d has a torn body (%d bytes)", round, it.ID, len(it.Text))
			}
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// runAndKill starts the child on path, waits for it to report killCommits
// commits, kills it with SIGKILL and returns the last commit it reported.
func runAndKill(t *testing.T, path string, round int) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1", "-test.v=false")
	cmd.Env = append(os.Environ(), helperDBEnv+"="+path, helperRoundEnv+"="+strconv.Itoa(round))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	last, commits := -1, 0
	sc := bufio.NewScanner(out)
	for commits < killCommits && sc.Scan() {
		line := sc.Text()
		if n, ok := strings.CutPrefix(line, "committed "); ok {
			i, err := strconv.Atoi(n)
			if err != nil {
				t.Fatalf("child said %q", line)
			}
			last, commits = i, commits+1
		} else if strings.HasPrefix(line, "error:") {
			t.Errorf("child: %s", line)
		}
	}
	// Kill it while it is in the middle of its next commit.
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	// Anything it printed between our last read and the kill was
	// committed too.
	for sc.Scan() {
		if n, ok := strings.CutPrefix(sc.Text(), "committed "); ok {
			last, _ = strconv.Atoi(n)
			commits++
		}
	}
	err = cmd.Wait()
	if commits < killCommits {
		t.Fatalf("round %d: child stopped after %d commits: %v", round, commits, err)
	}
	if err == nil || cmd.ProcessState.Success() {
		t.Fatalf("round %d: child exited by itself", round)
	}
	return last
}

// TestConcurrentReadersWhileWriting reads from several goroutines while
// two others write, and checks that every read sees whole transactions:
// each feed with all its items, each cluster with all its members.
func TestConcurrentReadersWhileWriting(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	const (
		feeds   = 30
		perFeed = 5
		readers = 4
	)
	var (
		wg      sync.WaitGroup
		done    atomic.Bool
		reads   atomic.Int64
		writers sync.WaitGroup
	)
	writers.Add(2)
	go func() { // feeds, items and clusters
		defer writers.Done()
		var cs []Cluster
		for i := range feeds {
			url := fmt.Sprintf("https://c.example/%02d", i)
			var items []feed.Item
			for j := range perFeed {
				items = append(items, item(fmt.Sprint(j), "", fmt.Sprint(i, "/", j), t0))
			}
			if err := db.SaveFeed(ctx, FeedState{URL: url, LastStatus: StatusOK}, items, t0); err != nil {
				t.Error(err)
				return
			}
			stored, err := db.Items(ctx)
			if err != nil {
				t.Error(err)
				return
			}
			c := Cluster{ID: url, Published: t0}
			for _, it := range stored {
				if it.FeedURL == url {
					c.Members = append(c.Members, it.ID)
				}
			}
			cs = append(cs, c)
			if err := db.ReplaceClusters(ctx, cs); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	go func() { // runs
		defer writers.Done()
		for i := range feeds {
			if err := db.RecordRun(ctx, Run{Started: t0.Add(time.Duration(i) * time.Second), OK: true, Entries: i}); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lastItems := 0
			for !done.Load() {
				fs, err := db.Feeds(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				for _, f := range fs {
					if f.Items != perFeed {
						t.Errorf("Feeds saw %s with %d items, want %d", f.URL, f.Items, perFeed)
					}
				}
				items, err := db.Items(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				if len(items) < lastItems || len(items)%perFeed != 0 {
					t.Errorf("Items saw %d items after %d", len(items), lastItems)
				}
				lastItems = len(items)
				cs, err := db.Clusters(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				for _, c := range cs {
					if len(c.Members) != perFeed {
						t.Errorf("cluster %s has %d members, want %d", c.ID, len(c.Members), perFeed)
					}
				}
				if _, _, err := db.LastRun(ctx); err != nil {
					t.Error(err)
					return
				}
				reads.Add(1)
			}
		}()
	}
	writers.Wait()
	done.Store(true)
	wg.Wait()
	if reads.Load() == 0 {
		t.Error("no reads happened")
	}
	fs, _ := db.Feeds(ctx)
	cs, _ := db.Clusters(ctx)
	if len(fs) != feeds || len(cs) != feeds {
		t.Errorf("%d feeds and %d clusters at the end, want %d", len(fs), len(cs), feeds)
	}
}
