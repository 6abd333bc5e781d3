// Command hello answers HTTP on :18083 with a greeting and the uid it runs
// as; with -healthcheck it probes the running server and exits 0 when healthy,
// so a shell-less image can still be checked.
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"

	"example.com/imgspec-e2e/hello/greeting"
)

const addr = ":18083"

func main() {
	healthcheck := flag.Bool("healthcheck", false, "probe the running server and exit")
	flag.Parse()
	if *healthcheck {
		resp, err := http.Get("http://127.0.0.1" + addr + "/healthz")
		if err != nil || resp.StatusCode != http.StatusOK {
			os.Exit(1)
		}
		os.Exit(0)
	}
	http.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	http.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, "%s; uid=%d gid=%d\n", greeting.Text, os.Getuid(), os.Getgid())
	})
	log.Printf("listening on %s", addr)
	log.Fatal(http.ListenAndServe(addr, nil))
}
