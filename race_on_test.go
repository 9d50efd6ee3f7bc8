//go:build race

package offiaccount

const raceEnabled = true
