package sink

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDefaultCHDBVersion: the installer's default chDB is the one a binary
// looks for without CHDB_LIB_PATH.
func TestDefaultCHDBVersion(t *testing.T) {
	script, err := os.ReadFile("../../scripts/test-deps.sh")
	if err != nil {
		t.Fatal(err)
	}
	want := `CHDB_VERSIONS="${CHDB_VERSIONS:-` + DefaultCHDBVersion + " "
	if !strings.Contains(string(script), want) {
		t.Errorf("scripts/test-deps.sh does not install %s first (want %q in it)", DefaultCHDBVersion, want)
	}
}

func TestLibraryPathFindsCache(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("CHDB_LIB_PATH", "")
	t.Setenv("SYNCD_CHDB_CACHE", dir)
	if got := LibraryPath(); got != "libchdb.so" {
		t.Errorf("empty cache: LibraryPath() = %q, want libchdb.so", got)
	}
	lib := filepath.Join(dir, "chdb-"+DefaultCHDBVersion, "package", "libchdb.so")
	if err := os.MkdirAll(filepath.Dir(lib), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(lib, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := LibraryPath(); got != lib {
		t.Errorf("LibraryPath() = %q, want the cached %q", got, lib)
	}
	t.Setenv("CHDB_LIB_PATH", "/opt/libchdb.so")
	if got := LibraryPath(); got != "/opt/libchdb.so" {
		t.Errorf("with CHDB_LIB_PATH: LibraryPath() = %q", got)
	}
}
