package benchmarks

import (
	"io"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/stretchr/testify/require"
)

func TestMain(m *testing.M) {
	// Importing github.com/silenceper/wechat/v2 runs its package init, which sends logrus'
	// global logger to stdout at Debug level. Its README leaves it so; a production server
	// sets a level of its own. The "silenceper" peer runs at logrus' default level (Info),
	// the "silenceper-debug" peer at the Debug level the init sets; both discard the output
	// (the rejection tests would fill the log with it), so only the cost of formatting counts.
	logrus.SetOutput(io.Discard)
	logrus.SetLevel(logrus.InfoLevel)
	os.Exit(m.Run())
}

// peer is one implementation under comparison; err says why it is unavailable.
type peer struct {
	name string
	h    http.Handler
	err  error
	// setup, when set, prepares the process for this peer and returns the undo.
	setup func() (undo func())
}

// handlerPeers returns the callback handlers in the order results show them: the floor
// first, as the base of every ratio.
func handlerPeers(tb testing.TB) []peer {
	tb.Helper()
	floor, err := NewFloor(Token, AppID, EncodingAESKey)
	require.NoError(tb, err)
	ours, oursErr := NewOurs()
	return []peer{
		{name: "floor", h: floor},
		{name: "ours", h: ours, err: oursErr},
		{name: "silenceper", h: NewSilenceper()},
		{name: "silenceper-debug", h: NewSilenceper(), setup: silenceperDebug},
	}
}

// silenceperDebug sets logrus to the Debug level that silenceper's package init sets.
func silenceperDebug() (undo func()) {
	old := logrus.GetLevel()
	logrus.SetLevel(logrus.DebugLevel)
	return func() { logrus.SetLevel(old) }
}

func newFixture(tb testing.TB) *Fixture {
	tb.Helper()
	fx, err := NewFixture(time.Now())
	require.NoError(tb, err)
	return fx
}
