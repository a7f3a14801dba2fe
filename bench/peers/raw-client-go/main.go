// Command raw-client-go-bench is the raw-write bound of the tsoperator benchmark: a plain
// client-go loop that issues exactly the writes each workload needs, at the same concurrency as
// the operators, with no watching, no cache and no diffing (see bench/README.md).
//
// The harness streams one JSON line per parent on stdin as soon as its own write for that parent
// returned: {"op":"w1"|"w3"|"w4","name":"...","uid":"...","generation":N,"payload":"..."}.
//   - w1: add the finalizer (merge patch), apply the three children (in parallel), apply the status;
//   - w3: apply the three children, apply the status;
//   - w4: remove the finalizer (merge patch).
//
// Progress protocol shared by every peer: "READY" on stdout, then "SYNCS <n>" (cumulative number
// of finished parents) at most every 50 ms while it changes.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	metav1ac "k8s.io/client-go/applyconfigurations/meta/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

const (
	fieldOwner    = "bench-raw-client-go"
	finalizerName = "bench.tsoperator.dev/cleanup"
	trackingLabel = "tsoperator.dev/parent-uid"
	payloadAnnot  = "bench.tsoperator.dev/payload"
)

var parentsGVR = schema.GroupVersionResource{Group: "bench.tsoperator.dev", Version: "v1", Resource: "benchparents"}

// job is one line of the harness's stream.
type job struct {
	Op         string `json:"op"`
	Name       string `json:"name"`
	UID        string `json:"uid"`
	Generation int64  `json:"generation"`
	Payload    string `json:"payload"`
}

type writer struct {
	ns   string
	core kubernetes.Interface
	dyn  dynamic.NamespaceableResourceInterface
}

func (w *writer) run(ctx context.Context, j job) error {
	parents := w.dyn.Namespace(w.ns)
	switch j.Op {
	case "w4":
		_, err := parents.Patch(ctx, j.Name, types.MergePatchType, []byte(`{"metadata":{"finalizers":null}}`), metav1.PatchOptions{})
		return err
	case "w1":
		patch := fmt.Sprintf(`{"metadata":{"finalizers":[%q]}}`, finalizerName)
		if _, err := parents.Patch(ctx, j.Name, types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
			return err
		}
	case "w3":
	default:
		return fmt.Errorf("unknown op %q", j.Op)
	}
	apply := metav1.ApplyOptions{FieldManager: fieldOwner, Force: true}
	owner := metav1ac.OwnerReference().
		WithAPIVersion("bench.tsoperator.dev/v1").WithKind("BenchParent").
		WithName(j.Name).WithUID(types.UID(j.UID)).
		WithController(true).WithBlockOwnerDeletion(true)
	lbl := map[string]string{trackingLabel: j.UID}
	cms := w.core.CoreV1().ConfigMaps(w.ns)
	svc := headless(corev1ac.Service(j.Name, w.ns).WithLabels(lbl).WithOwnerReferences(owner).
		WithAnnotations(map[string]string{payloadAnnot: j.Payload}).
		WithSpec(corev1ac.ServiceSpec().
			WithType(corev1.ServiceTypeClusterIP).
			WithSelector(map[string]string{"bench.tsoperator.dev/parent": j.Name}).
			WithPorts(corev1ac.ServicePort().WithName("http").WithPort(80).
				WithTargetPort(intstr.FromInt32(8080)).WithProtocol(corev1.ProtocolTCP))))
	// The three children are independent: apply them in parallel (as a framework may), then
	// the status, which reports them.
	writes := []func() error{
		func() error {
			_, err := cms.Apply(ctx, corev1ac.ConfigMap(j.Name+"-a", w.ns).WithLabels(lbl).WithOwnerReferences(owner).
				WithData(map[string]string{"payload": j.Payload}), apply)
			return err
		},
		func() error {
			_, err := cms.Apply(ctx, corev1ac.ConfigMap(j.Name+"-b", w.ns).WithLabels(lbl).WithOwnerReferences(owner).
				WithData(map[string]string{"payload-upper": strings.ToUpper(j.Payload)}), apply)
			return err
		},
		func() error {
			_, err := w.core.CoreV1().Services(w.ns).Apply(ctx, svc, apply)
			return err
		},
	}
	errs := make([]error, len(writes))
	var wg sync.WaitGroup
	for i, write := range writes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = write()
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	status := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "bench.tsoperator.dev/v1",
		"kind":       "BenchParent",
		"metadata":   map[string]any{"name": j.Name, "namespace": w.ns},
		"status":     map[string]any{"observedGeneration": j.Generation, "childCount": int64(3)},
	}}
	_, err := parents.Apply(ctx, j.Name, status, apply, "status")
	return err
}

func main() {
	namespace := flag.String("namespace", os.Getenv("BENCH_NAMESPACE"), "namespace of the parents")
	concurrency := flag.Int("concurrency", 16, "parallel workers")
	flag.Parse()
	if *namespace == "" {
		fmt.Fprintln(os.Stderr, "--namespace (or BENCH_NAMESPACE) is required")
		os.Exit(2)
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{}).ClientConfig()
	must(err)
	cfg.QPS = -1 // no client-side rate limit
	core, err := kubernetes.NewForConfig(cfg)
	must(err)
	dyn, err := dynamic.NewForConfig(cfg)
	must(err)
	w := &writer{ns: *namespace, core: core, dyn: dyn.Resource(parentsGVR)}

	ctx := context.Background()
	jobs := make(chan job, 1024)
	var done atomic.Int64
	var wg sync.WaitGroup
	for range *concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				// A raw loop has no queue to retry from; retry a few times on errors so one
				// transient failure does not stall the harness's convergence check.
				for attempt := 0; attempt < 5; attempt++ {
					err := w.run(ctx, j)
					if err == nil {
						break
					}
					fmt.Fprintf(os.Stderr, "%s %s: %v\n", j.Op, j.Name, err)
					time.Sleep(50 * time.Millisecond)
				}
				done.Add(1)
			}
		}()
	}
	go reportProgress(&done)
	fmt.Println("READY")

	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 64*1024), 1024*1024)
	for in.Scan() {
		var j job
		if err := json.Unmarshal(in.Bytes(), &j); err != nil {
			fmt.Fprintf(os.Stderr, "bad line %q: %v\n", in.Text(), err)
			continue
		}
		jobs <- j
	}
	close(jobs)
	wg.Wait()
	fmt.Printf("SYNCS %d\n", done.Load())
}

// reportProgress prints the number of finished parents every 50 ms while it changes.
func reportProgress(done *atomic.Int64) {
	last := int64(-1)
	for range time.Tick(50 * time.Millisecond) {
		if n := done.Load(); n != last {
			last = n
			fmt.Printf("SYNCS %d\n", n)
		}
	}
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// headless makes the Service headless (clusterIP None) under BENCH_HEADLESS_SERVICES=1, the scale
// variant that takes the API server's O(Services) ClusterIP allocation out (bench/lib/workload.ts,
// headlessServices); otherwise the field is left out, as before.
func headless(svc *corev1ac.ServiceApplyConfiguration) *corev1ac.ServiceApplyConfiguration {
	if os.Getenv("BENCH_HEADLESS_SERVICES") == "1" {
		svc.Spec.WithClusterIP("None")
	}
	return svc
}
