package sink

import "os"

// LibraryPath returns the libchdb path the embedded engine loads:
// CHDB_LIB_PATH, or libchdb.so from the default search path.
func LibraryPath() string {
	if p := os.Getenv("CHDB_LIB_PATH"); p != "" {
		return p
	}
	return "libchdb.so"
}
