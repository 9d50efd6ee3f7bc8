package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/wxgo/offiaccount"
)

// TokenStore is an [offiaccount.TokenStore] over Redis: every [offiaccount.Client] of an
// account that uses it, in any process, shares one access_token and one set of tickets, and
// one process at a time refreshes them. Create it with [NewTokenStore]; it is safe for
// concurrent use.
//
// A value lives in one Redis string, "<expiry in Unix nanoseconds>:<value>", which Redis
// expires at the value's expiry. A lock is a Redis string holding its owner, taken with
// SET NX PX and released by a script that deletes it only while it still holds that owner.
type TokenStore struct {
	rdb redis.UniversalClient
	cfg config
}

var _ offiaccount.TokenStore = (*TokenStore)(nil)

// NewTokenStore returns a TokenStore that keeps its keys in rdb. Pass it to
// [offiaccount.WithClientTokenStore].
func NewTokenStore(rdb redis.UniversalClient, opts ...Option) *TokenStore {
	return &TokenStore{rdb: rdb, cfg: newConfig(opts)}
}

// compareAndDeleteValue deletes KEYS[1] if the value part of its "<expiry>:<value>" payload
// is ARGV[1].
var compareAndDeleteValue = redis.NewScript(`
local p = redis.call('GET', KEYS[1])
if not p then return 0 end
local i = string.find(p, ':', 1, true)
if i and string.sub(p, i + 1) == ARGV[1] then
	return redis.call('DEL', KEYS[1])
end
return 0`)

// compareAndDeleteOwner deletes the lock KEYS[1] if it holds owner ARGV[1].
var compareAndDeleteOwner = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
	return redis.call('DEL', KEYS[1])
end
return 0`)

// Get implements [offiaccount.TokenStore].
func (s *TokenStore) Get(ctx context.Context, key string) (string, time.Time, error) {
	ctx, cancel := s.cfg.bound(ctx)
	defer cancel()
	p, err := s.rdb.Get(ctx, s.cfg.prefix+key).Result()
	if errors.Is(err, redis.Nil) {
		return "", time.Time{}, nil
	}
	if err != nil {
		return "", time.Time{}, fmt.Errorf("redisstore: get %q: %w", key, err)
	}
	value, expiry, ok := decodeValue(p)
	if !ok {
		return "", time.Time{}, fmt.Errorf("redisstore: get %q: the stored payload is not <expiry>:<value>", key)
	}
	return value, expiry, nil
}

// Set implements [offiaccount.TokenStore]. Redis drops the key at expiry; a value whose
// expiry has already passed deletes the key.
func (s *TokenStore) Set(ctx context.Context, key, value string, expiry time.Time) error {
	ctx, cancel := s.cfg.bound(ctx)
	defer cancel()
	k := s.cfg.prefix + key
	ttl := time.Until(expiry)
	var err error
	if ttl < time.Millisecond {
		err = s.rdb.Del(ctx, k).Err()
	} else {
		// Round up so that Redis never drops a value the Client still counts as valid.
		ttl = (ttl + time.Millisecond - 1).Truncate(time.Millisecond)
		err = s.rdb.Set(ctx, k, encodeValue(value, expiry), ttl).Err()
	}
	if err != nil {
		return fmt.Errorf("redisstore: set %q: %w", key, err)
	}
	return nil
}

// CompareAndDelete implements [offiaccount.TokenStore] with a script, so that a value that
// another process has just replaced is kept.
func (s *TokenStore) CompareAndDelete(ctx context.Context, key, value string) (bool, error) {
	ctx, cancel := s.cfg.bound(ctx)
	defer cancel()
	n, err := compareAndDeleteValue.Run(ctx, s.rdb, []string{s.cfg.prefix + key}, value).Int64()
	if err != nil {
		return false, fmt.Errorf("redisstore: compare-and-delete %q: %w", key, err)
	}
	return n == 1, nil
}

// TryLock implements [offiaccount.TokenStore] with SET key owner NX PX lease. A lease shorter
// than a millisecond counts as one millisecond.
func (s *TokenStore) TryLock(ctx context.Context, key, owner string, lease time.Duration) (bool, error) {
	ctx, cancel := s.cfg.bound(ctx)
	defer cancel()
	lease = max(lease, time.Millisecond).Truncate(time.Millisecond)
	// go-redis sends whole seconds as EX, which is the same lease.
	ok, err := s.rdb.SetNX(ctx, s.cfg.prefix+key, owner, lease).Result()
	if err != nil {
		return false, fmt.Errorf("redisstore: lock %q: %w", key, err)
	}
	return ok, nil
}

// Unlock implements [offiaccount.TokenStore] with a compare-and-delete script: a lock whose
// lease ran out and that another owner took is left alone.
func (s *TokenStore) Unlock(ctx context.Context, key, owner string) error {
	ctx, cancel := s.cfg.bound(ctx)
	defer cancel()
	if err := compareAndDeleteOwner.Run(ctx, s.rdb, []string{s.cfg.prefix + key}, owner).Err(); err != nil {
		return fmt.Errorf("redisstore: unlock %q: %w", key, err)
	}
	return nil
}

// encodeValue lays a value out as "<expiry in Unix nanoseconds>:<value>".
func encodeValue(value string, expiry time.Time) string {
	b := make([]byte, 0, 20+1+len(value))
	b = strconv.AppendInt(b, expiry.UnixNano(), 10)
	b = append(b, ':')
	b = append(b, value...)
	return string(b)
}

// decodeValue reverses encodeValue.
func decodeValue(p string) (value string, expiry time.Time, ok bool) {
	head, value, found := strings.Cut(p, ":")
	if !found {
		return "", time.Time{}, false
	}
	ns, err := strconv.ParseInt(head, 10, 64)
	if err != nil || ns <= 0 {
		return "", time.Time{}, false
	}
	return value, time.Unix(0, ns), true
}
