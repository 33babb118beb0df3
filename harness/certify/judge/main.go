// The kubelet as the judge: a small program built against k8s.io/kubernetes at one release, which
// answers what that kubelet's own code decides, by calling the kubelet's exported entry points:
//
//   - provider-config: plugin.RegisterCredentialProviderPlugins (read, strict decoding, validation)
//     with an empty bin dir, so the first error after validation is "plugin binary executable ...
//     did not exist" (the config itself was accepted).
//   - lookup: the same registration with a real bin dir, then the kubelet's keyring lookup for an
//     image, so the kubelet's code execs the plugin (os/exec, its 1-minute limit, strict response
//     decoding, cacheKeyType and token-echo checks). Service-account mode gets the token and the
//     service account from the request (what pullproof minted), through the getter functions the
//     registration takes.
//   - kubelet-config: the kubelet's config file loader (strict decoding with the kubelet's scheme and
//     defaulting), its feature gates set from the file, then validation.ValidateKubeletConfiguration.
//   - gates: the feature gates this kubelet knows, with their defaults.
//
// Everything the kubelet logs through klog is captured and returned. One request per process: the
// registration is global in the kubelet (a second one panics), as it is in a kubelet.
// Input: one JSON request on stdin. Output: one JSON result on stdout. Exit 0 unless the request
// itself was unusable.
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/go-logr/logr"
	utilfeature "k8s.io/apiserver/pkg/util/feature"
	"k8s.io/klog/v2"
	kubeletconfigvalidation "k8s.io/kubernetes/pkg/kubelet/apis/config/validation"
	"k8s.io/kubernetes/pkg/kubelet/kubeletconfig/configfiles"
	utilfs "k8s.io/kubernetes/pkg/util/filesystem"
	"sigs.k8s.io/yaml"
)

// Set with -ldflags -X main.kubernetesVersion=v1.35.4.
var kubernetesVersion = "unknown"

type serviceAccount struct {
	Name        string            `json:"name"`
	UID         string            `json:"uid"`
	Annotations map[string]string `json:"annotations,omitempty"`
	// Missing: the getter answers "not found" (as the API server would for a deleted service account).
	Missing bool `json:"missing,omitempty"`
}

type pod struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	UID       string `json:"uid"`
}

type request struct {
	Mode       string          `json:"mode"`
	ConfigPath string          `json:"configPath"`
	BinDir     string          `json:"binDir"`
	Gates      map[string]bool `json:"gates"`
	Image      string          `json:"image"`
	Pod        pod             `json:"pod"`
	// Absent: the pod has no service account (a static pod).
	ServiceAccount *serviceAccount `json:"serviceAccount,omitempty"`
	// The token the kubelet's TokenRequest returns (minted by pullproof).
	Token string `json:"token,omitempty"`
}

type logEntry struct {
	Level int               `json:"level"`
	Error bool              `json:"error"`
	Msg   string            `json:"msg"`
	Err   string            `json:"err,omitempty"`
	KV    map[string]string `json:"kv,omitempty"`
}

type tokenRequest struct {
	Namespace      string   `json:"namespace"`
	ServiceAccount string   `json:"serviceAccount"`
	UID            string   `json:"uid"`
	Audiences      []string `json:"audiences"`
	BoundKind      string   `json:"boundKind"`
	BoundName      string   `json:"boundName"`
	BoundUID       string   `json:"boundUID"`
}

type authOut struct {
	Username string `json:"username"`
	// The password itself never leaves the judge: its hash, and whether it is the service account token.
	PasswordSHA256  string `json:"passwordSha256"`
	PasswordIsToken bool   `json:"passwordIsToken"`
	// Service account coordinates the kubelet attached to the credentials (1.34+), for KEP-2535.
	ServiceAccount *coordinates `json:"serviceAccount,omitempty"`
}

type coordinates struct {
	UID       string `json:"uid"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
}

type gate struct {
	Default    bool   `json:"default"`
	PreRelease string `json:"preRelease"`
}

type result struct {
	Kubernetes string `json:"kubernetes"`
	Mode       string `json:"mode"`
	// provider-config and kubelet-config: did this kubelet accept it, and if not, its error.
	Accepted *bool  `json:"accepted,omitempty"`
	Error    string `json:"error,omitempty"`
	// lookup: the registration's error (the kubelet would exit), the keyring's answer.
	RegisterError   string          `json:"registerError,omitempty"`
	Found           *bool           `json:"found,omitempty"`
	Auths           []authOut       `json:"auths,omitempty"`
	TokenRequests   []tokenRequest  `json:"tokenRequests,omitempty"`
	AccountLookups  []string        `json:"serviceAccountLookups,omitempty"`
	Logs            []logEntry      `json:"logs"`
	Gates           map[string]gate `json:"gates,omitempty"`
	RequestProblems string          `json:"requestProblem,omitempty"`
}

// sink captures everything klog logs (structured and legacy calls alike, once klog has a logger).
type sink struct {
	mu      sync.Mutex
	entries []logEntry
	values  []interface{}
}

func (s *sink) Init(logr.RuntimeInfo)  {}
func (s *sink) Enabled(level int) bool { return true }
func (s *sink) add(level int, isErr bool, err error, msg string, kv []interface{}) {
	e := logEntry{Level: level, Error: isErr, Msg: msg}
	if err != nil {
		e.Err = err.Error()
	}
	all := append(append([]interface{}{}, s.values...), kv...)
	if len(all) > 0 {
		e.KV = map[string]string{}
		for i := 0; i+1 < len(all); i += 2 {
			e.KV[fmt.Sprint(all[i])] = fmt.Sprint(all[i+1])
		}
	}
	s.mu.Lock()
	s.entries = append(s.entries, e)
	s.mu.Unlock()
}
func (s *sink) Info(level int, msg string, kv ...interface{}) { s.add(level, false, nil, msg, kv) }
func (s *sink) Error(err error, msg string, kv ...interface{}) {
	s.add(0, true, err, msg, kv)
}
func (s *sink) WithValues(kv ...interface{}) logr.LogSink {
	return &childSink{parent: s, values: kv}
}
func (s *sink) WithName(string) logr.LogSink { return s }

type childSink struct {
	parent *sink
	values []interface{}
}

func (c *childSink) Init(logr.RuntimeInfo)  {}
func (c *childSink) Enabled(level int) bool { return true }
func (c *childSink) Info(level int, msg string, kv ...interface{}) {
	c.parent.add(level, false, nil, msg, append(append([]interface{}{}, c.values...), kv...))
}
func (c *childSink) Error(err error, msg string, kv ...interface{}) {
	c.parent.add(0, true, err, msg, append(append([]interface{}{}, c.values...), kv...))
}
func (c *childSink) WithValues(kv ...interface{}) logr.LogSink {
	return &childSink{parent: c.parent, values: append(append([]interface{}{}, c.values...), kv...)}
}
func (c *childSink) WithName(string) logr.LogSink { return c }

var captured = &sink{}

func setupLogging() {
	fs := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(fs)
	// Every verbosity the kubelet uses for credential providers (up to V(5)).
	_ = fs.Set("v", "10")
	_ = fs.Set("logtostderr", "false")
	klog.SetOutput(io.Discard)
	klog.SetLogger(logr.New(captured))
}

func fail(format string, a ...interface{}) {
	fmt.Fprintf(os.Stderr, "pullproof kubelet judge: "+format+"\n", a...)
	os.Exit(2)
}

func boolPtr(b bool) *bool { return &b }

func setGates(gates map[string]bool) error {
	if len(gates) == 0 {
		return nil
	}
	return utilfeature.DefaultMutableFeatureGate.SetFromMap(gates)
}

func hash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// fatalExit is what klog.Fatal's exit becomes inside the judge: the kubelet would exit there.
type fatalExit int

// providerNames reads only the provider names of a config file or directory, to put a stand-in
// executable for each into the bin dir; the kubelet's own code does all the judging.
func providerNames(path string) []string {
	files := []string{path}
	if info, err := os.Stat(path); err == nil && info.IsDir() {
		files = nil
		for _, pattern := range []string{"*.json", "*.yaml", "*.yml"} {
			m, _ := filepath.Glob(filepath.Join(path, pattern))
			files = append(files, m...)
		}
	}
	var names []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		var doc struct {
			Providers []struct {
				Name string `json:"name"`
			} `json:"providers"`
		}
		if yaml.Unmarshal(data, &doc) == nil {
			for _, p := range doc.Providers {
				names = append(names, p.Name)
			}
		}
	}
	return names
}

func providerConfig(req request, out *result) {
	if err := setGates(req.Gates); err != nil {
		out.RequestProblems = err.Error()
		return
	}
	binDir, err := os.MkdirTemp("", "pullproof-judge-bin-")
	if err != nil {
		fail("%v", err)
	}
	defer os.RemoveAll(binDir)
	// A stand-in executable per provider name, so registration runs to its end as in a kubelet whose
	// bin dir has the plugins: a name twice makes 1.32 exit (klog.Fatalf) and later ones panic.
	for _, name := range providerNames(req.ConfigPath) {
		if name != "" && name != "." && name != ".." && !strings.ContainsAny(name, "/") {
			_ = os.WriteFile(filepath.Join(binDir, name), []byte("#!/bin/sh\nexit 1\n"), 0o755)
		}
	}
	defer func() {
		if p := recover(); p != nil {
			out.Accepted = boolPtr(false)
			if code, ok := p.(fatalExit); ok {
				last := ""
				for _, e := range captured.entries {
					last = e.Msg
				}
				out.Error = fmt.Sprintf("the kubelet exits (status %d): %s", int(code), last)
			} else {
				out.Error = fmt.Sprintf("the kubelet panics: %v", p)
			}
		}
	}()
	klog.OsExit = func(code int) { panic(fatalExit(code)) }
	err = registerPlugins(req.ConfigPath, binDir, &hooks{})
	// A plugin missing from the bin dir means the config itself was accepted (only names this
	// judge could not read, or could not create, get there).
	if err == nil || strings.HasPrefix(err.Error(), "plugin binary executable ") {
		out.Accepted = boolPtr(true)
		return
	}
	out.Accepted = boolPtr(false)
	out.Error = err.Error()
}

func kubeletConfig(req request, out *result) {
	// Some settings make the kubelet's own defaulting panic (an unknown feature gate in 1.35): the
	// kubelet would crash at start, which is a refusal too.
	defer func() {
		if p := recover(); p != nil {
			out.Accepted = boolPtr(false)
			out.Error = fmt.Sprintf("the kubelet panics: %v", p)
		}
	}()
	path, err := filepath.Abs(req.ConfigPath)
	if err != nil {
		fail("%v", err)
	}
	loader, err := configfiles.NewFsLoader(&utilfs.DefaultFs{}, path)
	if err != nil {
		fail("%v", err)
	}
	kc, err := loadKubeletConfigFile(loader)
	if err == nil {
		// As the kubelet does before validating: the file's gates become the process's gates.
		err = utilfeature.DefaultMutableFeatureGate.SetFromMap(kc.FeatureGates)
	}
	if err == nil {
		err = kubeletconfigvalidation.ValidateKubeletConfiguration(kc, utilfeature.DefaultFeatureGate)
	}
	out.Accepted = boolPtr(err == nil)
	if err != nil {
		out.Error = err.Error()
	}
}

func gates(out *result) {
	out.Gates = map[string]gate{}
	for name, spec := range utilfeature.DefaultMutableFeatureGate.GetAll() {
		out.Gates[string(name)] = gate{Default: spec.Default, PreRelease: string(spec.PreRelease)}
	}
}

// hooks are the kubelet's service account and token getters, answered from the request and recorded.
type hooks struct {
	req            request
	tokenRequests  []tokenRequest
	accountLookups []string
}

func (h *hooks) serviceAccountNotFound(namespace, name string) error {
	return fmt.Errorf("serviceaccounts %q not found", name)
}

func lookupMode(req request, out *result) {
	if err := setGates(req.Gates); err != nil {
		out.RequestProblems = err.Error()
		return
	}
	h := &hooks{req: req}
	if err := registerPlugins(req.ConfigPath, req.BinDir, h); err != nil {
		out.RegisterError = err.Error()
		return
	}
	auths, found := lookupImage(req)
	out.Found = boolPtr(found)
	out.Auths = auths
	out.TokenRequests = h.tokenRequests
	out.AccountLookups = h.accountLookups
}

func main() {
	setupLogging()
	data, err := io.ReadAll(os.Stdin)
	if err != nil {
		fail("reading the request: %v", err)
	}
	var req request
	if err := json.Unmarshal(data, &req); err != nil {
		fail("the request is not JSON: %v", err)
	}
	out := result{Kubernetes: kubernetesVersion, Mode: req.Mode}
	switch req.Mode {
	case "provider-config":
		providerConfig(req, &out)
	case "lookup":
		lookupMode(req, &out)
	case "kubelet-config":
		kubeletConfig(req, &out)
	case "gates":
		gates(&out)
	case "version":
	default:
		fail("unknown mode %q", req.Mode)
	}
	captured.mu.Lock()
	out.Logs = captured.entries
	if out.Logs == nil {
		out.Logs = []logEntry{}
	}
	captured.mu.Unlock()
	enc := json.NewEncoder(os.Stdout)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		fail("%v", err)
	}
}
