package offiaccount

import (
	"context"
	"sort"
	"strings"
)

// routes maps messages to functions. Handler keeps the registered set and a
// compiled copy with middleware applied.
type routes struct {
	keys     map[string]HandlerFunc
	prefixes []prefixRoute // longest prefix first
	events   map[EventType]HandlerFunc
	types    map[MsgType]HandlerFunc
	fallback HandlerFunc
}

type prefixRoute struct {
	prefix string
	fn     HandlerFunc
}

// find returns the function for m, or nil.
func (rt *routes) find(m *Message) HandlerFunc {
	if m.MsgType == MsgTypeEvent && m.EventKey != "" {
		if fn, ok := rt.keys[m.EventKey]; ok {
			return fn
		}
		for _, p := range rt.prefixes {
			if strings.HasPrefix(m.EventKey, p.prefix) {
				return p.fn
			}
		}
	}
	if m.MsgType == MsgTypeEvent {
		if fn, ok := rt.events[m.Event]; ok {
			return fn
		}
	}
	if fn, ok := rt.types[m.MsgType]; ok {
		return fn
	}
	return rt.fallback
}

// HandleMsg routes messages of type t to fn. HandleMsg(MsgTypeEvent, fn)
// catches the events no HandleEvent or HandleEventKey route takes.
func (h *Handler) HandleMsg(t MsgType, fn HandlerFunc) {
	h.register(func(rt *routes) {
		if rt.types == nil {
			rt.types = make(map[MsgType]HandlerFunc)
		}
		rt.types[t] = fn
	}, fn)
}

// HandleText routes text messages (文本消息) to fn.
func (h *Handler) HandleText(fn HandlerFunc) { h.HandleMsg(MsgTypeText, fn) }

// HandleEvent routes events named e (subscribe, CLICK, …) to fn.
func (h *Handler) HandleEvent(e EventType, fn HandlerFunc) {
	h.register(func(rt *routes) {
		if rt.events == nil {
			rt.events = make(map[EventType]HandlerFunc)
		}
		rt.events[e] = fn
	}, fn)
}

// HandleEventKey routes events whose EventKey is key (a menu button's key,
// a QR scene as WeChat sends it) to fn, whatever the event.
func (h *Handler) HandleEventKey(key string, fn HandlerFunc) {
	h.register(func(rt *routes) {
		if rt.keys == nil {
			rt.keys = make(map[string]HandlerFunc)
		}
		rt.keys[key] = fn
	}, fn)
}

// HandleEventKeyPrefix routes events whose EventKey starts with prefix to fn,
// such as a family of menu buttons ("ORDER_") or QR scenes ("qrscene_").
// The longest matching prefix wins; an exact HandleEventKey route wins over
// every prefix.
func (h *Handler) HandleEventKeyPrefix(prefix string, fn HandlerFunc) {
	h.register(func(rt *routes) {
		for i, p := range rt.prefixes {
			if p.prefix == prefix {
				rt.prefixes[i].fn = fn
				return
			}
		}
		rt.prefixes = append(rt.prefixes, prefixRoute{prefix, fn})
		sort.SliceStable(rt.prefixes, func(i, j int) bool { return len(rt.prefixes[i].prefix) > len(rt.prefixes[j].prefix) })
	}, fn)
}

// HandleDefault routes every message no other route takes to fn. Without
// it such messages get no reply.
func (h *Handler) HandleDefault(fn HandlerFunc) {
	h.register(func(rt *routes) { rt.fallback = fn }, fn)
}

// Use appends middleware that wraps every routed function, registered
// before or after. The first middleware is the outermost: Use(a, b) runs a,
// then b, then the function.
func (h *Handler) Use(mw ...Middleware) {
	for _, m := range mw {
		if m == nil {
			panic("offiaccount: Use: nil middleware")
		}
	}
	h.registerMu.Lock()
	defer h.registerMu.Unlock()
	h.middlewares = append(h.middlewares, mw...)
	h.compile()
}

func (h *Handler) register(add func(*routes), fn HandlerFunc) {
	if fn == nil {
		panic("offiaccount: nil HandlerFunc")
	}
	h.registerMu.Lock()
	defer h.registerMu.Unlock()
	add(&h.raw)
	h.compile()
}

// compile publishes a copy of h.raw with the middleware applied. The caller
// holds registerMu.
func (h *Handler) compile() {
	wrap := func(fn HandlerFunc) HandlerFunc {
		for i := len(h.middlewares) - 1; i >= 0; i-- {
			fn = h.middlewares[i](fn)
		}
		return fn
	}
	c := &routes{}
	if h.raw.keys != nil {
		c.keys = make(map[string]HandlerFunc, len(h.raw.keys))
		for k, fn := range h.raw.keys {
			c.keys[k] = wrap(fn)
		}
	}
	for _, p := range h.raw.prefixes {
		c.prefixes = append(c.prefixes, prefixRoute{p.prefix, wrap(p.fn)})
	}
	if h.raw.events != nil {
		c.events = make(map[EventType]HandlerFunc, len(h.raw.events))
		for k, fn := range h.raw.events {
			c.events[k] = wrap(fn)
		}
	}
	if h.raw.types != nil {
		c.types = make(map[MsgType]HandlerFunc, len(h.raw.types))
		for k, fn := range h.raw.types {
			c.types[k] = wrap(fn)
		}
	}
	if h.raw.fallback != nil {
		c.fallback = wrap(h.raw.fallback)
	}
	h.compiled.Store(c)
}

// Dispatch runs the function routed for m, with the middleware, and returns
// its reply: what ServeHTTP does after checking and decoding a request,
// without deduplication or timing. Use it to test routes. Panics are not
// recovered here. A message no route takes gets (nil, nil).
func (h *Handler) Dispatch(ctx context.Context, m *Message) (Reply, error) {
	rt := h.compiled.Load()
	if rt == nil {
		return nil, nil // a zero Handler with no routes
	}
	fn := rt.find(m)
	if fn == nil {
		return nil, nil
	}
	return fn(ctx, m)
}
