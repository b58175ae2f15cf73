// Package sdnotify speaks systemd's notification protocol (sd_notify(3)) without a library:
// one datagram on the unix socket named by NOTIFY_SOCKET. A service of Type=notify says
// READY=1 when it serves, STOPPING=1 when it stops, and, with WatchdogSec=, WATCHDOG=1 at
// least every WATCHDOG_USEC microseconds, or systemd restarts it. Outside systemd
// (NOTIFY_SOCKET unset) every call does nothing.
package sdnotify

import (
	"context"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"
)

// Notifier sends to one socket; the zero value (no socket) sends nothing.
type Notifier struct {
	Socket string // NOTIFY_SOCKET: a path, or "@name" for an abstract socket
}

// FromEnv is the notifier of the environment (KEY=value pairs, as os.Environ), and the
// watchdog interval systemd asks for (0 when it asks for none, or asks another process: the
// WATCHDOG_PID is not pid).
func FromEnv(environ []string, pid int) (Notifier, time.Duration) {
	var n Notifier
	var usec, wpid string
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "NOTIFY_SOCKET":
			n.Socket = v
		case "WATCHDOG_USEC":
			usec = v
		case "WATCHDOG_PID":
			wpid = v
		}
	}
	us, err := strconv.ParseInt(usec, 10, 64)
	if err != nil || us <= 0 || n.Socket == "" {
		return n, 0
	}
	if wpid != "" && wpid != strconv.Itoa(pid) {
		return n, 0
	}
	return n, time.Duration(us) * time.Microsecond
}

// Enabled reports whether there is a socket to notify.
func (n Notifier) Enabled() bool { return n.Socket != "" }

// Notify sends state, e.g. "READY=1" or "WATCHDOG=1" (several lines may go in one call).
func (n Notifier) Notify(state string) error {
	if n.Socket == "" {
		return nil
	}
	name := n.Socket
	if strings.HasPrefix(name, "@") {
		name = "\x00" + name[1:] // an abstract socket
	}
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.Write([]byte(state))
	return err
}

// Watchdog sends WATCHDOG=1 every half interval while healthy answers nil (the database
// answers), until ctx ends. While healthy fails it sends nothing, so that systemd, after
// WatchdogSec without a ping, restarts the service.
func (n Notifier) Watchdog(ctx context.Context, interval time.Duration, healthy func(context.Context) error, log *slog.Logger) {
	if n.Socket == "" || interval <= 0 {
		return
	}
	t := time.NewTicker(interval / 2)
	defer t.Stop()
	for {
		check, cancel := context.WithTimeout(ctx, interval/4)
		err := healthy(check)
		cancel()
		if err == nil {
			if err := n.Notify("WATCHDOG=1"); err != nil {
				log.Warn("sd_notify watchdog", "err", err)
			}
		} else if ctx.Err() == nil {
			log.Warn("watchdog withheld: not healthy", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
