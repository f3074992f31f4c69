package main

import (
	"bufio"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path"
	"runtime/debug"
	"strconv"
	"strings"
)

// memLimitRatio is the share of the container's memory limit given to the
// Go heap when GOMEMLIMIT is not set: the rest covers stacks, the runtime
// and, on the embedded engine, chDB's own memory.
const memLimitRatio = 0.9

// unlimited is the smallest cgroup v1 value taken as "no limit" (the kernel
// reports 2^63 rounded down to a page).
const unlimited = 1 << 62

// memLimit is the soft memory limit main set from the cgroup (zero when
// none), logged by the command once its logger exists.
type memLimit struct {
	soft, cgroup int64
	file         string
}

var appliedMemLimit memLimit

func (m memLimit) log(logger *slog.Logger) {
	if m.soft > 0 {
		logger.Info("Go soft memory limit set from the container's memory limit (set GOMEMLIMIT to override)",
			"limit_mib", m.soft>>20, "cgroup_limit_mib", m.cgroup>>20, "cgroup_file", "/"+m.file)
	}
}

// applyMemoryLimit sets the Go soft memory limit to memLimitRatio of the
// cgroup memory limit the process runs under, unless GOMEMLIMIT is set (then
// the runtime already applies it) or there is no limit. Without it the heap
// may grow to twice the live data (GOGC=100) and a container with a tight
// limit is killed although syncd's live memory fits.
func applyMemoryLimit(getenv func(string) string, root fs.FS) memLimit {
	if getenv("GOMEMLIMIT") != "" {
		return memLimit{}
	}
	limit, file, ok := cgroupMemoryLimit(root)
	if !ok {
		return memLimit{}
	}
	m := memLimit{soft: int64(float64(limit) * memLimitRatio), cgroup: limit, file: file}
	debug.SetMemoryLimit(m.soft)
	return m
}

// cgroupMemoryLimit returns the memory limit of the process's cgroup, read
// from root (the file system root): cgroup v2 memory.max or v1
// memory.limit_in_bytes, in the process's own cgroup or, when that path is
// not visible (a container's namespaced view), at the hierarchy's root.
func cgroupMemoryLimit(root fs.FS) (int64, string, bool) {
	f, err := root.Open("proc/self/cgroup")
	if err != nil {
		return 0, "", false
	}
	defer f.Close()
	var candidates []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// hierarchy-ID:controller-list:cgroup-path
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		p := strings.TrimPrefix(path.Clean("/"+parts[2]), "/")
		switch {
		case parts[0] == "0" && parts[1] == "":
			candidates = append(candidates, path.Join("sys/fs/cgroup", p, "memory.max"), "sys/fs/cgroup/memory.max")
		case hasController(parts[1], "memory"):
			candidates = append(candidates, path.Join("sys/fs/cgroup/memory", p, "memory.limit_in_bytes"), "sys/fs/cgroup/memory/memory.limit_in_bytes")
		}
	}
	for _, c := range candidates {
		b, err := fs.ReadFile(root, c)
		if err != nil {
			continue
		}
		v := strings.TrimSpace(string(b))
		if v == "max" {
			return 0, "", false
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 || n >= unlimited || n == math.MaxInt64 {
			return 0, "", false
		}
		return n, c, true
	}
	return 0, "", false
}

func hasController(list, name string) bool {
	for _, c := range strings.Split(list, ",") {
		if c == name {
			return true
		}
	}
	return false
}

// osRoot is the file system root applyMemoryLimit reads in production.
var osRoot = os.DirFS("/")
