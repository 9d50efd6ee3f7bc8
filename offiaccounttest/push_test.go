package offiaccounttest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/wxgo/offiaccount"
)

func TestPushedEventsFollowTheFakeClock(t *testing.T) {
	p := newTestPlatform(t)
	start := p.Now()

	var got []string
	h, err := offiaccount.NewHandler("pushtoken")
	require.NoError(t, err)
	h.HandleDefault(func(_ context.Context, m *offiaccount.Message) (offiaccount.Reply, error) {
		got = append(got, m.EventKey)
		return nil, nil
	})

	p.mu.Lock()
	p.scheduleEventLocked(start.Add(2*time.Second), Event("o-user", "CLICK", "second"))
	p.scheduleEventLocked(start.Add(time.Second), Event("o-user", "CLICK", "first"))
	p.scheduleEventLocked(start.Add(time.Minute), Event("o-user", "CLICK", "later"))
	p.mu.Unlock()

	// No sender yet: nothing is due, nothing pushed.
	assert.Equal(t, 3, p.PendingEvents())
	assert.Empty(t, p.PushedEvents())

	p.SetEventSender(&Sender{Handler: h, Token: "pushtoken"})
	p.Advance(5 * time.Second)
	assert.Equal(t, []string{"first", "second"}, got, "due events are pushed oldest first")
	assert.Equal(t, 1, p.PendingEvents())

	pushed := p.PushedEvents()
	require.Len(t, pushed, 2)
	for _, e := range pushed {
		require.NoError(t, e.Err)
		require.NotNil(t, e.Exchange)
		assert.Equal(t, 200, e.Exchange.Status)
	}
	assert.Equal(t, start.Add(time.Second).Unix(), pushed[0].Message.CreateTime,
		"CreateTime is the time the event became due")

	p.SetNow(start.Add(time.Hour))
	assert.Equal(t, []string{"first", "second", "later"}, got)
	assert.Zero(t, p.PendingEvents())
}

func TestPushedEventsRecordedWithoutSender(t *testing.T) {
	p := newTestPlatform(t)
	p.mu.Lock()
	p.scheduleEventLocked(p.now, Event("o-user", "CLICK", "now"))
	p.mu.Unlock()
	p.Advance(0)
	pushed := p.PushedEvents()
	require.Len(t, pushed, 1)
	assert.Nil(t, pushed[0].Exchange)
	assert.NoError(t, pushed[0].Err)
	assert.Equal(t, "CLICK", pushed[0].Message.Fields[0].Value)
}
