package compliance

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
)

// internalPrefixes are the addresses an integration may not point at unless
// the configuration allows it: loopback, link-local (which holds the cloud
// metadata service at 169.254.169.254) and the unspecified address, which
// reaches this host.
var internalPrefixes = []netip.Prefix{
	netip.MustParsePrefix("127.0.0.0/8"),
	netip.MustParsePrefix("::1/128"),
	netip.MustParsePrefix("169.254.0.0/16"),
	netip.MustParsePrefix("fe80::/10"),
	netip.MustParsePrefix("fd00:ec2::254/128"), // AWS metadata over IPv6
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("::/128"),
}

// InternalAddress reports whether ip is a loopback, link-local, metadata or
// unspecified address (IPv4-mapped IPv6 included), with a word saying which.
func InternalAddress(ip netip.Addr) (string, bool) {
	ip = ip.Unmap()
	for _, p := range internalPrefixes {
		if !p.Contains(ip) {
			continue
		}
		switch {
		case ip == netip.MustParseAddr("169.254.169.254") || ip == netip.MustParseAddr("fd00:ec2::254"):
			return "a cloud metadata address", true
		case ip.IsLoopback():
			return "a loopback address", true
		case ip.IsLinkLocalUnicast():
			return "a link-local address", true
		default:
			return "an unspecified address", true
		}
	}
	return "", false
}

// ErrInternalAddress is returned when a connection to an internal address
// was refused.
var ErrInternalAddress = errors.New("internal address refused")

// refuseInternal is a net.Dialer Control that refuses to connect to an
// internal address; it sees the resolved address, so a host name that
// resolves (or re-resolves) to one is refused too.
func refuseInternal(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: cannot parse %s", ErrInternalAddress, address)
	}
	if what, bad := InternalAddress(ap.Addr()); bad {
		return fmt.Errorf("%w: %s is %s (allow_internal_base_urls: true in the config allows it)", ErrInternalAddress, ap.Addr(), what)
	}
	return nil
}

// CheckBaseHost resolves host and fails when it is, or resolves to, an
// internal address. A name that does not resolve passes: the connection
// itself is checked again when it is made.
func CheckBaseHost(ctx context.Context, host string, lookup func(ctx context.Context, host string) ([]netip.Addr, error)) error {
	if ip, err := netip.ParseAddr(host); err == nil {
		if what, bad := InternalAddress(ip); bad {
			return fmt.Errorf("%s is %s", host, what)
		}
		return nil
	}
	if lookup == nil {
		lookup = func(ctx context.Context, host string) ([]netip.Addr, error) {
			return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		}
	}
	ips, err := lookup(ctx, host)
	if err != nil {
		return nil
	}
	for _, ip := range ips {
		if what, bad := InternalAddress(ip); bad {
			return fmt.Errorf("%s resolves to %s, %s", host, ip.Unmap(), what)
		}
	}
	return nil
}
