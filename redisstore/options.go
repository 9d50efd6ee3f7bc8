package redisstore

import (
	"context"
	"log/slog"
	"time"
)

// DefaultPrefix starts every key the stores write, keeping them apart from other data in the
// same Redis database.
const DefaultPrefix = "offiaccount:"

// DefaultTimeout bounds each Redis call of a store unless [WithTimeout] says otherwise. It
// is short next to WeChat's 5-second callback window, so a stalled Redis costs a request a
// fraction of it before the store gives up.
const DefaultTimeout = 2 * time.Second

// Option configures a store made by [NewTokenStore] or [NewDedupeStore].
type Option func(*config)

type config struct {
	prefix  string
	timeout time.Duration
	logger  *slog.Logger
}

func newConfig(opts []Option) config {
	c := config{prefix: DefaultPrefix, timeout: DefaultTimeout}
	for _, opt := range opts {
		opt(&c)
	}
	if c.logger == nil {
		c.logger = slog.New(discardHandler{})
	}
	return c
}

// WithPrefix starts every key with prefix instead of [DefaultPrefix], to give two
// deployments (staging and production, say) separate records in one Redis. An empty prefix
// is allowed.
func WithPrefix(prefix string) Option {
	return func(c *config) { c.prefix = prefix }
}

// WithTimeout bounds each Redis call to d instead of [DefaultTimeout]. d <= 0 leaves only the
// caller's context and the go-redis client's own timeouts.
func WithTimeout(d time.Duration) Option {
	return func(c *config) { c.timeout = d }
}

// WithLogger makes the dedupe store say through l when Redis stops and starts answering (the
// token store returns its errors, and the [offiaccount.Client] logs them). Nothing secret is
// logged. The default logs nothing.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) { c.logger = l }
}

// bound applies the store's timeout to ctx.
func (c *config) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	if c.timeout <= 0 {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, c.timeout)
}

// discardHandler drops every record (slog.DiscardHandler needs Go 1.24).
type discardHandler struct{}

func (discardHandler) Enabled(context.Context, slog.Level) bool  { return false }
func (discardHandler) Handle(context.Context, slog.Record) error { return nil }
func (d discardHandler) WithAttrs([]slog.Attr) slog.Handler      { return d }
func (d discardHandler) WithGroup(string) slog.Handler           { return d }
