package main

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// BenchParentSpec is the desired state: one string every child is derived from.
type BenchParentSpec struct {
	Payload string `json:"payload"`
}

// BenchParentStatus is what the controller reports.
type BenchParentStatus struct {
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	ChildCount         int64 `json:"childCount,omitempty"`
}

// BenchParent is the benchmark's custom resource (bench/crd.yaml).
type BenchParent struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              BenchParentSpec   `json:"spec,omitempty"`
	Status            BenchParentStatus `json:"status,omitempty"`
}

// BenchParentList is a list of BenchParent.
type BenchParentList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []BenchParent `json:"items"`
}

// DeepCopy copies the parent (hand-written in place of controller-gen output).
func (in *BenchParent) DeepCopy() *BenchParent {
	if in == nil {
		return nil
	}
	out := new(BenchParent)
	*out = *in
	in.ObjectMeta.DeepCopyInto(&out.ObjectMeta)
	return out
}

// DeepCopyObject implements runtime.Object.
func (in *BenchParent) DeepCopyObject() runtime.Object { return in.DeepCopy() }

// DeepCopyObject implements runtime.Object.
func (in *BenchParentList) DeepCopyObject() runtime.Object {
	if in == nil {
		return nil
	}
	out := new(BenchParentList)
	*out = *in
	in.ListMeta.DeepCopyInto(&out.ListMeta)
	if in.Items != nil {
		out.Items = make([]BenchParent, len(in.Items))
		for i := range in.Items {
			out.Items[i] = *in.Items[i].DeepCopy()
		}
	}
	return out
}
