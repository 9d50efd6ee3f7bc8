package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRun(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out))
	assert.Equal(t, `1. verify ticket received; component_access_token fetched
2. authorization page: https://mp.weixin.qq.com/cgi-bin/componentloginpage
3. wx2a037b332c6619c8 authorized; its menu has 2 buttons, first "今日推荐"
4. reply: [wx2a037b332c6619c8] 你说: 你好
5. release check reply: TESTCOMPONENT_MSG_TYPE_TEXT_callback
`, out.String())
}
