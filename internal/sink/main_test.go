package sink_test

import (
	"testing"

	"github.com/syncd-io/syncd/internal/sink/sinktest"
)

func TestMain(m *testing.M) { sinktest.Main(m) }
