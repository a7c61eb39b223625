package redistest

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestStartRestartStop(t *testing.T) {
	s := Start(t)
	require.NoError(t, ping(s.Addr()))
	s.Restart()
	require.NoError(t, ping(s.Addr()), "same port after a restart")
	s.Stop()
	require.Error(t, ping(s.Addr()), "stopped")
	s.Start()
	require.NoError(t, ping(s.Addr()))
}
