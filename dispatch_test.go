package offiaccount

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type ctxKey struct{}

func TestLazyDeadlineBehavesLikeWithDeadline(t *testing.T) {
	t.Parallel()
	parent := context.WithValue(context.Background(), ctxKey{}, "v")

	// Ends at its deadline, through Done.
	ctx, cancel := withLazyDeadline(parent, time.Now().Add(20*time.Millisecond))
	defer cancel()
	dl, ok := ctx.Deadline()
	assert.True(t, ok)
	assert.WithinDuration(t, time.Now().Add(20*time.Millisecond), dl, 20*time.Millisecond)
	assert.Equal(t, "v", ctx.Value(ctxKey{}))
	assert.NoError(t, ctx.Err())
	select {
	case <-ctx.Done():
	case <-time.After(2 * time.Second):
		t.Fatal("Done never closed at the deadline")
	}
	assert.ErrorIs(t, ctx.Err(), context.DeadlineExceeded)

	// Ends at its deadline without anyone calling Done; a later Done is already closed.
	ctx2, cancel2 := withLazyDeadline(parent, time.Now().Add(time.Millisecond))
	defer cancel2()
	time.Sleep(5 * time.Millisecond)
	assert.ErrorIs(t, ctx2.Err(), context.DeadlineExceeded)
	select {
	case <-ctx2.Done():
	default:
		t.Fatal("Done of an expired context is open")
	}

	// A deadline in the past: Done is closed at once.
	past, cancelPast := withLazyDeadline(parent, time.Now().Add(-time.Second))
	defer cancelPast()
	<-past.Done()
	assert.ErrorIs(t, past.Err(), context.DeadlineExceeded)

	// Cancel before and after Done; the first cause wins.
	c3, cancel3 := withLazyDeadline(parent, time.Now().Add(time.Hour))
	cancel3()
	assert.ErrorIs(t, c3.Err(), context.Canceled)
	<-c3.Done()
	c4, cancel4 := withLazyDeadline(parent, time.Now().Add(time.Hour))
	done := c4.Done()
	cancel4()
	<-done
	cancel4()
	assert.ErrorIs(t, c4.Err(), context.Canceled)
	assert.Contains(t, c4.(interface{ String() string }).String(), "callbackContext")
}

func TestLazyDeadlinePropagatesToChildren(t *testing.T) {
	t.Parallel()
	ctx, cancel := withLazyDeadline(context.Background(), time.Now().Add(time.Hour))
	child, cancelChild := context.WithCancel(ctx)
	defer cancelChild()
	stopped := make(chan struct{})
	context.AfterFunc(ctx, func() { close(stopped) })
	cancel()
	select {
	case <-child.Done():
	case <-time.After(2 * time.Second):
		t.Fatal("child not cancelled with its parent")
	}
	require.ErrorIs(t, child.Err(), context.Canceled)
	<-stopped

	short, cancelShort := withLazyDeadline(context.Background(), time.Now().Add(10*time.Millisecond))
	defer cancelShort()
	grandchild, cancelGrandchild := context.WithTimeout(short, time.Hour)
	defer cancelGrandchild()
	d, _ := grandchild.Deadline()
	dl, _ := short.Deadline()
	assert.Equal(t, dl, d, "a child cannot outlive the callback's deadline")
	<-grandchild.Done()
}

func TestLazyDeadlineConcurrentUse(t *testing.T) {
	t.Parallel()
	ctx, cancel := withLazyDeadline(context.Background(), time.Now().Add(5*time.Millisecond))
	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-ctx.Done()
			assert.Error(t, ctx.Err())
		}()
	}
	wg.Add(1)
	go func() { defer wg.Done(); time.Sleep(time.Millisecond); cancel() }()
	wg.Wait()
}

// BenchmarkCallbackContext compares the lazy context with context.WithDeadline for a function
// that never waits on it, the common case.
func BenchmarkCallbackContext(b *testing.B) {
	base := context.WithoutCancel(context.Background())
	b.Run("lazy", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			ctx, cancel := withLazyDeadline(base, time.Now().Add(time.Minute))
			_ = ctx.Err()
			cancel()
		}
	})
	b.Run("context.WithDeadline", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			ctx, cancel := context.WithDeadline(base, time.Now().Add(time.Minute))
			_ = ctx.Err()
			cancel()
		}
	})
}

func TestHandlerSince(t *testing.T) {
	h := &Handler{}
	t0 := time.Now()
	time.Sleep(2 * time.Millisecond)
	got := h.since(t0)
	assert.GreaterOrEqual(t, got.Sub(t0), 2*time.Millisecond, "the time elapsed is added")
	assert.WithinDuration(t, time.Now(), got, time.Second, "wall time follows the real clock")

	fixed := time.Unix(1_700_000_000, 0)
	h.now = func() time.Time { return fixed }
	assert.Equal(t, fixed, h.since(t0), "a test clock is read as it is")
}
