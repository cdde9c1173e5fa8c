// Command service-connector is the Service Connector portal. See README.md.
package main

import (
	"os"

	"github.com/service-connector/service-connector/app"
)

func main() {
	os.Exit(app.Main(os.Args, os.Getenv, os.Stdout, os.Stderr))
}
