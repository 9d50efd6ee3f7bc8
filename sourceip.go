package offiaccount

import (
	"errors"
	"net/netip"
	"strings"
)

// WithHandlerSourceIPFilter accepts callbacks only from addresses that allow approves, such as
// WeChat's published callback IPs (see [Client.WatchCallbackIPs]); others get 403 before
// anything else is read. It checks r.RemoteAddr: behind a reverse proxy, set RemoteAddr from
// the proxy's trusted header first, or filter at the proxy.
func WithHandlerSourceIPFilter(allow func(netip.Addr) bool) HandlerOption {
	return func(h *Handler) error {
		if allow == nil {
			return errors.New("offiaccount: WithHandlerSourceIPFilter: nil filter")
		}
		h.allowIP = allow
		return nil
	}
}

// remoteIP reads a RemoteAddr as host:port or, as a real-IP middleware
// leaves it, as a bare IPv4 or IPv6 address.
func remoteIP(remote string) (netip.Addr, bool) {
	if ap, err := netip.ParseAddrPort(remote); err == nil {
		return ap.Addr().Unmap(), true
	}
	a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(remote, "["), "]"))
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}
