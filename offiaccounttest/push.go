package offiaccounttest

import (
	"context"
	"sort"
	"time"
)

// PushedEvent is an event the platform generated on its own (a publish or mass-send job
// finishing, a subscription popup answered, ...), with the outcome of pushing it.
type PushedEvent struct {
	// At is the fake-clock time at which the event became due.
	At time.Time
	// Message is the event as WeChat would post it.
	Message UserMessage
	// Exchange is what the callback answered; nil when no sender was set or sending failed.
	Exchange *Exchange
	// Err is the error from sending it; nil when it was delivered or no sender was set.
	Err error
}

// pendingEvent is an event waiting for the fake clock to reach its time.
type pendingEvent struct {
	at  time.Time
	seq int // keeps events due at the same time in the order they were scheduled
	msg UserMessage
}

// SetEventSender makes the platform push the events it generates to a callback server
// through s, the way WeChat pushes job results: a due event is sent when the fake clock
// reaches it ([Platform.Advance], [Platform.SetNow]) or at once when it is due already.
// With a nil sender (the default) events are only recorded, for [Platform.PushedEvents].
func (p *Platform) SetEventSender(s *Sender) {
	p.mu.Lock()
	p.eventSender = s
	p.mu.Unlock()
	p.flushEvents()
}

// PushedEvents returns the events that became due so far, in order, with what the
// callback answered to each.
func (p *Platform) PushedEvents() []PushedEvent {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]PushedEvent(nil), p.pushed...)
}

// PendingEvents counts the generated events whose time has not come yet.
func (p *Platform) PendingEvents() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.pending)
}

// scheduleEventLocked queues an event for the fake-clock time at; the caller holds p.mu
// and must call p.flushEvents after unlocking so that an event already due is pushed.
func (p *Platform) scheduleEventLocked(at time.Time, m UserMessage) {
	p.eventSeq++
	p.pending = append(p.pending, pendingEvent{at: at, seq: p.eventSeq, msg: m})
}

// flushEvents pushes every due event, oldest first, outside the lock so that the callback
// may call the platform's API while it handles the event.
func (p *Platform) flushEvents() {
	p.mu.Lock()
	var due []pendingEvent
	keep := p.pending[:0]
	for _, e := range p.pending {
		if !e.at.After(p.now) {
			due = append(due, e)
		} else {
			keep = append(keep, e)
		}
	}
	p.pending = keep
	sender := p.eventSender
	p.mu.Unlock()

	sort.Slice(due, func(i, j int) bool {
		if !due[i].at.Equal(due[j].at) {
			return due[i].at.Before(due[j].at)
		}
		return due[i].seq < due[j].seq
	})
	for _, e := range due {
		rec := PushedEvent{At: e.at, Message: e.msg}
		if e.msg.CreateTime == 0 {
			rec.Message.CreateTime = e.at.Unix()
		}
		if sender != nil {
			rec.Exchange, rec.Err = sender.Send(context.Background(), rec.Message)
			if rec.Exchange != nil {
				rec.Message = rec.Exchange.Message
			}
		}
		p.mu.Lock()
		p.pushed = append(p.pushed, rec)
		p.mu.Unlock()
	}
	p.pushComponentTickets()
}
