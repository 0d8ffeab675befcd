package main

import (
	"bufio"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

const unitPath = "../../dist/aggregate.service"

// unit is a systemd unit file: section -> key -> values, in order (a key
// may be given more than once).
type unit map[string]map[string][]string

// parseUnit reads a unit file as systemd does: [Section] headers, Key=Value
// lines, # and ; comments, a trailing backslash continuing the line.
func parseUnit(t *testing.T, path string) unit {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	u := unit{}
	section := ""
	sc := bufio.NewScanner(f)
	n := 0
	var cont string
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if cont != "" {
			line = cont + " " + line
			cont = ""
		}
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if strings.HasSuffix(line, `\`) {
			cont = strings.TrimSuffix(line, `\`)
			continue
		}
		if strings.HasPrefix(line, "[") {
			if !strings.HasSuffix(line, "]") {
				t.Fatalf("%s:%d: bad section header %q", path, n, line)
			}
			section = line[1 : len(line)-1]
			if u[section] != nil {
				t.Fatalf("%s:%d: section [%s] twice", path, n, section)
			}
			u[section] = map[string][]string{}
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok || section == "" {
			t.Fatalf("%s:%d: not Key=Value in a section: %q", path, n, line)
		}
		key, value = strings.TrimSpace(key), strings.TrimSpace(value)
		u[section][key] = append(u[section][key], value)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return u
}

func (u unit) get(t *testing.T, section, key string) string {
	t.Helper()
	vs := u[section][key]
	if len(vs) == 0 {
		t.Errorf("[%s] %s is not set", section, key)
		return ""
	}
	return vs[len(vs)-1]
}

// The shipped unit runs the daemon as systemd should: as its own user in
// its state directory, hardened, restarted on failure, and stopped with
// SIGTERM and enough time for the daemon's own shutdown grace.
func TestSystemdUnit(t *testing.T) {
	u := parseUnit(t, unitPath)
	for _, s := range []string{"Unit", "Service", "Install"} {
		if u[s] == nil {
			t.Fatalf("no [%s] section", s)
		}
	}
	exact := map[[2]string]string{
		{"Service", "Type"}:             "simple",
		{"Service", "ExecStart"}:        "/usr/local/bin/aggregate --config /etc/aggregate/config.toml",
		{"Service", "User"}:             "aggregate",
		{"Service", "WorkingDirectory"}: "/var/lib/aggregate",
		{"Service", "StateDirectory"}:   "aggregate",
		{"Service", "Restart"}:          "on-failure",
		{"Service", "KillSignal"}:       "SIGTERM",
		{"Service", "ProtectSystem"}:    "strict",
		{"Service", "ReadWritePaths"}:   "/var/lib/aggregate",
		{"Install", "WantedBy"}:         "multi-user.target",
	}
	for k, want := range exact {
		if got := u.get(t, k[0], k[1]); got != want {
			t.Errorf("[%s] %s = %q, want %q", k[0], k[1], got, want)
		}
	}
	for _, key := range []string{"NoNewPrivileges", "ProtectHome", "PrivateTmp", "PrivateDevices", "ProtectKernelTunables",
		"ProtectKernelModules", "ProtectControlGroups", "RestrictSUIDSGID", "LockPersonality", "MemoryDenyWriteExecute"} {
		if v := u.get(t, "Service", key); !slices.Contains([]string{"yes", "true", "on", "1"}, v) {
			t.Errorf("[Service] %s = %q, want yes", key, v)
		}
	}
	if v := u.get(t, "Service", "CapabilityBoundingSet"); v != "" {
		t.Errorf("CapabilityBoundingSet = %q, want empty (no capabilities)", v)
	}
	if d := u.get(t, "Unit", "Description"); d == "" {
		t.Error("no Description")
	}
	if a := u.get(t, "Unit", "After"); !strings.Contains(a, "network-online.target") {
		t.Errorf("After = %q: the first run fetches feeds, so start after the network is up", a)
	}

	// systemd must wait longer than the daemon lets a run finish.
	stop, err := time.ParseDuration(u.get(t, "Service", "TimeoutStopSec") + "s")
	if err != nil {
		t.Fatal(err)
	}
	if stop < shutdownGrace+10*time.Second {
		t.Errorf("TimeoutStopSec = %s, but the daemon may take %s to stop; systemd would kill it mid-write", stop, shutdownGrace)
	}

	// ExecStart's flags are the program's own.
	args := strings.Fields(u.get(t, "Service", "ExecStart"))
	if out, err := run(t, append(args[1:], "--help")...); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("aggregate %v: %v\n%s", args[1:], err, out)
	}

	// systemd's own check, where systemd is installed (the keys above are
	// checked either way).
	if sa, err := exec.LookPath("systemd-analyze"); err == nil {
		systemdVerify(t, sa)
	} else {
		t.Log("systemd-analyze is not installed: the unit's keys are checked, systemd's own verify is not run")
	}
}

// systemdVerify runs systemd-analyze verify on the unit, with the binary it
// names replaced by this test's, so that the check finds an executable.
func systemdVerify(t *testing.T, sa string) {
	t.Helper()
	src, err := os.ReadFile(unitPath)
	if err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "aggregate.service")
	if err := os.WriteFile(p, []byte(strings.ReplaceAll(string(src), "/usr/local/bin/aggregate", self)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(sa, "verify", p).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}
