package sink

import (
	"os"
	"path/filepath"
)

// DefaultCHDBVersion is the chDB build the embedded engine is tested with
// first and that scripts/test-deps.sh (and so `make demo`) installs by
// default; keep the two equal (TestDefaultCHDBVersion).
const DefaultCHDBVersion = "26.7.3-stable.1"

// LibraryPath returns the libchdb path the embedded engine loads:
// CHDB_LIB_PATH if set; else the default version where the project's
// installer caches it (${SYNCD_CHDB_CACHE:-${XDG_CACHE_HOME:-~/.cache}/syncd}/
// chdb-<version>/package/libchdb.so), if it is there; else libchdb.so from
// the dynamic loader's search path.
func LibraryPath() string {
	if p := os.Getenv("CHDB_LIB_PATH"); p != "" {
		return p
	}
	if p := cachedLibrary(); p != "" {
		return p
	}
	return "libchdb.so"
}

func cachedLibrary() string {
	dir := os.Getenv("SYNCD_CHDB_CACHE")
	if dir == "" {
		base := os.Getenv("XDG_CACHE_HOME")
		if base == "" {
			home, err := os.UserHomeDir()
			if err != nil {
				return ""
			}
			base = filepath.Join(home, ".cache")
		}
		dir = filepath.Join(base, "syncd")
	}
	p := filepath.Join(dir, "chdb-"+DefaultCHDBVersion, "package", "libchdb.so")
	if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
		return p
	}
	return ""
}
