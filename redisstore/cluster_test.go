package redisstore

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
	"github.com/wxgo/offiaccount"
	"github.com/wxgo/offiaccount/storetest"
)

// TestCluster runs the stores' contracts through a go-redis ClusterClient, against a
// one-node cluster that owns every slot: Cluster rejects a script whose keys span slots
// and routes each command by its key, which is what this checks.
func TestCluster(t *testing.T) {
	t.Parallel()
	s := ownRedis(t, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf")
	ctx := context.Background()
	admin := newClient(t, s)
	slots := []any{"CLUSTER", "ADDSLOTS"} // ADDSLOTSRANGE would need Redis 7
	for i := range 16384 {
		slots = append(slots, i)
	}
	require.NoError(t, admin.Do(ctx, slots...).Err())
	require.Eventually(t, func() bool {
		info, err := admin.ClusterInfo(ctx).Result()
		return err == nil && strings.Contains(info, "cluster_state:ok")
	}, 10*time.Second, 20*time.Millisecond, "the one-node cluster never became ready")

	var rdb redis.UniversalClient = redis.NewClusterClient(&redis.ClusterOptions{
		Addrs: []string{s.Addr()}, DialTimeout: time.Second,
	})
	t.Cleanup(func() { rdb.Close() })
	_, isCluster := rdb.(*redis.ClusterClient)
	require.True(t, isCluster, "the test must go through a ClusterClient")

	t.Run("TokenStore", func(t *testing.T) {
		storetest.TestTokenStore(t, func() offiaccount.TokenStore {
			return NewTokenStore(rdb, WithPrefix(testPrefix(t)))
		})
	})
	t.Run("DedupeStore", func(t *testing.T) {
		prefix := testPrefix(t)
		a, b := NewDedupeStore(rdb, WithPrefix(prefix)), NewDedupeStore(rdb, WithPrefix(prefix))
		testClaimOnce(t, a, b)
		testCompleteThenClaimAndWait(t, a, b)
		testWaitWakesOnComplete(t, a, b)
		testBinaryReply(t, a, b)
		require.True(t, a.redisUsable() && b.redisUsable(), "the stores fell back to memory: Redis calls failed")
	})
}
