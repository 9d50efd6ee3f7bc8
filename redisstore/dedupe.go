package redisstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/wxgo/offiaccount"
)

// Polling and outage timing of DedupeStore.
const (
	// waitPollMin and waitPollMax bound the interval at which Wait re-reads a pending record:
	// a reply completed on another replica is seen within tens of milliseconds.
	waitPollMin = 5 * time.Millisecond
	waitPollMax = 40 * time.Millisecond
	// retryRedisAfter is how long the store dedupes in process after a Redis failure before it
	// tries Redis again, so that a stalled Redis does not cost every callback its timeout.
	retryRedisAfter = time.Second
)

// DedupeStore is an [offiaccount.DedupeStore] over Redis: the Handlers of all replicas of an
// account that use it share one record per message, so a WeChat retry that lands on another
// replica than the first attempt does not run the function again but gets the first
// attempt's reply, waiting for it while the first replica is still working. Create it with
// [NewDedupeStore]; it is safe for concurrent use.
//
// A record is one Redis string with the TTL the Handler asks for (as long as a replay of the
// request can pass the timestamp check): Claim creates it with SET NX PX in a script that
// returns the existing record otherwise, Complete replaces it with the reply, and Wait polls
// it. Once the reply's own TTL has passed (the Handler's WithHandlerDedupeTTL), a timer in the
// process that completed the record rewrites it without the reply, keeping its expiry, so
// Redis holds replies only while retries can ask for them (if that process exits first, the
// reply stays until the record expires).
//
// When Redis fails, the store logs it once and keeps records in an
// [offiaccount.MemoryDedupeStore] until Redis answers again (it retries after a second), so
// retries that reach the same replica are still deduped and nothing blocks on a dead Redis.
// After Redis is back, the store looks in that memory first for as long as its records
// live, so a retry or replay of a message handled during the outage does not run the
// function again on this replica (another replica, which never saw it, would).
type DedupeStore struct {
	rdb   redis.UniversalClient
	cfg   config
	local *offiaccount.MemoryDedupeStore

	downUntil atomic.Int64 // Unix nanoseconds before which Redis is not tried
	degraded  atomic.Bool  // Redis failed and has not answered since

	localUntil atomic.Int64 // Unix ns until which local may hold records

	mu         sync.Mutex
	localClaim map[string]struct{} // keys created in local while Redis was down, until Complete
}

var _ offiaccount.DedupeStore = (*DedupeStore)(nil)

// NewDedupeStore returns a DedupeStore that keeps its records in rdb. Pass it to
// [offiaccount.WithHandlerDedupeStore].
func NewDedupeStore(rdb redis.UniversalClient, opts ...Option) *DedupeStore {
	return &DedupeStore{
		rdb:        rdb,
		cfg:        newConfig(opts),
		local:      new(offiaccount.MemoryDedupeStore),
		localClaim: make(map[string]struct{}),
	}
}

// A record's payload is "p<first seen>:" while pending and "d<first seen>:<reply>" once
// complete, the time in Unix nanoseconds.

// claimScript creates KEYS[1] as ARGV[1] for ARGV[2] milliseconds and returns 1, or returns
// the record that is already there.
var claimScript = redis.NewScript(`
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return redis.call('GET', KEYS[1])`)

// completeScript stores reply ARGV[1] in KEYS[1] for ARGV[3] milliseconds, keeping the
// record's first-seen time, or ARGV[2] when the record is gone.
var completeScript = redis.NewScript(`
local fs = ARGV[2]
local p = redis.call('GET', KEYS[1])
if p then
	local i = string.find(p, ':', 1, true)
	if i and i > 2 then fs = string.sub(p, 2, i - 1) end
end
redis.call('SET', KEYS[1], 'd' .. fs .. ':' .. ARGV[1], 'PX', ARGV[3])
return 1`)

// compactScript drops the reply of KEYS[1], keeping the record and its expiry.
var compactScript = redis.NewScript(`
local p = redis.call('GET', KEYS[1])
if p and string.sub(p, 1, 1) == 'd' then
	local i = string.find(p, ':', 1, true)
	local t = redis.call('PTTL', KEYS[1])
	if i and i < #p and t > 0 then redis.call('SET', KEYS[1], string.sub(p, 1, i), 'PX', t) end
end
return 1`)

// usedLocal notes that local holds records for up to ttl from now.
func (s *DedupeStore) usedLocal(ttl time.Duration) {
	until := time.Now().Add(ttl).UnixNano()
	for {
		cur := s.localUntil.Load()
		if cur >= until || s.localUntil.CompareAndSwap(cur, until) {
			return
		}
	}
}

// Claim implements [offiaccount.DedupeStore]. Records kept in process memory during an
// outage are consulted first, so Redis's "absent" never reruns a message handled then.
func (s *DedupeStore) Claim(ctx context.Context, key string, now time.Time, ttl time.Duration) (offiaccount.DedupeRecord, bool, error) {
	if until := s.localUntil.Load(); until != 0 && time.Now().UnixNano() < until {
		if rec, ok := s.local.Lookup(key); ok {
			return rec, false, nil
		}
	}
	if s.redisUsable() {
		rec, created, err := s.claimRedis(ctx, key, now, ttl)
		if err == nil || ctx.Err() != nil || errors.Is(err, errMalformedRecord) {
			s.up(ctx, err)
			return rec, created, err
		}
		s.down(ctx, "claim", err)
	}
	s.usedLocal(ttl)
	rec, created, err := s.local.Claim(ctx, key, now, ttl)
	if created {
		s.mu.Lock()
		s.localClaim[key] = struct{}{}
		s.mu.Unlock()
	}
	return rec, created, err
}

func (s *DedupeStore) claimRedis(ctx context.Context, key string, now time.Time, ttl time.Duration) (offiaccount.DedupeRecord, bool, error) {
	ctx, cancel := s.cfg.bound(ctx)
	defer cancel()
	pending := "p" + strconv.FormatInt(now.UnixNano(), 10) + ":"
	res, err := claimScript.Run(ctx, s.rdb, []string{s.redisKey(key)}, pending, millis(ttl)).Result()
	if err != nil {
		return offiaccount.DedupeRecord{}, false, fmt.Errorf("redisstore: dedupe claim: %w", err)
	}
	switch v := res.(type) {
	case int64:
		return offiaccount.DedupeRecord{FirstSeen: now}, true, nil
	case string:
		rec, ok := decodeRecord(v)
		if !ok {
			return offiaccount.DedupeRecord{}, false, errMalformedRecord
		}
		return rec, false, nil
	}
	return offiaccount.DedupeRecord{}, false, fmt.Errorf("redisstore: dedupe claim: unexpected answer of type %T", res)
}

// errMalformedRecord means that a key of the store holds something this package did not write.
var errMalformedRecord = errors.New("redisstore: dedupe record is not <state><first seen>:<reply>")

// Complete implements [offiaccount.DedupeStore]. It applies the store's own timeout, since
// the Handler's context outlives the request.
func (s *DedupeStore) Complete(ctx context.Context, key string, reply []byte, replyTTL, ttl time.Duration) error {
	s.mu.Lock()
	_, wasLocal := s.localClaim[key]
	delete(s.localClaim, key)
	s.mu.Unlock()
	if wasLocal {
		// Waiters in this process may be blocked on the local record, and a retry after
		// Redis is back must find it.
		s.usedLocal(ttl)
		_ = s.local.Complete(ctx, key, reply, replyTTL, ttl)
	}
	if s.redisUsable() {
		err := s.completeRedis(ctx, key, reply, ttl)
		if err == nil || ctx.Err() != nil {
			s.up(ctx, err)
			if err == nil && len(reply) > 0 && replyTTL < ttl {
				time.AfterFunc(replyTTL, func() { s.compact(key) })
			}
			return err
		}
		s.down(ctx, "complete", err)
	}
	if wasLocal {
		return nil
	}
	s.usedLocal(ttl)
	return s.local.Complete(ctx, key, reply, replyTTL, ttl)
}

// compact drops key's reply from Redis once retries can no longer ask for it. A failure
// only costs memory until the record expires.
func (s *DedupeStore) compact(key string) {
	ctx, cancel := s.cfg.bound(context.Background())
	defer cancel()
	_ = compactScript.Run(ctx, s.rdb, []string{s.redisKey(key)}).Err()
}

func (s *DedupeStore) completeRedis(ctx context.Context, key string, reply []byte, ttl time.Duration) error {
	ctx, cancel := s.cfg.bound(ctx)
	defer cancel()
	now := strconv.FormatInt(time.Now().UnixNano(), 10)
	if err := completeScript.Run(ctx, s.rdb, []string{s.redisKey(key)}, reply, now, millis(ttl)).Err(); err != nil {
		return fmt.Errorf("redisstore: dedupe complete: %w", err)
	}
	return nil
}

// Wait implements [offiaccount.DedupeStore] by polling the record, every few tens of
// milliseconds at most, until it is complete or ctx ends. While Redis is down it waits on the
// in-process record, if this replica has one, and keeps trying Redis.
func (s *DedupeStore) Wait(ctx context.Context, key string) ([]byte, error) {
	poll := waitPollMin
	for {
		if s.redisUsable() {
			rec, found, err := s.read(ctx, key)
			switch {
			case err == nil && found && rec.Done:
				s.up(ctx, nil)
				return rec.Reply, nil
			case err == nil && !found:
				s.up(ctx, nil)
				// Claimed in process memory while Redis was down, or gone.
				return s.waitLocal(ctx, key, poll, true)
			case errors.Is(err, errMalformedRecord):
				return nil, err
			case err != nil && ctx.Err() == nil:
				s.down(ctx, "wait", err)
				continue
			}
			// Pending, or ctx ended.
		} else if reply, err := s.waitLocal(ctx, key, poll, false); err == nil || ctx.Err() != nil {
			return reply, err
		}
		if err := sleepCtx(ctx, poll); err != nil {
			return nil, err
		}
		poll = min(poll*2, waitPollMax)
	}
}

// waitLocal waits up to d for the in-process record of key. With final set it reports a
// missing record as [offiaccount.ErrDedupeRecordNotFound] and otherwise keeps waiting;
// without, it returns after at most d either way, so that Wait tries Redis again.
func (s *DedupeStore) waitLocal(ctx context.Context, key string, d time.Duration, final bool) ([]byte, error) {
	for {
		lctx, cancel := context.WithTimeout(ctx, max(d, retryRedisAfter/4))
		reply, err := s.local.Wait(lctx, key)
		cancel()
		switch {
		case err == nil:
			return reply, nil
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case errors.Is(err, offiaccount.ErrDedupeRecordNotFound) && final:
			return nil, err
		case !final:
			return nil, err
		}
		// A pending local record: keep waiting on it.
	}
}

// read fetches and decodes the record of key.
func (s *DedupeStore) read(ctx context.Context, key string) (rec offiaccount.DedupeRecord, found bool, err error) {
	ctx, cancel := s.cfg.bound(ctx)
	defer cancel()
	p, err := s.rdb.Get(ctx, s.redisKey(key)).Result()
	if errors.Is(err, redis.Nil) {
		return rec, false, nil
	}
	if err != nil {
		return rec, false, fmt.Errorf("redisstore: dedupe wait: %w", err)
	}
	rec, ok := decodeRecord(p)
	if !ok {
		return rec, false, errMalformedRecord
	}
	return rec, true, nil
}

func (s *DedupeStore) redisKey(key string) string { return s.cfg.prefix + "dedupe:" + key }

// redisUsable reports whether to try Redis: it has not failed lately. Once the pause after
// a failure is over, a single caller probes Redis while the others keep to process memory.
func (s *DedupeStore) redisUsable() bool {
	until := s.downUntil.Load()
	if until == 0 {
		return true
	}
	now := time.Now()
	if now.UnixNano() < until {
		return false
	}
	return s.downUntil.CompareAndSwap(until, now.Add(retryRedisAfter).UnixNano())
}

// down records a Redis failure: the store dedupes in process for a while, and says so once.
func (s *DedupeStore) down(ctx context.Context, op string, err error) {
	s.downUntil.Store(time.Now().Add(retryRedisAfter).UnixNano())
	if s.degraded.CompareAndSwap(false, true) {
		s.cfg.logger.LogAttrs(ctx, slog.LevelWarn, "offiaccount/redisstore: Redis failed; deduping callbacks in process until it is back",
			slog.String("op", op), slog.String("error", err.Error()))
	}
}

// up records that Redis answered (err is nil or the caller's own context error).
func (s *DedupeStore) up(ctx context.Context, err error) {
	if err != nil {
		return
	}
	if s.downUntil.Load() != 0 {
		s.downUntil.Store(0)
	}
	if s.degraded.CompareAndSwap(true, false) {
		s.cfg.logger.LogAttrs(ctx, slog.LevelInfo, "offiaccount/redisstore: Redis is back; deduping callbacks through it again")
	}
}

// decodeRecord parses "p<ns>:" and "d<ns>:<reply>".
func decodeRecord(p string) (offiaccount.DedupeRecord, bool) {
	if len(p) < 3 || (p[0] != 'p' && p[0] != 'd') {
		return offiaccount.DedupeRecord{}, false
	}
	head, reply, found := strings.Cut(p[1:], ":")
	ns, err := strconv.ParseInt(head, 10, 64)
	if !found || err != nil || ns <= 0 || (p[0] == 'p' && reply != "") {
		return offiaccount.DedupeRecord{}, false
	}
	rec := offiaccount.DedupeRecord{FirstSeen: time.Unix(0, ns), Done: p[0] == 'd'}
	if reply != "" {
		rec.Reply = []byte(reply)
	}
	return rec, true
}

// millis renders a TTL for PX, at least one millisecond.
func millis(d time.Duration) string {
	return strconv.FormatInt(max(d.Milliseconds(), 1), 10)
}

// sleepCtx waits d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
