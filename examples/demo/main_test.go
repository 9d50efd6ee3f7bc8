package main

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

// The demo is the README's main command; it must keep checking out.
func TestDemoChecksOut(t *testing.T) {
	require.NoError(t, run(context.Background()))
}
