//go:build !race

package offiaccount

const raceEnabled = false
