//go:build tools

// Package tools pins the Kubernetes commands that the local control plane runs.
// It is never compiled into anything; `go build k8s.io/kubernetes/cmd/<name>`
// builds each binary at the version that go.mod requires.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
)
