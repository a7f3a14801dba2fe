// Command etcd is etcd's own server entry point, built from go.etcd.io/etcd/server/v3.
// etcd's server module cannot be `go install`ed (its go.mod has replace lines), so
// this three-line main gives the local control plane an etcd built through the
// Go module proxy at the version pinned in go.mod.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
