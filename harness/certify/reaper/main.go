// pullproof-reaper starts one program the way Go's os/exec starts it (fork and execve, no shell
// fallback: a script without "#!" fails with "exec format error", as in the kubelet), and stays its
// parent as a child subreaper (prctl PR_SET_CHILD_SUBREAPER): every descendant that is orphaned,
// including one that left the process group or the session with setsid, is re-parented to the reaper
// instead of init, so it can always be found and ended. Standard library only.
//
// fds 0, 1 and 2 are handed to the program as they are (the caller reads the program's own pipes;
// the reaper closes its copies). fd 3 is a control socket: the reaper writes one JSON event per line
// and reads commands, one per line:
//
//	events:   {"e":"started","pid":N}
//	          {"e":"start-error","error":"fork/exec /path: exec format error"}
//	          {"e":"exited","pid":N,"code":C,"signal":"killed","ms":12.5}   (the program itself)
//	          {"e":"swept","processes":[{pid,command,pgid,sid,leftGroup,leftSession,heldStdout,heldStderr,wasProgram}]}
//	          {"e":"end"}
//	commands: "sweep"  end every descendant except the program itself (it may then finish by itself)
//	          "done"   end every descendant, the program included, report, reap all, exit
//
// End of input on fd 3 (the caller died) counts as "done". Before ending processes the reaper stops
// them all (SIGSTOP), so none can fork a new one between the scan and the kill, then sends SIGKILL,
// and repeats until a scan finds none.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

const prSetChildSubreaper = 36

type processInfo struct {
	PID         int    `json:"pid"`
	Command     string `json:"command"`
	PGID        int    `json:"pgid"`
	SID         int    `json:"sid"`
	LeftGroup   bool   `json:"leftGroup"`
	LeftSession bool   `json:"leftSession"`
	HeldStdout  bool   `json:"heldStdout"`
	HeldStderr  bool   `json:"heldStderr"`
	WasProgram  bool   `json:"wasProgram"`
}

var (
	ctl     *os.File
	ctlMu   sync.Mutex
	self    = os.Getpid()
	program int
	// "pipe:[inode]" of the fds 1 and 2 the program was given.
	stdoutID, stderrID string
	exitedMu           sync.Mutex
	programExited      bool
)

func emit(v map[string]interface{}) {
	b, _ := json.Marshal(v)
	ctlMu.Lock()
	defer ctlMu.Unlock()
	_, _ = ctl.Write(append(b, '\n'))
}

type stat struct {
	pid, ppid, pgid, sid int
	state, comm          string
}

func readStat(pid int) (stat, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return stat{}, false
	}
	s := string(b)
	open, close := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || close < 0 || close+2 > len(s) {
		return stat{}, false
	}
	f := strings.Fields(s[close+2:])
	if len(f) < 4 {
		return stat{}, false
	}
	ppid, _ := strconv.Atoi(f[1])
	pgid, _ := strconv.Atoi(f[2])
	sid, _ := strconv.Atoi(f[3])
	return stat{pid: pid, ppid: ppid, pgid: pgid, sid: sid, state: f[0], comm: s[open+1 : close]}, true
}

// descendants lists the live (not zombie) processes below the reaper.
func descendants() []stat {
	entries, _ := os.ReadDir("/proc")
	children := map[int][]stat{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, ok := readStat(pid); ok {
			children[st.ppid] = append(children[st.ppid], st)
		}
	}
	var out []stat
	queue := []int{self}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, c := range children[p] {
			queue = append(queue, c.pid)
			if c.state != "Z" && c.state != "X" {
				out = append(out, c)
			}
		}
	}
	return out
}

func holds(pid int, id string) bool {
	if id == "" {
		return false
	}
	dir := "/proc/" + strconv.Itoa(pid) + "/fd"
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range entries {
		if link, err := os.Readlink(dir + "/" + e.Name()); err == nil && link == id {
			return true
		}
	}
	return false
}

// sweep ends every descendant (the program too when all is set) and reports what it found.
func sweep(all bool) []processInfo {
	own, _ := readStat(self)
	seen := map[int]bool{}
	report := []processInfo{}
	for round := 0; round < 100; round++ {
		var targets []stat
		for _, d := range descendants() {
			if d.pid == program && !all {
				continue
			}
			targets = append(targets, d)
		}
		if len(targets) == 0 {
			break
		}
		for _, t := range targets {
			if !seen[t.pid] {
				seen[t.pid] = true
				report = append(report, processInfo{
					PID: t.pid, Command: t.comm, PGID: t.pgid, SID: t.sid,
					// The program runs in the reaper's group and session, as a kubelet's plugin runs in the kubelet's.
					LeftGroup: t.pgid != own.pgid, LeftSession: t.sid != own.sid,
					HeldStdout: holds(t.pid, stdoutID), HeldStderr: holds(t.pid, stderrID), WasProgram: t.pid == program,
				})
			}
			_ = syscall.Kill(t.pid, syscall.SIGSTOP)
		}
		for _, t := range targets {
			_ = syscall.Kill(t.pid, syscall.SIGKILL)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return report
}

// reapAll waits for every child (the program and re-parented orphans); reports the program's end.
func reapAll(start time.Time, done chan<- struct{}) {
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, 0, nil)
		if err == syscall.EINTR {
			continue
		}
		if err != nil { // ECHILD: nobody below right now; orphans may still be re-parented to us
			time.Sleep(10 * time.Millisecond)
			continue
		}
		if pid == program {
			ev := map[string]interface{}{"e": "exited", "pid": pid, "ms": float64(time.Since(start).Microseconds()) / 1000}
			if ws.Signaled() {
				ev["code"] = nil
				ev["signal"] = ws.Signal().String()
				ev["signo"] = int(ws.Signal())
			} else {
				ev["code"] = ws.ExitStatus()
				ev["signal"] = nil
			}
			exitedMu.Lock()
			programExited = true
			exitedMu.Unlock()
			emit(ev)
			close(done)
		}
	}
}

func finish() {
	report := sweep(true)
	emit(map[string]interface{}{"e": "swept", "processes": report})
	// Wait until the program has been reaped and nothing is left below.
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		exitedMu.Lock()
		exited := programExited || program == 0
		exitedMu.Unlock()
		if exited && len(descendants()) == 0 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	emit(map[string]interface{}{"e": "end"})
	os.Exit(0)
}

func main() {
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	ctl = os.NewFile(3, "control")
	if len(args) == 0 || ctl == nil {
		fmt.Fprintln(os.Stderr, "usage: pullproof-reaper -- PROGRAM [ARGS...] (fd 3: control socket)")
		os.Exit(2)
	}
	if _, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0); errno != 0 {
		fmt.Fprintf(os.Stderr, "pullproof-reaper: prctl(PR_SET_CHILD_SUBREAPER): %v\n", errno)
		os.Exit(2)
	}
	stdoutID, _ = os.Readlink("/proc/self/fd/1")
	stderrID, _ = os.Readlink("/proc/self/fd/2")
	start := time.Now()
	proc, err := os.StartProcess(args[0], args, &os.ProcAttr{Files: []*os.File{os.Stdin, os.Stdout, os.Stderr}, Env: os.Environ()})
	// The program has its own copies now; ours would keep the caller's pipes open.
	os.Stdin.Close()
	os.Stdout.Close()
	os.Stderr.Close()
	exited := make(chan struct{})
	if err != nil {
		emit(map[string]interface{}{"e": "start-error", "error": err.Error()})
	} else {
		program = proc.Pid
		emit(map[string]interface{}{"e": "started", "pid": program})
		go reapAll(start, exited)
	}
	scanner := bufio.NewScanner(ctl)
	for scanner.Scan() {
		switch strings.TrimSpace(scanner.Text()) {
		case "sweep":
			emit(map[string]interface{}{"e": "swept", "partial": true, "processes": sweep(false)})
		case "done":
			finish()
		}
	}
	finish()
}
