// A kubemark hollow kubelet that keeps every listener on loopback.
//
// Upstream kubemark binds its kubelet server to 0.0.0.0 and reports the
// machine's own address. The sandbox must never listen beyond 127.0.0.1, and
// the apiserver must never dial a node, so this main builds the same hollow
// kubelet but turns the kubelet server and healthz port off and reports
// 127.0.0.1 as the node address.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"go.opentelemetry.io/otel/trace/noop"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/component-base/cli"
	cri "k8s.io/cri-client/pkg"
	"k8s.io/cri-client/pkg/fake"
	cadvisortest "k8s.io/kubernetes/pkg/kubelet/cadvisor/testing"
	"k8s.io/kubernetes/pkg/kubelet/cm"
	"k8s.io/kubernetes/pkg/kubemark"

	"github.com/spf13/cobra"
)

func main() {
	var kubeconfig, name string
	var maxPods int
	cmd := &cobra.Command{
		Use: "hollow-node",
		RunE: func(cmd *cobra.Command, _ []string) error {
			return run(cmd.Context(), kubeconfig, name, maxPods)
		},
	}
	cmd.Flags().StringVar(&kubeconfig, "kubeconfig", "", "kubeconfig of the node identity")
	cmd.Flags().StringVar(&name, "name", "hollow-node", "node name")
	cmd.Flags().IntVar(&maxPods, "max-pods", 110, "pods this node accepts")
	cmd.Flags().AddGoFlagSet(flag.CommandLine)
	os.Exit(cli.Run(cmd))
}

func run(ctx context.Context, kubeconfig, name string, maxPods int) error {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return fmt.Errorf("kubeconfig %s: %w", kubeconfig, err)
	}
	cfg.UserAgent = "hollow-kubelet"
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	f, c := kubemark.GetHollowKubeletConfig(&kubemark.HollowKubeletOptions{
		NodeName: name, MaxPods: maxPods, NodeLabels: map[string]string{},
	})
	// Upstream puts its root dir (and the fake runtime's socket) under a
	// hard-coded /tmp; keep everything under $TMPDIR so the sandbox that
	// started this node can remove it.
	root, err := os.MkdirTemp("", "hollow-kubelet.")
	if err != nil {
		return err
	}
	_ = os.RemoveAll(f.RootDirectory)
	f.RootDirectory = root
	c.StaticPodPath = filepath.Join(root, "static-pods")
	c.PodLogsDir = filepath.Join(root, "pod-logs")
	for _, d := range []string{c.StaticPodPath, c.PodLogsDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	// Loopback only: no kubelet server, no healthz listener, node address 127.0.0.1.
	c.EnableServer = false
	c.Address = "127.0.0.1"
	c.HealthzPort = 0
	c.HealthzBindAddress = "127.0.0.1"
	f.NodeIP = "127.0.0.1"

	hb := *cfg
	hb.Timeout = c.NodeStatusUpdateFrequency.Duration
	if lease := time.Duration(c.NodeLeaseDurationSeconds) * time.Second; hb.Timeout > lease {
		hb.Timeout = lease
	}
	hb.QPS = -1
	heartbeat, err := kubernetes.NewForConfig(&hb)
	if err != nil {
		return err
	}
	endpoint := "unix://" + filepath.Join(root, "runtime.sock")
	runtime := fake.NewFakeRemoteRuntime()
	if err := runtime.Start(endpoint); err != nil {
		return err
	}
	defer runtime.Stop()
	runtimeService, err := cri.NewRemoteRuntimeService(ctx, endpoint, 15*time.Second, noop.NewTracerProvider(), false)
	if err != nil {
		return err
	}
	kubemark.NewHollowKubelet(f, c, client, heartbeat,
		&cadvisortest.Fake{NodeName: name}, runtime.ImageService, runtimeService,
		cm.NewStubContainerManager()).Run(ctx)
	return nil
}
