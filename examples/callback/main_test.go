package main

import (
	"io"
	"log/slog"
	"testing"
)

func TestSelfTest(t *testing.T) {
	token, appID, aesKey := "selftest2024", "wx2c2769f8efd9abc2", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	mux, err := newMux(token, appID, aesKey, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := selfTest(mux, token, appID, aesKey); err != nil {
		t.Fatal(err)
	}
}
