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
	// silenceper logs every rejected request through logrus' global logger; the rejection
	// tests would fill the output with it.
	logrus.SetOutput(io.Discard)
	os.Exit(m.Run())
}

// peer is one implementation under comparison; err says why it is unavailable.
type peer struct {
	name string
	h    http.Handler
	err  error
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
	}
}

func newFixture(tb testing.TB) *Fixture {
	tb.Helper()
	fx, err := NewFixture(time.Now())
	require.NoError(tb, err)
	return fx
}
