// Command controller-runtime-bench is the controller-runtime peer of the tsoperator benchmark
// (see bench/README.md for the workload). It is written the way a careful controller-runtime
// user writes a controller: typed parent, reads from the informer cache only, children and
// status through server-side apply, Owns() for the children, client-side rate limits lifted,
// managed fields stripped from the cache, no debug logging.
//
// Progress protocol shared by every peer: "READY" on stdout once the caches are synced, then
// "SYNCS <n>" (cumulative number of completed reconciles) at most every 50 ms while it changes.
// Memory (bench/lib/scale.ts): "HEAP" on stdin answers "HEAP <HeapAlloc bytes> <Sys bytes>" after runtime.GC().
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	goruntime "runtime"
	"strings"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/intstr"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	metav1ac "k8s.io/client-go/applyconfigurations/meta/v1"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
)

const (
	fieldOwner    = "bench-controller-runtime"
	finalizerName = "bench.tsoperator.dev/cleanup"
	trackingLabel = "tsoperator.dev/parent-uid"
	payloadAnnot  = "bench.tsoperator.dev/payload"
)

var groupVersion = schema.GroupVersion{Group: "bench.tsoperator.dev", Version: "v1"}

// syncs counts completed reconciles for the progress protocol.
var syncs atomic.Int64

// BenchReconciler converges one BenchParent: finalizer, three children, status.
type BenchReconciler struct {
	client.Client
}

// Reconcile implements reconcile.Reconciler.
func (r *BenchReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	defer syncs.Add(1)
	parent := &BenchParent{}
	if err := r.Get(ctx, req.NamespacedName, parent); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !parent.DeletionTimestamp.IsZero() {
		// Children go with the parent through the garbage collector; only the finalizer is ours.
		if controllerutil.ContainsFinalizer(parent, finalizerName) {
			orig := parent.DeepCopy()
			controllerutil.RemoveFinalizer(parent, finalizerName)
			if err := r.Patch(ctx, parent, client.MergeFrom(orig)); err != nil {
				return ctrl.Result{}, client.IgnoreNotFound(err)
			}
		}
		return ctrl.Result{}, nil
	}
	if !controllerutil.ContainsFinalizer(parent, finalizerName) {
		orig := parent.DeepCopy()
		controllerutil.AddFinalizer(parent, finalizerName)
		if err := r.Patch(ctx, parent, client.MergeFrom(orig)); err != nil {
			return ctrl.Result{}, err
		}
	}

	owner := metav1ac.OwnerReference().
		WithAPIVersion(groupVersion.String()).WithKind("BenchParent").
		WithName(parent.Name).WithUID(parent.UID).
		WithController(true).WithBlockOwnerDeletion(true)
	lbl := map[string]string{trackingLabel: string(parent.UID)}
	payload := parent.Spec.Payload
	applyOpts := []client.ApplyOption{client.ForceOwnership, client.FieldOwner(fieldOwner)}

	cmA := corev1ac.ConfigMap(parent.Name+"-a", parent.Namespace).
		WithLabels(lbl).WithOwnerReferences(owner).
		WithData(map[string]string{"payload": payload})
	cmB := corev1ac.ConfigMap(parent.Name+"-b", parent.Namespace).
		WithLabels(lbl).WithOwnerReferences(owner).
		WithData(map[string]string{"payload-upper": strings.ToUpper(payload)})
	svc := headless(corev1ac.Service(parent.Name, parent.Namespace).
		WithLabels(lbl).WithOwnerReferences(owner).
		WithAnnotations(map[string]string{payloadAnnot: payload}).
		WithSpec(corev1ac.ServiceSpec().
			WithType(corev1.ServiceTypeClusterIP).
			WithSelector(map[string]string{"bench.tsoperator.dev/parent": parent.Name}).
			WithPorts(corev1ac.ServicePort().WithName("http").WithPort(80).
				WithTargetPort(intstr.FromInt32(8080)).WithProtocol(corev1.ProtocolTCP))))
	for _, ac := range []runtime.ApplyConfiguration{cmA, cmB, svc} {
		if err := r.Apply(ctx, ac, applyOpts...); err != nil {
			return ctrl.Result{}, err
		}
	}

	// Status only when it differs: a careful user does not re-send an unchanged status.
	if parent.Status.ObservedGeneration == parent.Generation && parent.Status.ChildCount == 3 {
		return ctrl.Result{}, nil
	}
	status := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": groupVersion.String(),
		"kind":       "BenchParent",
		"metadata":   map[string]any{"name": parent.Name, "namespace": parent.Namespace},
		"status":     map[string]any{"observedGeneration": parent.Generation, "childCount": int64(3)},
	}}
	err := r.Status().Apply(ctx, client.ApplyConfigurationFromUnstructured(status),
		client.ForceOwnership, client.FieldOwner(fieldOwner))
	if errors.IsNotFound(err) {
		return ctrl.Result{}, nil
	}
	return ctrl.Result{}, err
}

func main() {
	namespace := flag.String("namespace", os.Getenv("BENCH_NAMESPACE"), "namespace to watch")
	concurrency := flag.Int("concurrency", 16, "MaxConcurrentReconciles")
	flag.Parse()
	if *namespace == "" {
		fmt.Fprintln(os.Stderr, "--namespace (or BENCH_NAMESPACE) is required")
		os.Exit(2)
	}
	ctrl.SetLogger(zap.New(zap.UseDevMode(false)))

	scheme := runtime.NewScheme()
	must(clientgoscheme.AddToScheme(scheme))
	scheme.AddKnownTypes(groupVersion, &BenchParent{}, &BenchParentList{})
	metav1.AddToGroupVersion(scheme, groupVersion)

	cfg := ctrl.GetConfigOrDie()
	cfg.QPS = -1 // no client-side rate limit
	cfg.Burst = 0

	tracked, err := labels.Parse(trackingLabel)
	must(err)
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		LeaderElection:         false,
		Cache: cache.Options{
			DefaultNamespaces: map[string]cache.Config{*namespace: {}},
			DefaultTransform:  cache.TransformStripManagedFields(),
			ByObject: map[client.Object]cache.ByObject{
				&corev1.ConfigMap{}: {Label: tracked},
				&corev1.Service{}:   {Label: tracked},
			},
		},
	})
	must(err)

	must(ctrl.NewControllerManagedBy(mgr).
		For(&BenchParent{}).
		Owns(&corev1.ConfigMap{}).
		Owns(&corev1.Service{}).
		WithOptions(controller.Options{MaxConcurrentReconciles: *concurrency}).
		Complete(&BenchReconciler{Client: mgr.GetClient()}))

	// READY once the informers the controller uses (shared through the cache) are synced.
	// GetInformer blocks until its informer has listed; WaitForCacheSync alone may run before
	// the controller has asked for any informer and then reports "synced" at once.
	must(mgr.Add(manager.RunnableFunc(func(ctx context.Context) error {
		for _, obj := range []client.Object{&BenchParent{}, &corev1.ConfigMap{}, &corev1.Service{}} {
			if _, err := mgr.GetCache().GetInformer(ctx, obj); err != nil {
				return err
			}
		}
		fmt.Println("READY")
		reportSyncs(ctx)
		return nil
	})))

	// Stop when the harness goes away (its end of our stdin closes) as on SIGTERM, so a killed
	// harness leaves no peer behind.
	ctx, cancel := context.WithCancel(ctrl.SetupSignalHandler())
	go func() {
		lines := bufio.NewScanner(os.Stdin)
		for lines.Scan() {
			if lines.Text() == "HEAP" {
				printHeap()
			}
		}
		cancel()
	}()
	if err := mgr.Start(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// reportSyncs prints the reconcile count every 50 ms while it changes.
func reportSyncs(ctx context.Context) {
	last := int64(-1)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if n := syncs.Load(); n != last {
				last = n
				fmt.Printf("SYNCS %d\n", n)
			}
		}
	}
}

// printHeap prints the live Go heap after a forced GC (the figure beside V8's used heap size).
func printHeap() {
	goruntime.GC()
	var m goruntime.MemStats
	goruntime.ReadMemStats(&m)
	fmt.Printf("HEAP %d %d\n", m.HeapAlloc, m.Sys)
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
