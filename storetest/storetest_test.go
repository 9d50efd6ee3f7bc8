package storetest_test

import (
	"testing"

	"github.com/wxgo/offiaccount"
	"github.com/wxgo/offiaccount/storetest"
)

func TestMemoryStore(t *testing.T) {
	t.Parallel()
	storetest.TestTokenStore(t, func() offiaccount.TokenStore { return offiaccount.NewMemoryTokenStore() })
}
