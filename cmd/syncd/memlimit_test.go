package main

import (
	"runtime/debug"
	"testing"
	"testing/fstest"
)

func TestCgroupMemoryLimit(t *testing.T) {
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	for _, tt := range []struct {
		name     string
		fs       fstest.MapFS
		want     int64
		wantFile string
	}{
		{"v2 container view", fstest.MapFS{
			"proc/self/cgroup":         file("0::/\n"),
			"sys/fs/cgroup/memory.max": file("536870912\n"),
		}, 512 << 20, "sys/fs/cgroup/memory.max"},
		{"v2 own cgroup path", fstest.MapFS{
			"proc/self/cgroup":                              file("0::/kubepods/pod1/c1\n"),
			"sys/fs/cgroup/kubepods/pod1/c1/memory.max":     file("1073741824\n"),
			"sys/fs/cgroup/memory.max":                      file("max\n"),
			"sys/fs/cgroup/kubepods/pod1/c1/memory.current": file("1\n"),
		}, 1 << 30, "sys/fs/cgroup/kubepods/pod1/c1/memory.max"},
		{"v2 path not visible: the namespace root", fstest.MapFS{
			"proc/self/cgroup":         file("0::/elsewhere\n"),
			"sys/fs/cgroup/memory.max": file("268435456\n"),
		}, 256 << 20, "sys/fs/cgroup/memory.max"},
		{"v2 no limit", fstest.MapFS{
			"proc/self/cgroup":         file("0::/\n"),
			"sys/fs/cgroup/memory.max": file("max\n"),
		}, 0, ""},
		{"v1 with a limit", fstest.MapFS{
			"proc/self/cgroup": file("9:pids:/\n4:memory:/process_api/abc\n1:cpu,cpuacct:/\n0::/\n"),
			"sys/fs/cgroup/memory/process_api/abc/memory.limit_in_bytes": file("2147483648\n"),
		}, 2 << 30, "sys/fs/cgroup/memory/process_api/abc/memory.limit_in_bytes"},
		{"v1 unlimited (this machine)", fstest.MapFS{
			"proc/self/cgroup": file("4:memory:/process_api/abc\n0::/\n"),
			"sys/fs/cgroup/memory/process_api/abc/memory.limit_in_bytes": file("9223372036854771712\n"),
		}, 0, ""},
		{"no cgroup file", fstest.MapFS{}, 0, ""},
		{"garbage", fstest.MapFS{
			"proc/self/cgroup":         file("0::/\n"),
			"sys/fs/cgroup/memory.max": file("lots\n"),
		}, 0, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, f, ok := cgroupMemoryLimit(tt.fs)
			if got != tt.want || f != tt.wantFile || ok != (tt.want > 0) {
				t.Errorf("cgroupMemoryLimit = %d, %q, %v; want %d, %q", got, f, ok, tt.want, tt.wantFile)
			}
		})
	}
}

func TestApplyMemoryLimit(t *testing.T) {
	limited := fstest.MapFS{
		"proc/self/cgroup":         {Data: []byte("0::/\n")},
		"sys/fs/cgroup/memory.max": {Data: []byte("536870912\n")},
	}
	before := debug.SetMemoryLimit(-1)
	defer debug.SetMemoryLimit(before)

	if m := applyMemoryLimit(func(k string) string { return map[string]string{"GOMEMLIMIT": "400MiB"}[k] }, limited); m.soft != 0 {
		t.Errorf("with GOMEMLIMIT set: applied %+v, want nothing", m)
	}
	if got := debug.SetMemoryLimit(-1); got != before {
		t.Errorf("with GOMEMLIMIT set the runtime limit changed to %d", got)
	}
	m := applyMemoryLimit(func(string) string { return "" }, limited)
	cgroup := int64(512 << 20)
	if want := int64(float64(cgroup) * memLimitRatio); m.soft != want || m.cgroup != 512<<20 {
		t.Errorf("applied %+v, want soft %d of cgroup %d", m, want, 512<<20)
	}
	if got := debug.SetMemoryLimit(-1); got != m.soft {
		t.Errorf("runtime limit %d, want %d", got, m.soft)
	}
	if m := applyMemoryLimit(func(string) string { return "" }, fstest.MapFS{}); m.soft != 0 {
		t.Errorf("no cgroup: applied %+v", m)
	}
}
