"""What one password hash costs, here and on the API's Lambda (R-ACC-2, decision 0018).

    .venv/bin/python -m bench.password_hash [--rounds 7]

For each argon2id setting of the grid (memory KiB, time cost, parallelism) it hashes a password
`rounds` times and prints the median CPU time of the process per hash (`time.process_time`: every
thread's CPU, so a parallel hash is not flattered by a second core) and the median wall time. The
ratios are against OWASP's argon2id minimum (m=19 MiB, t=2, p=1) measured in the same run.

The conversion to Lambda assumes what AWS documents: a function gets CPU in proportion to its
memory, one full vCPU at 1,769 MB ("Lambda allocates CPU power in proportion to the amount of
memory configured ... At 1,769 MB, a function has the equivalent of one vCPU", AWS Lambda
Developer Guide, "Configure Lambda function memory"). At 512 MB that is 512 / 1769 = 0.29 of a
vCPU, so one hash takes about (CPU seconds here) / 0.29 of wall time there, taking one core of
this machine as one Lambda vCPU (a further assumption: the printed processor is not Lambda's).
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from dataclasses import dataclass

from argon2 import PasswordHasher

LAMBDA_MB_PER_VCPU = 1769
LAMBDA_MEMORY_MB = 512
LOGIN_BUDGET_MS = 250.0  # CPU of one login at the API's memory size (issue 9, item 6)
PASSWORD = "Cet2026pass"


@dataclass(frozen=True)
class Setting:
    memory_kib: int
    time_cost: int
    parallelism: int
    note: str = ""

    def label(self) -> str:
        return f"m={self.memory_kib // 1024} MiB t={self.time_cost} p={self.parallelism}"


BASELINE = Setting(19 * 1024, 2, 1, "OWASP argon2id minimum (baseline)")
RFC_SECOND = Setting(64 * 1024, 3, 1, "RFC 9106 second option (the former default)")
GRID = (
    BASELINE,
    Setting(12 * 1024, 3, 1, "OWASP equivalent"),
    Setting(19 * 1024, 3, 1),
    Setting(24 * 1024, 2, 1),
    Setting(28 * 1024, 2, 1),
    Setting(32 * 1024, 2, 1),
    Setting(46 * 1024, 1, 1, "OWASP equivalent"),
    Setting(32 * 1024, 3, 1),
    Setting(64 * 1024, 2, 1),
    RFC_SECOND,
    Setting(19 * 1024, 2, 2),
    Setting(64 * 1024, 3, 4, "RFC 9106 second option with p=4"),
)


@dataclass(frozen=True)
class Measured:
    setting: Setting
    cpu_ms: float
    wall_ms: float

    def lambda_ms(self, memory_mb: int = LAMBDA_MEMORY_MB) -> float:
        return self.cpu_ms / vcpu_share(memory_mb)


def vcpu_share(memory_mb: int) -> float:
    return memory_mb / LAMBDA_MB_PER_VCPU


def measure(setting: Setting, rounds: int) -> Measured:
    hasher = PasswordHasher(
        memory_cost=setting.memory_kib, time_cost=setting.time_cost, parallelism=setting.parallelism
    )
    hasher.hash(PASSWORD)  # the first allocation of this size is not what a warm function pays
    cpu, wall = [], []
    for _ in range(rounds):
        cpu_start, wall_start = time.process_time(), time.perf_counter()
        hasher.hash(PASSWORD)
        cpu.append(time.process_time() - cpu_start)
        wall.append(time.perf_counter() - wall_start)
    return Measured(setting, statistics.median(cpu) * 1000, statistics.median(wall) * 1000)


def processor() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def run(rounds: int) -> None:
    share = vcpu_share(LAMBDA_MEMORY_MB)
    print(f"argon2id, {rounds} hashes per setting (medians), on {processor()} ({platform.machine()})")
    print(
        f"Lambda at {LAMBDA_MEMORY_MB} MB: {share:.2f} vCPU, assuming CPU in proportion to memory, "
        f"1 vCPU at {LAMBDA_MB_PER_VCPU} MB (AWS Lambda Developer Guide, 'Configure Lambda function memory'),"
    )
    print("and one core here = one Lambda vCPU; 'at 512 MB' = CPU ms here / 0.29")
    print()
    header = f"{'setting':<24} {'cpu ms':>8} {'wall ms':>8} {'x base':>7} {'at 512 MB':>10}  {'< 250 ms':<8} note"
    print(header)
    print("-" * len(header))
    results = [measure(setting, rounds) for setting in GRID]
    base = results[0]
    for r in results:
        fits = "yes" if r.lambda_ms() < LOGIN_BUDGET_MS else "no"
        print(
            f"{r.setting.label():<24} {r.cpu_ms:>8.1f} {r.wall_ms:>8.1f} {r.cpu_ms / base.cpu_ms:>7.2f} "
            f"{r.lambda_ms():>10.0f}  {fits:<8} {r.setting.note}"
        )
    print()
    rfc = next(r for r in results if r.setting.label() == RFC_SECOND.label())
    print(
        f"ratio rfc9106-second/owasp-minimum {rfc.cpu_ms / base.cpu_ms:.2f}; "
        f"first login after lowering m=64 MiB t=3 to the OWASP minimum (verify old + hash new) at 512 MB: "
        f"{rfc.lambda_ms() + base.lambda_ms():.0f} ms"
    )
    for memory_mb in (512, 1024, 1769):
        print(
            f"OWASP minimum at {memory_mb:>4} MB: {base.lambda_ms(memory_mb):.0f} ms; "
            f"RFC 9106 second option: {rfc.lambda_ms(memory_mb):.0f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=7)
    run(parser.parse_args().rounds)


if __name__ == "__main__":
    main()
