//go:build judge_v132

// Kubernetes 1.32: no service-account mode; the plugin is one of the registered providers of the
// kubelet's docker keyring, beside the .dockercfg provider that reads docker config files.
package main

import (
	kubeletconfig "k8s.io/kubernetes/pkg/kubelet/apis/config"
	"k8s.io/kubernetes/pkg/kubelet/kubeletconfig/configfiles"
	"os"

	"k8s.io/kubernetes/pkg/credentialprovider"
	"k8s.io/kubernetes/pkg/credentialprovider/plugin"
)

func registerPlugins(configPath, binDir string, h *hooks) error {
	return plugin.RegisterCredentialProviderPlugins(configPath, binDir)
}

// The 1.32 keyring also asks the .dockercfg provider (first: providers are sorted by name), which
// reads docker config files from the kubelet's root dir, the working dir and $HOME. This host's
// files are not the node's: the provider is primed (it caches for 5 minutes) with an image no plugin
// matches while HOME and the working dir point at an empty folder, and HOME is put back before the
// real lookup so the plugin gets the environment the kubelet would give it.
func primeDockercfg() {
	empty, err := os.MkdirTemp("", "pullproof-judge-home-")
	if err != nil {
		fail("%v", err)
	}
	defer os.RemoveAll(empty)
	home, hadHome := os.LookupEnv("HOME")
	wd, _ := os.Getwd()
	credentialprovider.SetPreferredDockercfgPath(empty)
	_ = os.Setenv("HOME", empty)
	_ = os.Chdir(empty)
	credentialprovider.NewDockerKeyring().Lookup("pullproof-judge.invalid/prime")
	if hadHome {
		_ = os.Setenv("HOME", home)
	} else {
		_ = os.Unsetenv("HOME")
	}
	_ = os.Chdir(wd)
}

func lookupImage(req request) ([]authOut, bool) {
	primeDockercfg()
	found, ok := credentialprovider.NewDockerKeyring().Lookup(req.Image)
	out := make([]authOut, 0, len(found))
	for _, a := range found {
		out = append(out, authOut{Username: a.Username, PasswordSHA256: hash(a.Password), PasswordIsToken: req.Token != "" && a.Password == req.Token})
	}
	return out, ok
}

// The config loader's Load takes a context from 1.34 on.
func loadKubeletConfigFile(l configfiles.Loader) (*kubeletconfig.KubeletConfiguration, error) {
	return l.Load()
}
