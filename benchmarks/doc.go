// Package benchmarks compares offiaccount's callback handler and access_token cache with
// github.com/silenceper/wechat/v2 and with a hand-written standard-library floor, on requests
// built once by one helper ([NewFixture]) and replies checked by one checker
// ([Fixture.Check]), so that a peer that answers wrongly fails instead of looking fast.
//
// It is a module of its own so that the SDK does not depend on its peers. Run everything with
// ./run.sh (ten interleaved rounds, RESULTS.md); CI runs each benchmark once:
//
//	go test -run . -bench . -benchtime 1x ./...
package benchmarks
