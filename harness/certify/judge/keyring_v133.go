//go:build judge_v133

// Kubernetes 1.33: service-account mode (alpha); credentials carry no service account coordinates yet.
package main

import (
	authenticationv1 "k8s.io/api/authentication/v1"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/kubernetes/pkg/credentialprovider/plugin"
	kubeletconfig "k8s.io/kubernetes/pkg/kubelet/apis/config"
	"k8s.io/kubernetes/pkg/kubelet/kubeletconfig/configfiles"
)

func registerPlugins(configPath, binDir string, h *hooks) error {
	return plugin.RegisterCredentialProviderPlugins(configPath, binDir, h.token, h.account)
}

func (h *hooks) token(namespace, name string, tr *authenticationv1.TokenRequest) (*authenticationv1.TokenRequest, error) {
	rec := tokenRequest{Namespace: namespace, ServiceAccount: name, UID: string(tr.UID), Audiences: tr.Spec.Audiences}
	if ref := tr.Spec.BoundObjectRef; ref != nil {
		rec.BoundKind, rec.BoundName, rec.BoundUID = ref.Kind, ref.Name, string(ref.UID)
	}
	h.tokenRequests = append(h.tokenRequests, rec)
	out := tr.DeepCopy()
	out.Status.Token = h.req.Token
	return out, nil
}

func (h *hooks) account(namespace, name string) (*v1.ServiceAccount, error) {
	h.accountLookups = append(h.accountLookups, namespace+"/"+name)
	sa := h.req.ServiceAccount
	if sa == nil || sa.Missing || sa.Name != name || h.req.Pod.Namespace != namespace {
		return nil, h.serviceAccountNotFound(namespace, name)
	}
	return &v1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name, UID: types.UID(sa.UID), Annotations: sa.Annotations}}, nil
}

func lookupImage(req request) ([]authOut, bool) {
	saName := ""
	if req.ServiceAccount != nil {
		saName = req.ServiceAccount.Name
	}
	keyring := plugin.NewExternalCredentialProviderDockerKeyring(req.Pod.Namespace, req.Pod.Name, req.Pod.UID, saName)
	found, ok := keyring.Lookup(req.Image)
	out := make([]authOut, 0, len(found))
	for _, a := range found {
		o := authOut{Username: a.Username, PasswordSHA256: hash(a.Password), PasswordIsToken: req.Token != "" && a.Password == req.Token}
		out = append(out, o)
	}
	return out, ok
}

// The config loader's Load takes a context from 1.34 on.
func loadKubeletConfigFile(l configfiles.Loader) (*kubeletconfig.KubeletConfiguration, error) {
	return l.Load()
}
