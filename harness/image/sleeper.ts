// The fixture images' program: a 224-byte static x86-64 ELF with no libc. It blocks SIGINT, SIGTERM
// and SIGCHLD and waits for them with rt_sigtimedwait: on SIGCHLD it reaps children (so it can also
// serve as a pod sandbox's pause process), on SIGINT or SIGTERM it exits 0 at once. Blocked signals are
// delivered even to PID 1, which ignores signals it has no handler for; without this, every pod
// deletion would wait out its 30 s grace period. Beside it, /done exits 0 at once (init containers).

const CODE = [
  0x48, 0x8d, 0x35, 0x59, 0x00, 0x00, 0x00, //  0: lea rsi, [rip+set]
  0xb8, 0x0e, 0x00, 0x00, 0x00, //              7: mov eax, 14 (rt_sigprocmask)
  0x31, 0xff, //                               12: xor edi, edi (SIG_BLOCK)
  0x31, 0xd2, //                               14: xor edx, edx (no old set)
  0x41, 0xba, 0x08, 0x00, 0x00, 0x00, //       16: mov r10d, 8 (sigsetsize)
  0x0f, 0x05, //                               22: syscall
  // wait:
  0x48, 0x8d, 0x3d, 0x41, 0x00, 0x00, 0x00, // 24: lea rdi, [rip+set]
  0x31, 0xf6, //                               31: xor esi, esi (no siginfo)
  0x31, 0xd2, //                               33: xor edx, edx (no timeout)
  0x41, 0xba, 0x08, 0x00, 0x00, 0x00, //       35: mov r10d, 8
  0xb8, 0x80, 0x00, 0x00, 0x00, //             41: mov eax, 128 (rt_sigtimedwait)
  0x0f, 0x05, //                               46: syscall
  0x83, 0xf8, 0x11, //                         48: cmp eax, 17 (SIGCHLD)
  0x75, 0x1c, //                               51: jne notchld
  // reap:
  0xbf, 0xff, 0xff, 0xff, 0xff, //             53: mov edi, -1 (any child)
  0x31, 0xf6, //                               58: xor esi, esi
  0xba, 0x01, 0x00, 0x00, 0x00, //             60: mov edx, 1 (WNOHANG)
  0x45, 0x31, 0xd2, //                         65: xor r10d, r10d
  0xb8, 0x3d, 0x00, 0x00, 0x00, //             68: mov eax, 61 (wait4)
  0x0f, 0x05, //                               73: syscall
  0x85, 0xc0, //                               75: test eax, eax
  0x7f, 0xe6, //                               77: jg reap
  0xeb, 0xc7, //                               79: jmp wait
  // notchld:
  0x85, 0xc0, //                               81: test eax, eax
  0x78, 0xc3, //                               83: js wait (EINTR)
  0x31, 0xff, //                               85: xor edi, edi
  0xb8, 0xe7, 0x00, 0x00, 0x00, //             87: mov eax, 231 (exit_group)
  0x0f, 0x05, //                               92: syscall
  0x90, 0x90, //                               94: padding
  // set (96): SIGINT (bit 1) | SIGTERM (bit 14) | SIGCHLD (bit 16)
  0x02, 0x40, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
];

const BASE = 0x400000;
const EHDR = 64;
const PHDR = 56;

/** exit_group(0) at once: what an init container runs (it must complete for the pod's containers to start). */
const DONE = [
  0x31, 0xff, //                               0: xor edi, edi
  0xb8, 0xe7, 0x00, 0x00, 0x00, //             2: mov eax, 231 (exit_group)
  0x0f, 0x05, //                               7: syscall
];

/** The sleeper as an ELF executable for the given architecture. */
export function sleeperElf(architecture = 'amd64'): Buffer {
  return elf(CODE, architecture);
}

/** A program that exits 0 at once, as an ELF executable. */
export function doneElf(architecture = 'amd64'): Buffer {
  return elf(DONE, architecture);
}

function elf(code: readonly number[], architecture: string): Buffer {
  if (architecture !== 'amd64') {
    throw new Error(`the fixture program exists for amd64 only, not ${architecture}; run pullproof on an x86-64 host`);
  }
  const size = EHDR + PHDR + code.length;
  const b = Buffer.alloc(size);
  b.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0], 0); // ELF, 64-bit, little endian, version 1, SysV
  b.writeUInt16LE(2, 16); // ET_EXEC
  b.writeUInt16LE(0x3e, 18); // EM_X86_64
  b.writeUInt32LE(1, 20); // EV_CURRENT
  b.writeBigUInt64LE(BigInt(BASE + EHDR + PHDR), 24); // e_entry
  b.writeBigUInt64LE(BigInt(EHDR), 32); // e_phoff
  b.writeBigUInt64LE(0n, 40); // e_shoff
  b.writeUInt32LE(0, 48); // e_flags
  b.writeUInt16LE(EHDR, 52);
  b.writeUInt16LE(PHDR, 54);
  b.writeUInt16LE(1, 56); // e_phnum
  b.writeUInt16LE(64, 58); // e_shentsize
  b.writeUInt16LE(0, 60);
  b.writeUInt16LE(0, 62);
  b.writeUInt32LE(1, EHDR); // PT_LOAD
  b.writeUInt32LE(5, EHDR + 4); // PF_R | PF_X
  b.writeBigUInt64LE(0n, EHDR + 8);
  b.writeBigUInt64LE(BigInt(BASE), EHDR + 16);
  b.writeBigUInt64LE(BigInt(BASE), EHDR + 24);
  b.writeBigUInt64LE(BigInt(size), EHDR + 32);
  b.writeBigUInt64LE(BigInt(size), EHDR + 40);
  b.writeBigUInt64LE(0x1000n, EHDR + 48);
  b.set(code, EHDR + PHDR);
  return b;
}
