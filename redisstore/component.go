package redisstore

// Durable values for the third-party platform package (component): an authorizer's
// refresh token must outlive every expiry and eviction, since losing it forces the account's
// owner to authorize the platform again.

import (
	"context"
	"fmt"
	"math"
	"time"
)

// durableExpiry is the expiry recorded in a durable value's payload (the largest Unix
// nanosecond time, in 2262); Redis itself keeps the key without a TTL.
var durableExpiry = time.Unix(0, math.MaxInt64)

// SetDurable stores value under key with no TTL, which keeps it out of reach of the
// volatile-* eviction policies that drop only keys with a TTL, and replaces any value.
// component.Platform uses it (through its DurableStore interface) for every authorizer's
// authorizer_refresh_token. For the refresh tokens to survive a restart and a failover, run
// Redis with persistence (appendonly yes) and replicas; what is lost anyway can be recovered
// from WeChat with component.Platform.RestoreRefreshTokens.
func (s *TokenStore) SetDurable(ctx context.Context, key, value string) error {
	ctx, cancel := s.cfg.bound(ctx)
	defer cancel()
	if err := s.rdb.Set(ctx, s.cfg.prefix+key, encodeValue(value, durableExpiry), 0).Err(); err != nil {
		return fmt.Errorf("redisstore: set durable %q: %w", key, err)
	}
	return nil
}
