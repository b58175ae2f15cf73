package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// healthcheckCommand is `unionbot healthcheck`: the container's HEALTHCHECK, without curl.
func healthcheckCommand() *command {
	var url string
	var timeout time.Duration
	return &command{name: "healthcheck", usage: "healthcheck [-url URL] [-config PATH]",
		help: "Exit 0 when the running bot's /readyz answers 200 (the database answers and takes writes and, in long-connection mode,\n" +
			"Feishu is connected), else 1. The address is server.addr (a wildcard host is asked on 127.0.0.1).",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&url, "url", "", "the readiness URL (default http://SERVER.ADDR/readyz)")
			fs.DurationVar(&timeout, "timeout", 3*time.Second, "how long to wait for the answer")
		},
		run: func(ctx context.Context, e *env, args []string) error {
			if len(args) > 0 {
				return usageError{"unexpected argument " + args[0]}
			}
			if url == "" {
				c, err := loadConfig(e)
				if err != nil {
					return err
				}
				url = "http://" + localAddr(c.Server.Addr) + "/readyz"
			}
			ctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			if err != nil {
				return err
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return fmt.Errorf("not ready: %v", err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("not ready: %s %s", resp.Status, body)
			}
			fmt.Fprintf(e.stdout, "ready: %s", body)
			return nil
		}}
}

// localAddr is addr with a wildcard or empty host replaced by the loopback.
func localAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	switch host {
	case "", "0.0.0.0", "::", "[::]":
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}
